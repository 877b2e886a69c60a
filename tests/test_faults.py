"""Faults a long run meets: a full disk, SIGTERM from a scheduler, W&B's service dying."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import FAST
from hydratune.runtime.checkpoints import MARKER, latest_complete
from test_cli import run_script

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
