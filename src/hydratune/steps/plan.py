"""``plan=true``: measure what this run costs, estimate it, train nothing.

The first job of a *shape* (:mod:`hydratune.steps.plan_shape`) builds the real run (model,
tokenizer, tokenized data, the configured Trainer) and takes ``plan_steps`` real optimizer
steps on the real data, plus a few eval batches and one checkpoint save; the measurement is
kept in ``<sweep dir>/plan_shapes/<shape>.json``. Every job (the first one too) then gets its
estimate from its own step count, evaluation and save schedule, in well under a second when
its shape is measured already. Each job writes ``plan.json`` in its run dir; a sweep's jobs are
gathered into the sweep dir's by :class:`hydratune.run.plan_sweep.PlanSweep`.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
from pathlib import Path

from omegaconf import OmegaConf

from hydratune.config.kinds import Kind
from hydratune.run.memory import peak_memory_mb
from hydratune.run.plan_table import describe, job_overrides
from hydratune.run.record import write_json
from hydratune.steps.plan_shape import schedule, shape_key

WARMUP_STEPS = 2  # left out of the timing: allocator growth, lazy kernels, first caches
EVAL_BATCHES = 3
_PROCESS_START: float | None = None  # seconds from process start to the first run's start


def plan_run(cfg, data, hooks, modes, args: dict, life) -> dict:
    """The pipeline's ``plan=true`` branch: this job's estimate, in ``<run dir>/plan.json``."""
    global _PROCESS_START
    if _PROCESS_START is None:  # the first job of this process: imports, composition
        _PROCESS_START = round(process_age() - sum(life.record.data["timings_s"].values()), 2)
    life.status_on_success = "planned"
    context = life.context
    key = shape_key(OmegaConf.to_container(cfg, resolve=True))
    cache = (context.sweep_dir or context.run_dir) / "plan_shapes" / f"{key}.json"
    if cache.exists():
        shape = json.loads(cache.read_text())
    else:
        setup = sum(life.record.data["timings_s"].values())  # validate + load_data so far
        shape = measure_shape(cfg, data, hooks, modes, args, setup)
        cache.parent.mkdir(parents=True, exist_ok=True)
        write_json(cache, {"shape": key, **shape})
    job = {"job": context.run_dir.name, "overrides": job_overrides(context.overrides),
           "shape": key, **estimate(shape, args, data, modes),
           "est_process_start_seconds": _PROCESS_START}  # fmt: skip
    write_json(context.run_dir / "plan.json", {"jobs": [job], "shapes": {key: shape}})
    if context.sweep_dir is None:  # a sweep prints one table for all its jobs at the end
        print(describe([job], cfg.get("plan_margin") or 1.0))
    return job


def measure_shape(cfg, data, hooks, modes, args: dict, setup_seconds: float) -> dict:
    """Build the real run and time ``plan_steps`` optimizer steps, eval and a save."""
    from hydratune.config.build import build
    from hydratune.steps.modes import splits_to_tokenize
    from hydratune.training.measure import (
        StepTimer,
        checkpoint_sizes,
        measure_eval,
        measure_training,
    )
    from hydratune.training.throughput import count_tokens

    started = time.monotonic()
    use_job_threads()
    tracker_seconds = time_tracker(cfg.logger)
    _seed(cfg.seed)
    model, tokenizer = build(cfg.model, data=data)
    model = build(cfg.peft, model=model)
    datasets = splits_to_tokenize(data, modes).tokenize(tokenizer)
    steps = WARMUP_STEPS + int(cfg.get("plan_steps") or 8)
    with tempfile.TemporaryDirectory(prefix="hydratune-plan-") as scratch:
        timer = StepTimer()
        trainer = build(
            cfg.trainer, args=measuring_args(args, scratch, steps), data=data, model=model,
            tokenizer=tokenizer, train_dataset=datasets.get("train"),
            eval_dataset=datasets.get("eval"),
            data_collator=build(cfg.collator, tokenizer=tokenizer),
            compute_loss_func=hooks.compute_loss_func, compute_metrics=hooks.compute_metrics,
            callbacks=[timer],
        )  # fmt: skip
        timer.counter = count_tokens(trainer, with_targets=data.kind == Kind.SEQ2SEQ)
        batches = len(trainer.get_train_dataloader())
        ready = time.monotonic()
        measured = measure_training(trainer, timer, WARMUP_STEPS)
        eval_row = measure_eval(trainer, datasets.get("eval"), EVAL_BATCHES) if modes.eval else 0
        sizes = checkpoint_sizes(scratch)
    peaks = peak_memory_mb()  # since the run started: data, model, steps, eval and a save
    rows = len(trainer.train_dataset)
    return {
        **measured,
        "startup_seconds": round(setup_seconds + ready - started - tracker_seconds, 3),
        "tracker_seconds": tracker_seconds,
        "seconds_per_micro_batch": round(
            measured["seconds_per_step"] / trainer.args.gradient_accumulation_steps, 5
        ),
        "train_rows": rows,
        "batches_per_row": batches / max(rows, 1),
        "eval_seconds_per_row": eval_row,
        "peak_memory_mb": peaks["rss"],
        "peak_gpu_memory_mb": peaks.get("gpu_allocated"),
        "threads": _threads(),
        "measure_seconds": round(time.monotonic() - started, 2),
        **sizes,
    }


def measuring_args(args: dict, scratch: str, steps: int) -> dict:
    """The run's own ``trainer.args`` for ``steps`` steps: one save at the end (its size and
    time), no evaluation or reporting, checkpoints in a scratch dir."""
    measuring = dict(args)
    measuring.update(
        output_dir=scratch, report_to="none", run_name="plan", max_steps=steps,
        eval_strategy="no", save_strategy="steps", save_steps=steps, save_total_limit=None,
        load_best_model_at_end=False, disable_tqdm=True, do_train=True,
    )  # fmt: skip
    if measuring.get("use_cpu") is None:
        import torch

        measuring["use_cpu"] = not torch.cuda.is_available()
    return measuring


def estimate(shape: dict, args: dict, data, modes) -> dict:
    """A job's time, memory and disk from its shape's rates and its own schedule."""
    rows = len(data.splits["train"]) if modes.train else 0
    batches = math.ceil(rows * shape["batches_per_row"])
    eval_rows = len(data.splits["eval"]) if modes.eval and "eval" in data.splits else 0
    plan = schedule(args, batches, eval_rows, modes.eval) if modes.train else _eval_only(modes)
    train = plan["micro_batches"] * shape["seconds_per_micro_batch"]
    train += plan["saves"] * shape["save_seconds"]
    evaluate = plan["evaluations"] * eval_rows * (shape["eval_seconds_per_row"] or 0)
    final_save = shape["save_seconds"] if modes.train else 0
    total = shape["startup_seconds"] + shape["tracker_seconds"] + train + evaluate + final_save
    return {
        "est_train_seconds": round(train, 1),
        "est_total_seconds": round(total, 1),
        "est_peak_memory_mb": shape["peak_memory_mb"],
        "est_peak_gpu_memory_mb": shape.get("peak_gpu_memory_mb"),
        "est_eval_seconds": round(evaluate, 1),
        "est_disk_mb": round(
            plan["kept_checkpoints"] * shape["checkpoint_mb"] + shape["model_mb"] * modes.train, 1
        ),  # fmt: skip
        **plan,
    }


def _eval_only(modes) -> dict:
    return {"steps": 0, "micro_batches": 0, "evaluations": int(modes.eval), "saves": 0,
            "kept_checkpoints": 0}  # fmt: skip


def time_tracker(logger) -> float:
    """Seconds to open and finish the run's tracker, in a scratch dir: a W&B run costs seconds
    per job. Only offline trackers are opened (an online one would show up in the project)."""
    from hydratune.config.build import build

    if str(logger.get("mode", "offline")) not in ("offline", "disabled"):
        return 0.0
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="hydratune-plan-") as scratch:
        tracker = build(logger, run_dir=scratch, config={}, default_name="plan",
                        default_group=None, default_job_type=None, resume_id=None)  # fmt: skip
        tracker.finish(exit_code=0)
    return round(time.monotonic() - started, 3)


def use_job_threads() -> None:
    """Measure with the torch threads a SLURM job will have (``OMP_NUM_THREADS`` =
    ``cpus_per_task`` in its setup), not this machine's; local and joblib jobs already share
    the cores here as they will when launched."""
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        return
    hydra = HydraConfig.get()
    cpus = hydra.launcher.get("cpus_per_task")
    if hydra.runtime.choices.get("hydra/launcher") == "slurm" and isinstance(cpus, int):
        import torch

        torch.set_num_threads(cpus)


def process_age() -> float:
    """Seconds since this process started (Linux; 0 elsewhere): what a fresh job process
    spends on imports and composition before its run starts, outside run.json's timings."""
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22: start, in ticks
        return float(Path("/proc/uptime").read_text().split()[0]) - started
    except (OSError, ValueError, IndexError):
        return 0.0


def _seed(seed: int) -> None:
    from transformers import set_seed

    set_seed(seed)


def _threads() -> int:
    import torch

    return torch.get_num_threads()


__all__ = ["plan_run"]
