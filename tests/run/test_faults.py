"""Faults a long run meets: a full disk, SIGTERM from a scheduler, W&B's service dying."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import FAST, run_script
from hydratune.run.checkpoints import MARKER, latest_complete

CHECKPOINT_BYTES = 1_810_000  # one tiny_bert checkpoint (weights, optimizer, RNG, state)


def mount_tmpfs(path: Path, size: str) -> str | None:
    """Mount a tmpfs of ``size`` at ``path``; the reason when this machine does not let us."""
    path.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
    except OSError as err:
        return f"cannot run mount: {err}"
    return None if done.returncode == 0 else f"mount not permitted: {done.stderr.strip()}"


def remount(path: Path, size: str) -> None:
    subprocess.run(["mount", "-o", f"remount,size={size}", str(path)], check=True, timeout=30)


def unmount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], capture_output=True, timeout=30)


@pytest.mark.slow
def test_a_full_disk_at_a_checkpoint_fails_cleanly_and_resumes_once_space_is_freed(tmp_path):
    checkpoints = tmp_path / "checkpoints"
    # room for two checkpoints and part of a third
    reason = mount_tmpfs(checkpoints, f"{int(CHECKPOINT_BYTES * 2.45) // 1024}k")
    if reason:
        pytest.skip(reason)
    try:
        run_dir = tmp_path / "run"
        command = [
            *FAST, "logger=none", f"hydra.run.dir={run_dir}",
            f"trainer.args.output_dir={checkpoints}", "trainer.args.max_steps=8",
            "trainer.args.save_strategy=steps", "trainer.args.save_steps=2",
            "trainer.args.save_total_limit=null", "trainer.args.eval_strategy=no",
        ]  # fmt: skip
        first = run_script(*command, cwd=tmp_path)
        assert first.returncode != 0
        record = json.loads((run_dir / "run.json").read_text())
        assert record["status"] == "failed"
        assert record["error"]["type"] == "DiskFullError"
        message = record["error"]["message"]
        assert message.startswith(f"No space left on device while saving under {checkpoints}")
        assert "re-run the same command" in message
        assert "No space left on device" in first.stderr  # said on the console too
        # the two checkpoints that fitted are complete and kept; the third is half-written
        assert latest_complete(checkpoints) == (checkpoints / "checkpoint-4", 4)
        assert (checkpoints / "checkpoint-2" / MARKER).exists()
        assert not (checkpoints / "checkpoint-6" / MARKER).exists()
        assert "checkpoint-4 (step 4)" in message

        remount(checkpoints, "64m")  # space freed
        second = run_script(*command, cwd=tmp_path)
        assert second.returncode == 0, second.stderr[-3000:]
        record = json.loads((run_dir / "run.json").read_text())
        assert record["status"] == "completed" and "error" not in record
        assert record["resumed_from_step"] == 4 and record["attempt"] == 2
        state = json.loads((checkpoints / "checkpoint-8" / "trainer_state.json").read_text())
        assert state["global_step"] == state["max_steps"] == 8
        history = json.loads((run_dir / "log_history.json").read_text())
        assert max(entry["step"] for entry in history) == 8
        assert (run_dir / "model" / "model.safetensors").exists()
        assert "eval_accuracy" in json.loads((run_dir / "metrics.json").read_text())
    finally:
        unmount(checkpoints)


LONG = [*FAST, "trainer.args.num_train_epochs=40", "trainer.args.save_strategy=steps",
        "trainer.args.save_steps=3", "trainer.args.eval_strategy=no"]  # fmt: skip


def start_script(*args: str, cwd: Path) -> subprocess.Popen:
    import os
    import sys

    from conftest import REPO

    return subprocess.Popen(
        [sys.executable, str(REPO / "scripts" / "run.py"), *args],
        cwd=cwd, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def wait_for(predicate, timeout_s: float = 240, what: str = "") -> None:
    import time

    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


@pytest.mark.slow
def test_sigterm_marks_the_run_interrupted_and_keeps_its_checkpoints(tmp_path):
    import signal

    run_dir = tmp_path / "run"
    proc = start_script(*LONG, "logger=none", f"hydra.run.dir={run_dir}", cwd=tmp_path)
    try:
        wait_for(lambda: latest_complete(run_dir / "checkpoints"), what="a first checkpoint")
        proc.send_signal(signal.SIGTERM)  # as a cluster preempting the job does
        out, _ = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM, out[-3000:]
    record = json.loads((run_dir / "run.json").read_text())
    assert record["status"] == "interrupted"
    assert record["error"]["type"] == "Terminated"
    assert record["error"]["message"].startswith("stopped by SIGTERM (exit code 143)")
    assert "finished_at" in record and record["timings_s"]["total"] > 0
    assert latest_complete(run_dir / "checkpoints") is not None  # what a requeue resumes from


def test_sigterm_takes_the_requeue_path_of_sigusr2(tmp_path):
    """submitit handles SIGUSR2 by requeueing the job and exiting; SIGTERM goes the same way."""
    import os
    import signal

    from hydratune.run.lifecycle import Attempt, Lifecycle, RunContext

    requeued = []

    def requeue(signum, frame):  # what submitit's checkpoint_and_try_requeue ends with
        requeued.append(signal.Signals(signum).name)
        raise SystemExit(-1)

    previous = signal.signal(signal.SIGUSR2, requeue)
    try:
        life = Lifecycle(RunContext(tmp_path / "run", ["seed=1"]), Attempt("fresh"))
        with pytest.raises(SystemExit) as caught, life:
            os.kill(os.getpid(), signal.SIGTERM)
            signal.sigtimedwait([], 0.1)  # let the handler run
    finally:
        signal.signal(signal.SIGUSR2, previous)
    assert requeued == ["SIGUSR2"] and caught.value.code == -1
    record = json.loads((tmp_path / "run" / "run.json").read_text())
    assert record["status"] == "interrupted"
    assert "stopped by SIGTERM" in record["error"]["message"]
    assert signal.getsignal(signal.SIGTERM) is not None  # the previous handler is back


def test_sigterm_during_the_requeue_does_not_requeue_again(tmp_path):
    """``scontrol requeue`` makes SLURM send SIGTERM while submitit's SIGUSR2 handler is still
    running: a second requeue of the requeued job fails (exit 1) and used to fail the job at
    its second time limit."""
    import os
    import signal

    from hydratune.run.lifecycle import Attempt, Lifecycle, RunContext

    requeued = []

    def requeue(signum, frame):  # submitit's checkpoint_and_try_requeue, with SLURM's answer
        requeued.append(signal.Signals(signum).name)
        if len(requeued) > 1:
            raise subprocess.CalledProcessError(1, ["scontrol", "requeue", "1"])
        os.kill(os.getpid(), signal.SIGTERM)  # what `scontrol requeue` brings
        signal.sigtimedwait([], 0.1)  # the SIGTERM handler runs here, inside this one
        raise SystemExit(-1)

    previous = signal.signal(signal.SIGUSR2, requeue)
    try:
        life = Lifecycle(RunContext(tmp_path / "run", ["seed=1"]), Attempt("fresh"))
        with pytest.raises(SystemExit) as caught, life:
            os.kill(os.getpid(), signal.SIGUSR2)  # the time limit's signal
            signal.sigtimedwait([], 0.1)
        assert signal.getsignal(signal.SIGUSR2) is requeue  # submitit's handler is back
    finally:
        signal.signal(signal.SIGUSR2, previous)
    assert requeued == ["SIGUSR2"] and caught.value.code == -1
    assert json.loads((tmp_path / "run" / "run.json").read_text())["status"] == "interrupted"


def wandb_core_pids(parent: int) -> list[int]:
    """wandb-core service processes started under ``parent``."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if b"wandb-core" in cmdline and _descends(ppid, parent):
            found.append(int(proc.name))
    return found


