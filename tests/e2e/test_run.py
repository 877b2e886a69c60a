"""The whole pipeline on the real Trainer and W&B (offline): artifacts, values, failures."""

from __future__ import annotations

import json

import pytest
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from conftest import compose_config
from helpers.wandb_offline import summary
from hydratune.config.errors import ConfigError, DataError
from hydratune.pipeline import run


def read_json(path):
    return json.loads(path.read_text())


def test_default_run_leaves_a_complete_run_dir(run_small):
    run_dir, metrics = run_small()
    for key in (
        "train_loss",
        "train_samples_per_second",
        "eval_accuracy",
        "eval_f1",
        "eval_precision",
        "eval_recall",
        "eval_auroc",
        "eval_loss",
    ):
        assert key in metrics, key
    record = read_json(run_dir / "run.json")
    assert record["status"] == "completed"
    assert record["packages"]["transformers"].startswith("5.")
    assert record["world_size"] == 1
    assert set(record["timings_s"]) >= {"load_data", "load_model", "tokenize", "train", "total"}
    assert list((run_dir / "checkpoints").glob("checkpoint-*"))
    history = read_json(run_dir / "log_history.json")
    assert [e["train_loss"] for e in history if "train_loss" in e] == [metrics["train_loss"]]
    assert any("eval_accuracy" in entry for entry in history)

    # the saved model and tokenizer reload offline and give the same predictions
    model = AutoModelForSequenceClassification.from_pretrained(run_dir / "model")
    tokenizer = AutoTokenizer.from_pretrained(run_dir / "model")
    assert model.config.id2label == {0: "negative", 1: "positive"}
    batch = tokenizer(["the soup was cold"], return_tensors="pt")
    assert model(**batch).logits.shape == (1, 2)

    # the final evaluation's per-class report and confusion matrix
    report = read_json(run_dir / "eval_classification_report.json")
    assert report["negative"]["support"] + report["positive"]["support"] == 32
    assert report["accuracy"] == pytest.approx(metrics["eval_accuracy"])
    assert (run_dir / "eval_confusion_matrix.png").read_bytes()[:4] == b"\x89PNG"

    # one offline W&B run in the run dir, with the config under one key and final metrics
    files = list((run_dir / "wandb").glob("offline-run-*/run-*.wandb"))
    assert len(files) == 1
    logged = summary(files[0])
    assert logged["run_id"] == record["wandb_run_id"]
    assert logged["exit_code"] == 0
    assert logged["config"]["hydra"]["model"]["_target_"] == "hydratune.groups.model.tiny_bert"
    assert logged["summary"]["eval_accuracy"] == metrics["eval_accuracy"]


def test_training_lowers_the_loss_and_changes_the_weights(run_small, tmp_path):
    longer = ("logger=none", "trainer.args.num_train_epochs=8", "trainer.args.logging_steps=6",
              "trainer.args.learning_rate=3e-3")  # 96 real rows: a larger step  # fmt: skip
    run_dir, _ = run_small(*longer)
    last_checkpoint = max(
        (run_dir / "checkpoints").glob("checkpoint-*"), key=lambda p: int(p.name[11:])
    )
    state = read_json(last_checkpoint / "trainer_state.json")
    losses = [entry["loss"] for entry in state["log_history"] if "loss" in entry]
    assert losses[-1] < losses[0] * 0.9
    # a second run with the same seed starts from the same weights: compare to the first save
    first = AutoModelForSequenceClassification.from_pretrained(run_dir / "model")
    again_dir, _ = run_small(*longer, run_dir=tmp_path / "again")
    again = AutoModelForSequenceClassification.from_pretrained(again_dir / "model")
    for (name, a), (_, b) in zip(first.named_parameters(), again.named_parameters(), strict=True):
        assert torch.allclose(a, b), f"{name} differs between two runs with the same seed"


def test_seed_flows_into_the_trainer_and_the_split(tmp_path):
    cfg = compose_config("seed=123")
    assert cfg.trainer.args.seed == 123
    assert cfg.data.seed == 123


def test_bad_column_fails_before_training_and_records_the_error(run_small, tmp_path):
    with pytest.raises(DataError, match="Column 'sentence' not in the train split"):
        run_small("data.text_column=sentence")
    record = read_json(tmp_path / "run" / "run.json")
    assert record["status"] == "failed"
    assert "sentence" in record["error"]["message"]
    assert not (tmp_path / "run" / "model").exists()
    assert not (tmp_path / "run" / "wandb").exists()  # nothing started before the data check


def test_fp16_without_a_gpu_is_refused_before_the_model_loads(run_small, tmp_path):
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(ConfigError, match="fp16=true needs a CUDA GPU.*bf16"):
        run_small("trainer.args.fp16=true")
    assert "load_model" not in read_json(tmp_path / "run" / "run.json")["timings_s"]


def test_unknown_training_argument_names_close_matches(run_small):
    with pytest.raises(ConfigError, match=r"trainer.args.learnin_rate .*\['learning_rate'"):
        run_small("logger=none", "+trainer.args.learnin_rate=0.1")


def test_a_completed_run_dir_is_never_overwritten(run_small, tmp_path):
    run_dir, metrics = run_small("logger=none", "trainer.args.num_train_epochs=1")
    before = (run_dir / "metrics.json").read_text()
    with pytest.raises(ConfigError, match="already holds a completed run"):
        run(compose_config("logger=none"), run_dir=run_dir)
    assert (run_dir / "metrics.json").read_text() == before


def test_failed_run_finishes_its_wandb_run_with_an_error_code(run_small, tmp_path):
    # the 8-bit optimizer needs bitsandbytes (not installed): training itself fails
    with pytest.raises(ImportError, match="bitsandbytes"):
        run_small("trainer.args.optim=adamw_bnb_8bit")
    record = read_json(tmp_path / "run" / "run.json")
    assert record["status"] == "failed"
    assert record["error"]["type"] == "ImportError"
    (file,) = (tmp_path / "run" / "wandb").glob("offline-run-*/run-*.wandb")
    assert summary(file)["exit_code"] == 1
