"""A few real optimizer steps on a built Trainer, timed: what a plan extrapolates from.

The first ``warmup`` steps (allocator growth, lazy kernels, the first batches' caches) are left
out; the rest give seconds per sample, real tokens per second and the peak memory. One
checkpoint is written the way Trainer writes them (its own save at the last step) to learn its
size on disk and how long a save takes; a few eval batches give the evaluation speed.
"""

from __future__ import annotations

import time
from pathlib import Path

from transformers import TrainerCallback

WEIGHTS = (".safetensors", ".bin")


class StepTimer(TrainerCallback):
    """The time and the real tokens so far (``counter``'s) at the end of every optimizer step,
    and how long the last save took."""

    def __init__(self, counter=None):
        self.counter = counter
        self.ends: list[tuple[float, int]] = []
        self.save_seconds = 0.0

    def on_step_end(self, args, state, control, **kwargs):
        tokens = self.counter.train.real if self.counter is not None else 0
        self.ends.append((time.perf_counter(), tokens))

    def on_save(self, args, state, control, **kwargs):
        self.save_seconds = round(time.perf_counter() - self.ends[-1][0], 3)


def measure_training(trainer, timer: StepTimer, warmup: int) -> dict:
    """Train ``trainer.args.max_steps`` steps; rates from the steps after ``warmup`` (each
    step's time runs from the previous step's end: data loading and logging included)."""
    trainer.train()
    (t0, tokens0), (t1, tokens1) = timer.ends[max(warmup - 1, 0)], timer.ends[-1]
    steps = len(timer.ends) - max(warmup, 1)
    args = trainer.args
    samples_per_step = args.train_batch_size * args.gradient_accumulation_steps * args.world_size
    return {
        "timed_steps": steps,
        "seconds_per_step": round((t1 - t0) / steps, 4),
        "seconds_per_sample": round((t1 - t0) / steps / samples_per_step, 6),
        "samples_per_second": round(samples_per_step * steps / (t1 - t0), 2),
        "real_tokens_per_second": round((tokens1 - tokens0) / (t1 - t0), 1),
        "save_seconds": timer.save_seconds,
    }


def measure_eval(trainer, dataset, batches: int) -> float | None:
    """Seconds per eval row: one warm-up batch, then ``batches`` batches of rows drawn at random
    (eval batches are length-sorted, so the first rows are not typical)."""
    if dataset is None or len(dataset) == 0:
        return None
    size = trainer.args.eval_batch_size
    rows = dataset.shuffle(seed=0).select(range(min(len(dataset), size * (batches + 1))))
    trainer.evaluate(rows.select(range(min(len(rows), size))))  # warm-up
    started = time.perf_counter()
    trainer.evaluate(rows)
    return round((time.perf_counter() - started) / len(rows), 6)


def checkpoint_sizes(output_dir: str) -> dict:
    """MB of the last checkpoint Trainer wrote, and of the model files in it (what the run
    saves to model/ at the end)."""
    checkpoints = sorted(Path(output_dir).glob("checkpoint-*"))
    if not checkpoints:
        return {"checkpoint_mb": 0.0, "model_mb": 0.0}
    files = [p for p in checkpoints[-1].rglob("*") if p.is_file()]
    weights = [p for p in files if p.suffix in WEIGHTS and "optimizer" not in p.name]
    return {
        "checkpoint_mb": round(sum(p.stat().st_size for p in files) / 2**20, 2),
        "model_mb": round(sum(p.stat().st_size for p in weights) / 2**20, 2),
    }
