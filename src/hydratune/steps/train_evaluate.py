"""Train (resuming where an attempt left off), save the model, evaluate every split, and write
metrics.json and log_history.json: each step only when the run's mode says so."""

from __future__ import annotations

from pathlib import Path

from hydratune.run.distributed import is_main_process
from hydratune.run.record import write_json
from hydratune.steps.generate import final_generations, write_reports
from hydratune.steps.modes import Modes
from hydratune.training.throughput import TokenCounter


def train_and_evaluate(trainer, datasets, life, resume_from, counter: TokenCounter, modes: Modes):
    """Train (from a checkpoint when resuming) and save the model, then evaluate every split:
    each step only when its mode is on. A full disk while saving says where and what was kept."""
    from hydratune.run.checkpoints import disk_full_explained

    run_dir, metrics = life.context.run_dir, {}
    if modes.train:
        with disk_full_explained(trainer.args.output_dir, run_dir), life.phase("train"):
            metrics = train(trainer, counter, life.tracker, resume_from)
        metrics.update(counter.metrics("train", metrics.get("train_runtime")))
        with disk_full_explained(trainer.args.output_dir, run_dir):
            save_model(trainer, run_dir / "model")
    if modes.eval:
        with life.phase("evaluate"):
            metrics.update(evaluate(trainer, datasets, run_dir, counter))
            metrics.update(final_generations(trainer))  # SFT: generations.jsonl, eval_gen_*
    return metrics


def train(trainer, counter: TokenCounter, tracker, resume_from: Path | None) -> dict:
    """Train, or go on from ``resume_from``; the metrics cover every attempt of the run
    (:mod:`hydratune.training.resume`). A checkpoint at ``max_steps`` trains no further step."""
    from hydratune.compat.trainer_resume import finished_state, load_finished
    from hydratune.run.checkpoints import MarkComplete
    from hydratune.training.resume import AcrossAttempts

    attempts = AcrossAttempts(counter, tracker, resume_from)
    trainer.add_callback(attempts)
    marker = trainer.pop_callback(MarkComplete)
    if marker is not None:  # last: a checkpoint marked complete has its totals written
        trainer.add_callback(marker)
    done = finished_state(resume_from)
    if done is not None:
        load_finished(trainer, resume_from, done)
        return attempts.finished_run(trainer.state, trainer.args)
    resume = str(resume_from) if resume_from else None
    return attempts.whole_run(trainer.train(resume_from_checkpoint=resume).metrics, trainer.state)


def finish(trainer, metrics: dict, run_dir: Path, modes: Modes) -> None:
    """metrics.json and log_history.json; an evaluate/predict-only run leaves no checkpoints."""
    if not is_main_process():
        return
    write_json(run_dir / "metrics.json", metrics)
    write_json(run_dir / "log_history.json", trainer.state.log_history)  # for compare
    output_dir = Path(trainer.args.output_dir)
    if not modes.train and output_dir.is_dir() and not any(output_dir.iterdir()):
        output_dir.rmdir()  # Trainer makes it on construction


def evaluate(trainer, datasets, run_dir: Path, counter: TokenCounter) -> dict:
    """Final eval (and test) metrics with their real tokens/s; per-class reports where the
    metrics write them."""
    metrics = {}
    for split in ("eval", "test"):
        if split in datasets:
            counter.start_eval()
            scores = trainer.evaluate(datasets[split], metric_key_prefix=split)
            metrics.update(scores, **counter.metrics(split, scores.get(f"{split}_runtime")))
            write_reports(trainer.compute_metrics, run_dir, split)
    return metrics


def save_model(trainer, model_dir: Path) -> None:
    """``save_pretrained`` output, plus how to rebuild a custom ``nn.Module`` or the base of
    a LoRA adapter (``model/base/``)."""
    from hydratune.groups.peft import save_base

    trainer.save_model(str(model_dir))  # Trainer saves on the main process only
    if not is_main_process():
        return
    save_spec = getattr(trainer.model, "save_spec", None)
    if save_spec:
        save_spec(model_dir)
    save_base(trainer.model, model_dir, trainer.processing_class)
