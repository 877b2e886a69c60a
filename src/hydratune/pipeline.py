"""One run, top to bottom, as the picture in DESIGN.md draws it:

validate -> data -> loss, metrics -> tracking -> model -> peft -> tokenize -> collator -> trainer
-> train -> evaluate -> predict -> save (as ``trainer.args.do_train/do_eval/do_predict`` say).

Raw data is loaded and checked first, so bad data fails in seconds, before W&B starts or any
weights load. :func:`run` builds each group once and hands built objects down; the run's status,
timings, resume decision and tracker finish live beside it in :mod:`hydratune.run.lifecycle`.
Steps below :func:`run` return metrics, never the model, so a sweep does not keep models alive.
"""

from __future__ import annotations

import os
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from hydratune.config.build import Hooks, build, build_hooks, hook_parameters
from hydratune.config.fits import check_fits, group_nodes
from hydratune.config.from_run import inherit
from hydratune.config.kinds import Kind
from hydratune.config.validate import validate
from hydratune.groups.data.tasks import data_inputs
from hydratune.groups.loss import with_label_smoothing
from hydratune.run.lifecycle import RunContext, open_run
from hydratune.run.logs import trainer_log_callback
from hydratune.steps.generate import attach_generation
from hydratune.steps.modes import as_args, run_modes, splits_to_tokenize
from hydratune.steps.plan import plan_run
from hydratune.steps.train_evaluate import finish, train_and_evaluate
from hydratune.training.throughput import count_tokens

__all__ = ["RunContext", "run", "trainer_args"]


def run(cfg: DictConfig, run_dir: str | Path | None = None, overrides=None) -> float | None:
    """Train and evaluate as ``cfg`` says; return ``cfg.optimized_metric`` for sweepers.

    ``overrides`` (outside ``@hydra.main``: tests, notebooks) are the command line's, which
    ``from_run=`` applies on top of the finished run's config.
    """
    key = cfg.get("optimized_metric") or ""
    life = open_run(run_dir, overrides, cfg.trainer.args.get("output_dir"), cfg.get("resume", True))
    if life.skipped:  # a re-run sweep: this job is done, keep its results
        return life.attempt.metrics.get(key)
    with life:
        with life.phase("validate"):
            cfg = validate(inherit(cfg, life.context.overrides))  # from_run: its model, data...
            args = OmegaConf.to_container(cfg.trainer.args, resolve=True)
            callbacks = build(cfg.callbacks, args=args) if cfg.get("callbacks") else []
        with life.phase("load_data"):
            data = build(cfg.data, **data_inputs(cfg.data, cfg.trainer))  # the trainer's task
        check_fits(group_nodes(cfg), data)  # every group's declared kinds vs the data's
        modes = run_modes(args, data)
        args.update(as_args(modes))
        hooks = run_hooks(cfg.loss, cfg.metrics, data, args.get("label_smoothing_factor"))
        life.note(mode=modes.name, from_run=cfg.get("from_run"),
                  loss=hook_parameters(hooks.compute_loss_func))  # fmt: skip
        if cfg.get("dry_run"):
            from hydratune.steps.dry_run import dry_run

            nodes = {"model": cfg.model, "collator": cfg.collator, "trainer": cfg.trainer}
            return life.dry_run(lambda: dry_run(data, hooks, life.context.run_dir, **nodes))
        if cfg.get("plan"):  # measure a few real steps, estimate the run, train nothing
            return life.dry_run(lambda: plan_run(cfg, data, hooks, modes, args, life))
        resolved = OmegaConf.to_container(cfg, resolve=True)
        tracker = life.start_tracker(cfg.logger, resolved, cfg.get("run_name"))
        set_seed(cfg.seed)  # before the model is built, so its initial weights follow the seed
        trainer, datasets = build_trainer(group_nodes(cfg), data, args, hooks, callbacks, life,
                                          modes, cfg.get("run_name"))  # fmt: skip
        counter = count_tokens(trainer, with_targets=data.kind == Kind.SEQ2SEQ)
        generation = build(cfg.generation) if "generation" in cfg else None
        attach_generation(generation, data, trainer, life.context.run_dir, tracker)
        metrics = train_and_evaluate(trainer, datasets, life, life.attempt.checkpoint, counter,
                                     modes)  # fmt: skip
        if modes.predict:
            with life.phase("predict"):
                metrics.update(predict(trainer, data, life.context.run_dir, cfg.get("predict"),
                                       hooks.compute_metrics))  # fmt: skip
        finish(trainer, metrics, life.context.run_dir, modes)
        tracker.log_summary(metrics)
        return metrics.get(key)


def run_hooks(loss, metrics, data, label_smoothing: float | None) -> Hooks:
    """The loss and metrics hooks; our losses apply ``label_smoothing_factor`` themselves,
    since Trainer applies it only to the model's own loss."""
    hooks = build_hooks(loss, metrics, data)
    smoothed = with_label_smoothing(hooks.compute_loss_func, label_smoothing, data)
    return hooks._replace(compute_loss_func=smoothed)


def build_trainer(nodes: dict, data, args: dict, hooks: Hooks, callbacks, life, modes, run_name):
    """Model (seeded), adapter, tokenized splits and the trainer around them."""
    with life.phase("load_model"):
        model, tokenizer = build(nodes["model"], data=data)
    model = build(nodes["peft"], model=model)
    with life.phase("tokenize"):
        datasets = splits_to_tokenize(data, modes).tokenize(tokenizer)
    trainer = build(
        nodes["trainer"],
        args=trainer_args(args, life.context, life.tracker.report_to, run_name),
        data=data, model=model, tokenizer=tokenizer,
        train_dataset=datasets.get("train"), eval_dataset=datasets.get("eval"),
        data_collator=build(nodes["collator"], tokenizer=tokenizer),
        compute_loss_func=hooks.compute_loss_func, compute_metrics=hooks.compute_metrics,
        callbacks=[mark_complete(), trainer_log_callback(), *callbacks],
    )  # fmt: skip
    return trainer, datasets


def predict(trainer, data, run_dir: Path, options, metrics=None) -> dict:
    """``predictions.csv`` / ``.jsonl`` for the test split; ``test_*`` metrics when labelled.
    Multi-label predictions use the threshold the metrics score with."""
    from hydratune.steps.predict import predict as write_predictions

    threshold = getattr(metrics, "threshold", 0.5)
    options = dict(options or {})
    tokenizer = trainer.processing_class
    return write_predictions(trainer, data, tokenizer, run_dir, threshold=threshold, **options)


def trainer_args(given: dict, context: RunContext, report_to: str, run_name=None) -> dict:
    """``trainer.args`` with what the run decides: checkpoint dir, reporting, run name."""
    is_node = OmegaConf.is_config(given)  # a composed node, or the run's completed dict
    args = OmegaConf.to_container(given, resolve=True) if is_node else dict(given)
    args["output_dir"] = str(context.checkpoint_dir(args.get("output_dir")))
    args["report_to"] = args.get("report_to") or report_to
    args["run_name"] = args.get("run_name") or run_name or context.name
    if args.get("use_cpu") is None:  # multi-process CPU training (gloo DDP) needs it said
        import torch

        args["use_cpu"] = not torch.cuda.is_available()
    if args.get("hub_token"):  # Trainer pickles its args into every checkpoint: keep the
        os.environ.setdefault("HF_TOKEN", args.pop("hub_token"))  # token in the env only
    return args


def set_seed(seed: int) -> None:
    from transformers import set_seed as seed_everything

    seed_everything(seed)


def mark_complete():
    from hydratune.run.checkpoints import MarkComplete

    return MarkComplete()
