"""Runs that outlive one process: resume after a hard kill, and two-process DDP (gloo)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import FAST, REPO
from helpers.wandb_offline import summary
from hydratune.run.checkpoints import MARKER, latest_complete

pytestmark = pytest.mark.slow

LONG_RUN = [*FAST, "trainer.args.num_train_epochs=30", "trainer.args.save_strategy=steps",
            "trainer.args.save_steps=5", "trainer.args.eval_strategy=no"]  # fmt: skip


def start_run(run_dir, *extra) -> subprocess.Popen:
    command = [sys.executable, str(REPO / "scripts" / "run.py"), f"hydra.run.dir={run_dir}"]
    return subprocess.Popen(
        [*command, *LONG_RUN, *extra], cwd=run_dir.parent, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip


def test_a_killed_run_resumes_from_its_checkpoint_into_the_same_wandb_run(tmp_path):
    run_dir = tmp_path / "run"
    first = start_run(run_dir)
    deadline = time.monotonic() + 240
    while not list((run_dir / "checkpoints").glob(f"checkpoint-*/{MARKER}")):
        assert first.poll() is None, first.stdout.read()[-3000:]
        assert time.monotonic() < deadline, "no checkpoint within 240 s"
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)  # no chance to clean up, as with an OOM kill
    first.wait()
    killed = json.loads((run_dir / "run.json").read_text())
    assert killed["status"] == "running", killed  # what a hard kill leaves behind
    _, step = latest_complete(run_dir / "checkpoints")

    second = start_run(run_dir)
    output, _ = second.communicate(timeout=600)
    assert second.returncode == 0, output[-3000:]
    assert f"Resuming from checkpoint-{step} (step {step})" in output, output[-3000:]
    record = json.loads((run_dir / "run.json").read_text())
    assert record["status"] == "completed"
    assert record["resumed_from_step"] == step and record["attempt"] == 2
    assert record["wandb_run_id"] == killed["wandb_run_id"]  # the same W&B run goes on
    folders = sorted((run_dir / "wandb").glob("offline-run-*"))
    assert len(folders) == 2  # one per attempt, both named after the one run id
    assert {folder.name.rsplit("-", 1)[-1] for folder in folders} == {killed["wandb_run_id"]}
    resumed = summary(next(folders[-1].glob("run-*.wandb")))
    assert resumed["run_id"] == killed["wandb_run_id"] and resumed["exit_code"] == 0
    history = json.loads((run_dir / "log_history.json").read_text())
    steps = [entry["step"] for entry in history if "loss" in entry]
    assert steps[0] < step < steps[-1]  # one curve: before the kill and after the resume
    assert (run_dir / "model" / "model.safetensors").exists()


def test_a_half_written_checkpoint_is_never_resumed_from(tmp_path):
    checkpoints = tmp_path / "checkpoints"
    (checkpoints / "checkpoint-5").mkdir(parents=True)
    (checkpoints / "checkpoint-5" / MARKER).write_text("{}")
    (checkpoints / "checkpoint-10").mkdir()  # killed while saving: no marker
    (checkpoints / "checkpoint-10" / "model.safetensors").write_bytes(b"partial")
    assert latest_complete(checkpoints) == (checkpoints / "checkpoint-5", 5)


def test_torchrun_two_processes_share_one_run_dir(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
         str(REPO / "scripts" / "run.py"), *FAST, "trainer.args.num_train_epochs=1"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    run_dirs = list((tmp_path / "outputs").glob("*/*"))
    assert len(run_dirs) == 1  # not one timestamped dir per rank
    record = json.loads((run_dirs[0] / "run.json").read_text())
    assert record["status"] == "completed" and record["world_size"] == 2
    runs = list((run_dirs[0] / "wandb").glob("offline-run-*/run-*.wandb"))
    assert len(runs) == 1  # only rank 0 tracks
    assert summary(runs[0])["run_id"] == record["wandb_run_id"]
    metrics = json.loads((run_dirs[0] / "metrics.json").read_text())
    # 96 rows, batch 16 per rank, 2 ranks: 3 optimizer steps in the epoch
    state = json.loads((run_dirs[0] / "log_history.json").read_text())
    assert max(entry["step"] for entry in state) == 3
    assert "eval_accuracy" in metrics
