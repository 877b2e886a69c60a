"""Checkpoints a resume can trust.

Trainer writes a checkpoint in several steps (weights, optimizer, scheduler, RNG, state); a
process killed in between leaves a folder that looks like a checkpoint but is not one. Once
Trainer has finished saving, :class:`MarkComplete` drops a marker file in the folder, and
:func:`latest_complete` only ever picks folders that have it.
"""

from __future__ import annotations

import errno
import json
import re
import shutil
from contextlib import contextmanager
from pathlib import Path

from transformers import TrainerCallback

MARKER = "hydratune_complete.json"
_STEP = re.compile(r"^checkpoint-(\d+)$")


class MarkComplete(TrainerCallback):
    """``on_save`` runs after Trainer wrote every file of ``checkpoint-<step>``."""

    def on_save(self, args, state, control, **kwargs):
        folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        if state.is_world_process_zero and folder.is_dir():
            tmp = folder / f".{MARKER}.tmp"
            tmp.write_text(json.dumps({"step": state.global_step}))
            tmp.replace(folder / MARKER)
        return control


def latest_complete(output_dir: Path) -> tuple[Path, int] | None:
    """The newest checkpoint folder that finished saving, with its step."""
    found = []
    for folder in Path(output_dir).glob("checkpoint-*"):
        match = _STEP.match(folder.name)
        if match and (folder / MARKER).exists():
            found.append((int(match.group(1)), folder))
    if not found:
        return None
    step, folder = max(found)
    return folder, step


_WRITE_FAILED = ("no space left", "file write failed", "storagefull", "unexpected pos")
LOW_SPACE_BYTES = 16 * 2**20  # what "full" means when a library's error does not say ENOSPC


@contextmanager
def disk_full_explained(checkpoint_dir: Path, run_dir: Path):
    """Turn a save that ran out of space (torch, safetensors and Trainer each say it their way)
    into one message: where, how much is free, what was kept, how to go on."""
    try:
        yield
    except Exception as err:
        where = _full_disk(err, [Path(checkpoint_dir), Path(run_dir)])
        if where is None:
            raise
        from hydratune.config.errors import DiskFullError

        kept = latest_complete(checkpoint_dir)
        kept_said = f"{kept[0]} (step {kept[1]}) and the earlier ones" if kept else "none yet"
        raise DiskFullError(
            f"No space left on device while saving under {where} "
            f"({_free(where) / 2**20:.1f} MiB free): {err}. Complete checkpoints kept: "
            f"{kept_said}. Free some space (or set trainer.args.output_dir to a disk with room) "
            "and re-run the same command into the same hydra.run.dir: it resumes from the last "
            "complete checkpoint."
        ) from err


def _full_disk(err: BaseException, dirs: list[Path]) -> Path | None:
    """The dir whose disk is full, when ``err`` (or its cause) is an out-of-space write."""
    chain, seen = [], err
    while seen is not None and len(chain) < 10:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    said_enospc = any(getattr(e, "errno", None) == errno.ENOSPC for e in chain)
    said_write = any(word in str(e).lower() for e in chain for word in _WRITE_FAILED)
    if not (said_enospc or said_write):
        return None
    existing = [d for d in dirs if _nearest_existing(d) is not None]
    if not existing:
        return None
    fullest = min(existing, key=_free)
    return fullest if said_enospc or _free(fullest) < LOW_SPACE_BYTES else None


def _free(path: Path) -> int:
    return shutil.disk_usage(_nearest_existing(path)).free


def _nearest_existing(path: Path) -> Path | None:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return None