def _descends(pid: int, ancestor: int) -> bool:
    while pid > 1:
        if pid == ancestor:
            return True
        try:
            pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            return False
    return False


@pytest.mark.slow
def test_training_outlives_the_wandb_service(tmp_path):
    import os
    import signal

    run_dir = tmp_path / "run"
    proc = start_script(
        *LONG, "trainer.args.num_train_epochs=4", "trainer.args.logging_steps=1",
        f"hydra.run.dir={run_dir}", cwd=tmp_path,
    )  # fmt: skip
    try:
        wait_for(lambda: latest_complete(run_dir / "checkpoints"), what="a first checkpoint")
        services = wandb_core_pids(proc.pid)
        assert services, "no wandb-core process found under the run"
        for pid in services:
            os.kill(pid, signal.SIGKILL)
        out, _ = proc.communicate(timeout=400)
    finally:
        proc.kill()
    assert proc.returncode == 0, out[-4000:]
    record = json.loads((run_dir / "run.json").read_text())
    assert record["status"] == "completed"
    history = json.loads((run_dir / "log_history.json").read_text())
    assert max(entry["step"] for entry in history) == 24  # 4 epochs x 6 steps: all of it
    assert "eval_accuracy" in json.loads((run_dir / "metrics.json").read_text())


@pytest.mark.slow
def test_a_full_disk_at_the_final_save_still_records_why(tmp_path):
    """The run dir itself fills up: run.json (rewritten in its own pages) still says why."""
    from conftest import compose_config
    from hydratune.config.errors import DiskFullError
    from hydratune.pipeline import run

    run_dir = tmp_path / "run"
    reason = mount_tmpfs(run_dir, "256k")  # reports fit, the 0.6 MB model does not
    if reason:
        pytest.skip(reason)
    try:
        overrides = [*FAST, "logger=none", f"trainer.args.output_dir={tmp_path / 'ckpt'}",
                     "trainer.args.num_train_epochs=1"]  # fmt: skip
        with pytest.raises(DiskFullError, match=f"while saving under {run_dir}"):
            run(compose_config(*overrides), run_dir=run_dir)
        record = json.loads((run_dir / "run.json").read_text())
        assert record["status"] == "failed" and record["error"]["type"] == "DiskFullError"
        assert "No space left on device" in record["error"]["message"]
        assert latest_complete(tmp_path / "ckpt") is not None  # the epoch's checkpoint is kept
    finally:
        unmount(run_dir)
