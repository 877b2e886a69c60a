"""A resumed run reports what an uninterrupted one would.

``Trainer.train()`` describes one call: after a resume from step S its ``train_loss`` averages
steps S+1..G only, and ``train_runtime``, samples/s and our token counts cover this attempt
alone. :class:`AcrossAttempts` carries the rest from the checkpoint the attempt resumed from:

- the loss: Trainer logs the mean loss of each logging window into ``log_history``, which the
  checkpoint's ``trainer_state.json`` keeps; forcing a log at every save makes a window end at
  each checkpoint, so the loss summed over steps 1..S is exact (``loss x window`` per entry);
- runtime, train tokens and the tracker's step: written beside the checkpoint's files
  (``hydratune_totals.json``) before its completion marker, read back when training resumes.

``total_flos``, ``epoch`` and ``global_step`` already come back with Trainer's own state.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from transformers import TrainerCallback

from hydratune.training.throughput import Tally, TokenCounter

TOTALS = "hydratune_totals.json"


class AcrossAttempts(TrainerCallback):
    """Carries runtime, tokens and the tracker's step through checkpoints; see the module."""

    def __init__(self, counter: TokenCounter, tracker=None, resume_from: Path | None = None):
        self.counter = counter
        self.tracker = tracker
        self.carried = read_totals(resume_from) if resume_from else {}
        self.resumed_at = 0  # the global step this attempt started from
        self._started = time.monotonic()

    def on_train_begin(self, args, state, control, **kwargs):
        self._started = time.monotonic()
        self.resumed_at = state.global_step
        if self.resumed_at:
            self.counter.train.add(Tally(**self.carried.get("train_tokens", {})))
            continue_steps = getattr(self.tracker, "continue_steps", None)
            if continue_steps and self.carried.get("tracker_step"):
                continue_steps(self.carried["tracker_step"], self.resumed_at)

    def on_step_end(self, args, state, control, **kwargs):
        if control.should_save:
            control.should_log = True  # a logging window ends at every checkpoint (module doc)
        return control

    def on_save(self, args, state, control, **kwargs):
        folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        if state.is_world_process_zero and folder.is_dir():
            tmp = folder / f".{TOTALS}.tmp"
            tmp.write_text(json.dumps(self.totals()))
            tmp.replace(folder / TOTALS)
        return control

    def totals(self) -> dict:
        """What the attempts so far spent and saw, up to now."""
        train = self.counter.trained()
        return {
            "train_runtime": self.carried.get("train_runtime", 0.0) + self.elapsed(),
            "train_tokens": {"real": train.real, "total": train.total},
            "tracker_step": getattr(self.tracker, "step", None),
        }

    def elapsed(self) -> float:
        return time.monotonic() - self._started

    def whole_run(self, metrics: dict, state) -> dict:
        """``metrics`` of ``train()`` (this attempt) made to cover every attempt."""
        if not self.resumed_at:
            return metrics
        steps = state.global_step
        now = steps - self.resumed_at
        runtime = self.carried.get("train_runtime", 0.0) + metrics["train_runtime"]
        before = loss_sum(state.log_history, self.resumed_at)
        samples = metrics["train_samples_per_second"] * metrics["train_runtime"] * steps / now
        return {
            **metrics,
            "train_loss": (before + metrics["train_loss"] * now) / steps,
            "train_runtime": round(runtime, 4),
            "train_samples_per_second": round(samples / runtime, 3),
            "train_steps_per_second": round(steps / runtime, 3),
        }

    def finished_run(self, state, args) -> dict:
        """Train metrics of a run whose last attempt found training already done."""
        self.counter.train.add(Tally(**self.carried.get("train_tokens", {})))
        steps = state.global_step
        runtime = self.carried.get("train_runtime") or float("nan")  # an older checkpoint
        samples = steps * args.train_batch_size * args.gradient_accumulation_steps
        samples *= args.world_size
        return {
            "train_loss": loss_sum(state.log_history, steps) / steps,
            "train_runtime": round(runtime, 4),
            "train_samples_per_second": round(samples / runtime, 3),
            "train_steps_per_second": round(steps / runtime, 3),
            "epoch": state.epoch,
        }


def loss_sum(log_history: list[dict], until_step: int) -> float:
    """The training loss summed over steps 1..``until_step`` from Trainer's logged means."""
    total, previous = 0.0, 0
    for entry in log_history:
        if "loss" in entry and entry["step"] <= until_step:
            total += entry["loss"] * (entry["step"] - previous)
            previous = entry["step"]
    return total


def read_totals(checkpoint: Path) -> dict:
    """What the attempts before this one left in ``checkpoint`` (nothing: an older one)."""
    try:
        return json.loads((Path(checkpoint) / TOTALS).read_text())
    except (OSError, ValueError):
        return {}
