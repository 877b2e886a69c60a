"""Trackers beyond W&B, read back with their own libraries' readers after a real run:
TensorBoard event files (EventAccumulator) and an MLflow run (MlflowClient), also together."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow  # real runs; MLflow creates its sqlite store (~10 s)


def scalars_and_texts(log_dir):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(log_dir))
    events.Reload()
    scalars = {tag: [e.value for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]}
    texts = {
        tag.split("/")[0]: events.Tensors(tag)[-1].tensor_proto.string_val[0].decode()
        for tag in events.Tags()["tensors"]
    }
    return scalars, texts


def test_tensorboard_event_files_hold_curves_config_and_status(run_small):
    run_dir, metrics = run_small("logger=tensorboard")
    scalars, texts = scalars_and_texts(run_dir / "tensorboard")
    assert len(scalars["train/loss"]) >= 2  # Trainer's callback, every logging step
    assert scalars["final/eval_accuracy"] == [pytest.approx(metrics["eval_accuracy"])]
    assert texts["status"] == "completed"
    assert '"learning_rate": 0.001' in texts["hydra_config"]  # the resolved config, once


def mlflow_runs(root):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(f"sqlite:///{root / 'outputs' / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("hydratune")
    return client, client.search_runs([experiment.experiment_id])


def test_mlflow_run_holds_params_metrics_and_status(run_small, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the default store: outputs/mlflow.db under the current dir
    run_dir, metrics = run_small("logger=mlflow")
    client, (run,) = mlflow_runs(tmp_path)
    assert run.info.status == "FINISHED"
    assert run.data.params["trainer.args.learning_rate"] == "0.001"
    assert run.data.params["data.max_train_samples"] == "96"
    assert run.data.metrics["final_eval_accuracy"] == pytest.approx(metrics["eval_accuracy"])
    assert len(client.get_metric_history(run.info.run_id, "loss")) >= 2  # Trainer's curve
    assert [a.path for a in client.list_artifacts(run.info.run_id)] == ["hydra_config.json"]


def test_several_loggers_at_once_and_a_failed_run(run_small, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run_dir, _ = run_small("logger=many", "logger.use=[tensorboard,mlflow]")
    _, (run,) = mlflow_runs(tmp_path)
    assert run.info.status == "FINISHED"
    assert scalars_and_texts(run_dir / "tensorboard")[1]["status"] == "completed"
    # a failed run: the lifecycle finishes every tracker with exit code 1
    from conftest import compose_config
    from hydratune.config.build import build

    node = compose_config("logger=many", "logger.use=[tensorboard,mlflow]").logger
    failed = build(node, run_dir=str(tmp_path / "failed"), config={"a": 1}, default_name="f")
    failed.finish(exit_code=1)
    _, runs = mlflow_runs(tmp_path)
    assert sorted(r.info.status for r in runs) == ["FAILED", "FINISHED"]
    assert scalars_and_texts(tmp_path / "failed" / "tensorboard")[1]["status"] == "failed"
