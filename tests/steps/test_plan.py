"""plan=true: the real run measured for a few steps, each job's estimate, nothing trained."""

from __future__ import annotations

import json

from conftest import FAST, compose_config
from hydratune.pipeline import run
from hydratune.run.plan_table import describe, slurm_requests
from hydratune.steps.plan_shape import schedule, shape_key

SLURM = {"_target_": "hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher"}


def test_a_planned_run_measures_estimates_and_trains_nothing(tmp_path):
    run_dir = tmp_path / "run"
    run(compose_config(*FAST, "plan=true", "plan_steps=2", "logger=none"), run_dir=run_dir)

    job = json.loads((run_dir / "plan.json").read_text())["jobs"][0]
    shape = json.loads((run_dir / "plan.json").read_text())["shapes"][job["shape"]]
    assert job["steps"] == 12  # 96 rows / batch 16 x 2 epochs, as Trainer counts them
    assert job["evaluations"] == 3  # one per epoch and the final one
    assert 0 < job["est_train_seconds"] < job["est_total_seconds"]
    assert job["est_peak_memory_mb"] > 100 and shape["checkpoint_mb"] > shape["model_mb"] > 0
    assert shape["timed_steps"] == 2 and shape["real_tokens_per_second"] > 0
    record = json.loads((run_dir / "run.json").read_text())
    assert record["status"] == "planned" and record["measured_peak_memory_mb"] > 100
    assert not (run_dir / "model").exists() and not (run_dir / "metrics.json").exists()
    assert not (run_dir / "checkpoints").exists() or not any((run_dir / "checkpoints").iterdir())


def test_jobs_that_differ_only_in_numbers_share_a_shape():
    def key(*overrides):
        from omegaconf import OmegaConf

        return shape_key(OmegaConf.to_container(compose_config(*overrides), resolve=True))

    base = key("seed=1")
    assert key("seed=2", "trainer.args.learning_rate=1e-3", "trainer.args.num_train_epochs=9",
               "trainer.args.gradient_accumulation_steps=4") == base  # fmt: skip
    assert key("data.max_length=32") != base
    assert key("trainer.args.per_device_train_batch_size=4") != base


def test_the_schedule_counts_steps_evaluations_and_saves_like_trainer():
    args = {"num_train_epochs": 2, "gradient_accumulation_steps": 4, "eval_strategy": "steps",
            "eval_steps": 3, "save_strategy": "epoch", "save_total_limit": 1}  # fmt: skip
    planned = schedule(args, batches_per_epoch=10, eval_rows=50, evaluate=True)
    assert planned["steps"] == 6  # ceil(10 / 4) per epoch
    assert planned["micro_batches"] == 20
    assert planned["evaluations"] == 2 + 1  # steps 3 and 6, then the final one
    assert (planned["saves"], planned["kept_checkpoints"]) == (2, 1)
    assert schedule({"max_steps": 7}, 10, 0, False)["steps"] == 7


def test_slurm_requests_cover_the_longest_and_largest_job_with_the_margin():
    jobs = [
        {"job": "0", "shape": "a", "steps": 10, "est_total_seconds": 100.0,
         "est_peak_memory_mb": 900.0, "est_disk_mb": 5.0, "overrides": ["seed=1"]},
        {"job": "1", "shape": "a", "steps": 10, "est_total_seconds": 250.0,
         "est_peak_memory_mb": 1500.0, "est_disk_mb": 5.0, "overrides": ["seed=2"]},
    ]  # fmt: skip
    assert slurm_requests(jobs, 1.5, {"cpus_per_task": 2}) == {
        "timeout_min": 7, "mem_gb": 3, "cpus_per_task": 2}  # fmt: skip
    text = describe(jobs, 1.5, SLURM)
    assert "timeout_min=7 mem_gb=3" in text and "seed=2" in text and "4m10s" in text


def test_the_slurm_launcher_takes_auto():
    from hydra import compose, initialize_config_dir

    from conftest import CONF

    with initialize_config_dir(str(CONF), version_base="1.3"):
        overrides = ["hydra/launcher=slurm", "hydra.launcher.timeout_min=auto"]
        overrides += ["hydra.launcher.mem_gb=auto"]
        cfg = compose("config", overrides, return_hydra_config=True)
    assert (cfg.hydra.launcher.timeout_min, cfg.hydra.launcher.mem_gb) == ("auto", "auto")
