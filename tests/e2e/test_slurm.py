"""The submitit launcher presets, and a sweep through a real SLURM cluster (hydra/launcher=slurm).

The sweep needs a cluster with an idle node in a partition `debug`: `scripts/slurm_cluster.sh up`
starts one on this machine (as root; .ci/run does it), else that test skips and says why.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from conftest import CONF, FAST, run_script
from helpers.wandb_offline import summary

FINAL_STATES = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL"}
SWEEP_TIMEOUT_S = 420  # SLURM kills a job after timeout_min=5; a stuck cluster must not hang CI


def _no_cluster_reason(wait_s: float = 120) -> str | None:
    """Why no sweep can run here; the node may still be COMPLETING the last test's jobs, so an
    idle one is awaited for ``wait_s`` first."""
    deadline = time.monotonic() + wait_s
    while (reason := _no_idle_node()) and "no idle node" in reason and time.monotonic() < deadline:
        time.sleep(3)
    return reason


def _no_idle_node() -> str | None:
    missing = [tool for tool in ("sbatch", "sinfo", "srun", "sacct") if shutil.which(tool) is None]
    if missing:
        return f"SLURM tools not installed ({', '.join(missing)}): scripts/slurm_cluster.sh up"
    try:
        idle = subprocess.run(
            ["sinfo", "-h", "-p", "debug", "-t", "idle", "-o", "%n"],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return "sinfo did not answer in 30 s: is slurmctld up? (scripts/slurm_cluster.sh status)"
    if idle.returncode != 0 or not idle.stdout.strip():
        said = (idle.stderr or idle.stdout).strip() or "no idle node"
        return f"no idle node in partition debug ({said}): scripts/slurm_cluster.sh up"
    return None


def _sacct_states(job_ids: list[str], wait_s: float = 60) -> dict[str, str]:
    """Final SLURM states; a job whose result is written may still be COMPLETING for a moment."""
    deadline = time.monotonic() + wait_s
    while True:
        done = subprocess.run(
            ["sacct", "-n", "-X", "-P", "-o", "JobID,State", "-j", ",".join(job_ids)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        states = dict(line.split("|", 1) for line in done.stdout.splitlines() if "|" in line)
        if (states and set(states.values()) <= FINAL_STATES) or time.monotonic() > deadline:
            return states
        time.sleep(1)


def _cancel_jobs_of(sweep) -> None:
    ids = [p.name for p in (sweep / ".submitit").glob("*_*") if p.is_dir()]
    if ids:
        subprocess.run(["scancel", *ids], capture_output=True, timeout=60)


def slurm_sweep(tmp_path, *overrides: str):
    """Run a small sweep through the cluster (skip if there is none); return its sweep dir."""
    reason = _no_cluster_reason()
    if reason:
        pytest.skip(reason)
    sweep = tmp_path / "sweep"
    finished = False
    try:
        done = run_script(
            "-m", "hydra/launcher=slurm", "hydra.launcher.partition=debug",
            "hydra.launcher.timeout_min=5", "hydra.launcher.cpus_per_task=1", *overrides,
            *FAST, "trainer.args.num_train_epochs=1", f"hydra.sweep.dir={sweep}",
            cwd=tmp_path, timeout=SWEEP_TIMEOUT_S,
        )  # fmt: skip
        finished = done.returncode == 0
    finally:
        if not finished:  # a timed-out or failed sweep leaves nothing queued or running
            _cancel_jobs_of(sweep)
    assert done.returncode == 0, done.stderr[-3000:]
    return sweep


def launcher_config(*overrides: str):
    with initialize_config_dir(str(CONF), version_base="1.3"):
        return compose("config", overrides=list(overrides), return_hydra_config=True).hydra.launcher


def test_launcher_presets_extend_the_plugin_and_resolve_their_shell_lines(monkeypatch):
    pytest.importorskip("hydra_plugins.hydra_submitit_launcher")
    monkeypatch.setenv("VIRTUAL_ENV", "/opt/venv")
    slurm = launcher_config("hydra/launcher=slurm", "hydra.launcher.partition=debug")
    assert slurm._target_.endswith("submitit_launcher.SlurmLauncher")
    assert slurm.partition == "debug" and slurm.max_num_timeout > 0
    assert slurm.additional_parameters == {"requeue": True}
    assert {"qos", "account", "gres", "signal_delay_s", "array_parallelism"} <= set(slurm)
    setup = OmegaConf.to_container(slurm.setup, resolve=True)
    assert setup[0].startswith('venv="/opt/venv";')  # the submitting venv, resolved at submit
    assert "$SLURM_CPUS_PER_TASK" in setup[1]  # left for the job's shell
    local = launcher_config("hydra/launcher=local")
    assert local._target_.endswith("submitit_launcher.LocalLauncher")


@pytest.mark.slow
@pytest.mark.slurm
def test_slurm_sweep_leaves_complete_run_dirs_from_jobs_that_ran_under_slurm(tmp_path):
    sweep = slurm_sweep(tmp_path, "seed=1,2")

    runs, slurm_ids = [], []
    for num in ("0", "1"):
        job = sweep / num
        record = json.loads((job / "run.json").read_text())
        assert record["status"] == "completed"
        expected = {"metrics.json", "model", "checkpoints", ".hydra", "wandb"}
        assert expected <= {p.name for p in job.iterdir()}
        assert "eval_accuracy" in json.loads((job / "metrics.json").read_text())
        (wandb_file,) = (job / "wandb").glob("offline-run-*/run-*.wandb")
        logged = summary(wandb_file)
        assert logged["run_id"] == record["wandb_run_id"] and logged["exit_code"] == 0
        runs.append(logged)
        # hydra.job.id is SLURM's (<array job>_<task>), read by submitit inside the running job
        slurm_id = str(OmegaConf.load(job / ".hydra" / "hydra.yaml").hydra.job.id)
        slurm_ids.append(slurm_id)
        logs = sweep / ".submitit" / slurm_id
        assert (logs / f"{slurm_id}_0_result.pkl").exists()  # <job>_<task>_result.pkl
        assert "Job completed successfully" in (logs / f"{slurm_id}_0_log.out").read_text()
    assert len({r["run_id"] for r in runs}) == 2  # one W&B run per job
    assert {r["group"] for r in runs} == {f"{sweep.parent.name}_{sweep.name}"}
    assert _sacct_states(slurm_ids) == dict.fromkeys(slurm_ids, "COMPLETED")


@pytest.mark.slow
@pytest.mark.slurm
def test_a_slurm_job_of_two_tasks_trains_as_two_ddp_ranks(tmp_path):
    # two tasks of one job, as with one task per GPU
    sweep = slurm_sweep(tmp_path, "hydra.launcher.tasks_per_node=2", "hydra.launcher.mem_gb=4")
    record = json.loads((sweep / "0" / "run.json").read_text())
    assert record["status"] == "completed" and record["world_size"] == 2
    history = json.loads((sweep / "0" / "log_history.json").read_text())
    # 96 rows, batch 16 on each of 2 ranks: 3 optimizer steps, not 6 (each rank its own half)
    assert max(entry["step"] for entry in history) == 3
    assert len(list((sweep / "0" / "wandb").glob("offline-run-*"))) == 1  # rank 0 only


def _record(path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):  # not written yet
        return {}


@pytest.mark.slow
@pytest.mark.slurm
def test_a_job_that_reaches_its_time_limit_again_is_requeued_again_and_resumes(tmp_path):
    """Two time limits, two requeues: the third attempt resumes from a checkpoint in the same
    W&B run. (Attempt 3 is where this stops: a job of 2-minute attempts never completes.)"""
    import os
    import sys

    from conftest import REPO

    reason = _no_cluster_reason()
    if reason:
        pytest.skip(reason)
    sweep, log = tmp_path / "sweep", (tmp_path / "sweep.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "scripts" / "run.py"), "-m", "hydra/launcher=slurm",
         "hydra.launcher.partition=debug", "hydra.launcher.cpus_per_task=1",
         "hydra.launcher.timeout_min=2", "hydra.launcher.signal_delay_s=60",
         "trainer.args.max_steps=100000", "data.max_train_samples=96", "data.max_eval_samples=32",
         "trainer.args.disable_tqdm=true", f"hydra.sweep.dir={sweep}"],
        cwd=tmp_path, env={**os.environ, "PYTHONUNBUFFERED": "1"}, stdout=log, stderr=log,
    )  # fmt: skip
    record, deadline = {}, time.monotonic() + 2 * SWEEP_TIMEOUT_S  # three 2-minute attempts
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            record = _record(sweep / "0" / "run.json")
            if record.get("attempt", 0) >= 3:
                break
            time.sleep(2)
    finally:
        _cancel_jobs_of(sweep)
        proc.kill()
        log.close()
    said = (tmp_path / "sweep.log").read_text()[-3000:]
    job_logs = "".join(p.read_text() for p in sweep.glob(".submitit/*/*_log.*"))
    assert record.get("attempt", 0) >= 3, f"{record}\n{said}\n{job_logs[-3000:]}"
    assert record["resumed_from_step"] > 0
    assert job_logs.count("Requeued job") >= 2 and "CalledProcessError" not in job_logs
    runs = {p.name.rsplit("-", 1)[1] for p in (sweep / "0" / "wandb").glob("offline-run-*")}
    assert runs == {record["wandb_run_id"]}  # every attempt in the first attempt's W&B run
    print(f"attempt {record['attempt']}, resumed from step {record['resumed_from_step']}, "
          f"W&B run {record['wandb_run_id']}")  # fmt: skip
