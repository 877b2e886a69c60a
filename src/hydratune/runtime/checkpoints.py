"""Checkpoints a resume can trust.

Trainer writes a checkpoint in several steps (weights, optimizer, scheduler, RNG, state); a
process killed in between leaves a folder that looks like a checkpoint but is not one. Once
Trainer has finished saving, :class:`MarkComplete` drops a marker file in the folder, and
:func:`latest_complete` only ever picks folders that have it.
"""

from __future__ import annotations

import json
import re
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
