"""Multirun as users run it: one run dir and one W&B run per job, one group per sweep,
failures recorded without losing the other jobs, and re-runs that redo only what failed."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest

from conftest import FAST, REPO, run_script
from helpers.wandb_offline import summary

pytestmark = pytest.mark.slow


def job_dirs(sweep_dir):
    return sorted((p for p in sweep_dir.iterdir() if (p / "run.json").exists()),
                  key=lambda p: int(p.name))  # fmt: skip


def wandb_run(job_dir) -> dict:
    (file,) = (job_dir / "wandb").glob("offline-run-*/run-*.wandb")
    return summary(file)


def test_joblib_sweep_gives_each_job_its_own_run_dir_and_wandb_run(tmp_path):
    sweep = tmp_path / "sweep"
    done = run_script(
        "-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", f"hydra.sweep.dir={sweep}",
        "seed=1,2", "trainer.args.gradient_accumulation_steps=1,2",
        *FAST, "trainer.args.num_train_epochs=1",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    jobs = job_dirs(sweep)
    assert len(jobs) == 4
    runs = []
    for job in jobs:
        record = json.loads((job / "run.json").read_text())
        assert record["status"] == "completed"
        assert {"metrics.json", "model", "checkpoints", ".hydra"} <= {p.name for p in job.iterdir()}
        logged = wandb_run(job)
        assert logged["run_id"] == record["wandb_run_id"]
        assert logged["exit_code"] == 0
        runs.append(logged)
    assert len({r["run_id"] for r in runs}) == 4  # no two jobs share a W&B run
    assert {r["group"] for r in runs} == {f"{sweep.parent.name}_{sweep.name}"}
    assert all(r["job_type"] == "plain" for r in runs)
    assert any(
        r["name"].startswith("seed=2,trainer.args.gradient_accumulation_steps=2") for r in runs
    )

    compared = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "compare.py"), str(sweep)],
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert compared.returncode == 0, compared.stderr
    with open(sweep / "compare.csv") as table:
        rows = list(csv.DictReader(table))
    assert len(rows) == 4
    assert (sweep / "compare.png").read_bytes()[:4] == b"\x89PNG"


def test_a_failed_job_is_recorded_and_a_rerun_redoes_only_it(tmp_path):
    sweep = tmp_path / "sweep"
    command = [
        "-m", f"hydra.sweep.dir={sweep}", *FAST, "trainer.args.num_train_epochs=1",
        # the 8-bit optimizer needs bitsandbytes, which is not installed: fails in training
        "trainer.args.optim=adamw_torch,adamw_bnb_8bit",
    ]  # fmt: skip
    first = run_script(*command, cwd=tmp_path)
    assert first.returncode != 0
    good, bad = job_dirs(sweep)
    good_record = json.loads((good / "run.json").read_text())
    bad_record = json.loads((bad / "run.json").read_text())
    assert good_record["status"] == "completed"
    assert bad_record["status"] == "failed"
    assert "bitsandbytes" in bad_record["error"]["message"]
    assert wandb_run(bad)["exit_code"] == 1  # marked failed in W&B too
    good_metrics = (good / "metrics.json").read_text()

    again = run_script(*command, cwd=tmp_path)
    assert again.returncode != 0  # the broken job still fails...
    assert json.loads((good / "run.json").read_text()) == good_record  # ...the good one was kept
    assert (good / "metrics.json").read_text() == good_metrics
    rerun = json.loads((bad / "run.json").read_text())
    assert rerun["started_at"] >= bad_record["started_at"]
    assert rerun["wandb_run_id"] != bad_record["wandb_run_id"]  # it really ran again
    assert "already completed: skipped" in again.stderr + again.stdout
