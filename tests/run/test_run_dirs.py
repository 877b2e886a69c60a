"""A run dir is never written by two runs: same-second launches get siblings, a dir in use
is refused at once, and resumes and sweeps still find their dirs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import pytest
import torch

from conftest import FAST, REPO, compose_config
from hydratune.config.errors import ConfigError
from hydratune.pipeline import run
from hydratune.run import claim


def _claim_in_a_fresh_process(path: str) -> str:
    claim._claimed.clear()  # a forked worker starts with the parent's memo: forget it
    return claim.claim(path)


def test_processes_claiming_one_path_get_distinct_dirs(tmp_path):
    path = str(tmp_path / "outputs" / "2026-12-01" / "20-04-25")
    with ProcessPoolExecutor(4) as pool:
        got = list(pool.map(_claim_in_a_fresh_process, [path] * 8))
    assert sorted(got) == sorted([path] + [f"{path}_{n}" for n in range(1, 8)])
    assert claim.claim(path) == claim.claim(path)  # one claim per process, however often read


@pytest.mark.slow
def test_a_sweep_claims_nothing_beside_its_job_dirs(tmp_path):
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "run.py"), "-m", "seed=1,2", "dry_run=true",
         "logger=none", f"hydra.sweep.dir={tmp_path / 'sweep'}"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert not (tmp_path / "outputs").exists()  # hydra.run.dir is not a sweep's business
    for job in ("0", "1"):
        record = json.loads((tmp_path / "sweep" / job / "run.json").read_text())
        assert record["status"] == "dry_run"


def test_a_dir_in_use_by_a_live_run_is_refused_at_once(tmp_path):
    run_dir = tmp_path / "run"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from hydratune.run import claim; "
         f"claim.hold({str(run_dir)!r}); print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True, env={**os.environ},
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        with pytest.raises(ConfigError, match="is in use by another live run") as caught:
            run(compose_config(*FAST, "logger=none"), run_dir=run_dir)
        assert f'"pid": {holder.pid}' in str(caught.value)
        assert time.monotonic() - started < 5
        assert not (run_dir / "run.json").exists()  # the live run's record is left alone
    finally:
        holder.kill()
        holder.wait()
    # the holder died (as a killed run does): its lock went with it, the dir is usable again
    run(compose_config(*FAST, "logger=none", "dry_run=true"), run_dir=run_dir)
    assert json.loads((run_dir / "run.json").read_text())["status"] == "dry_run"


@pytest.mark.slow
def test_six_runs_started_in_the_same_second_get_six_complete_dirs(tmp_path):
    """As a launch loop does: six ``scripts/run.py`` at once, one timestamp (forced to the same
    second through the variable torchrun ranks use to share rank 0's time)."""
    env = {**os.environ, "HYDRATUNE_START_TIME": "2026-12-01T20-04-25", "PYTHONUNBUFFERED": "1"}
    tiny = ["logger=none", "data.max_train_samples=32", "data.max_eval_samples=16",
            "trainer.args.per_device_train_batch_size=4", "trainer.args.disable_tqdm=true",
            "trainer.args.dataloader_num_workers=0"]  # fmt: skip
    script = str(REPO / "scripts" / "run.py")
    procs = {}
    for seed in range(1, 7):
        command = [sys.executable, script, *tiny, f"seed={seed}", f"trainer.args.max_steps={seed}"]
        procs[seed] = subprocess.Popen(
            command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
    for seed, proc in procs.items():
        out, _ = proc.communicate(timeout=600)
        assert proc.returncode == 0, f"seed={seed}:\n{out[-3000:]}"
    base = tmp_path / "outputs" / "2026-12-01" / "20-04-25"
    dirs = sorted(base.parent.iterdir())
    assert [d.name for d in dirs] == ["20-04-25"] + [f"20-04-25_{n}" for n in range(1, 6)]
    seeds = set()
    for run_dir in dirs:
        record = json.loads((run_dir / "run.json").read_text())
        assert record["status"] == "completed"
        seed = int(next(o for o in record["overrides"] if o.startswith("seed="))[5:])
        seeds.add(seed)
        # this dir's checkpoint, metrics and Hydra record are those of its own overrides
        (checkpoint,) = (run_dir / "checkpoints").glob("checkpoint-*")
        state = json.loads((checkpoint / "trainer_state.json").read_text())
        assert state["global_step"] == state["max_steps"] == seed
        args = torch.load(checkpoint / "training_args.bin", weights_only=False)
        assert args.seed == seed and args.max_steps == seed
        history = json.loads((run_dir / "log_history.json").read_text())
        assert max(entry["step"] for entry in history) == seed
        assert "eval_accuracy" in json.loads((run_dir / "metrics.json").read_text())
        hydra_overrides = (run_dir / ".hydra" / "overrides.yaml").read_text()
        assert f"seed={seed}" in hydra_overrides  # .hydra/ not clobbered by another run
    assert seeds == set(range(1, 7))


def test_two_runs_in_one_process_cannot_share_a_dir(tmp_path):
    """A launcher's worker threads are runs of one process: the lock still tells them apart."""
    run_dir = tmp_path / "run"
    claim.hold(run_dir)
    try:
        with pytest.raises(ConfigError, match="is in use by another live run"):
            claim.hold(run_dir)
    finally:
        claim.release(run_dir)
    claim.hold(run_dir)  # released: free again
    claim.release(run_dir)
