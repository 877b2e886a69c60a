"""One run, top to bottom, as the picture in DESIGN.md draws it:

validate -> data -> loss, metrics -> tracking -> model -> peft -> tokenize -> collator -> trainer
-> train -> evaluate -> save.

Raw data is loaded and checked first, so bad data fails in seconds, before W&B starts or any
weights load. :func:`run` builds each group once and hands built objects down; the run's status,
timings, resume decision and tracker finish live beside it in :mod:`hydratune.lifecycle`.
Functions below :func:`run` return metrics, never the model, so a sweep does not keep models
alive.
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
from pathlib import Path
from typing import NamedTuple

from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from hydratune.groups.data.tasks import data_inputs
from hydratune.lifecycle import Lifecycle, RunContext, plan_attempt
from hydratune.record import write_json
from hydratune.redact import redact
from hydratune.runtime.distributed import (
    adopt_slurm_tasks,
    is_main_process,
    share_cores_with_parallel_jobs,
)
from hydratune.validate import check_data_fits_trainer, validate

log = logging.getLogger(__name__)


class Hooks(NamedTuple):
    compute_loss_func: object | None
    compute_metrics: object | None


def run(cfg: DictConfig, run_dir: str | Path | None = None) -> float | None:
    """Train and evaluate as ``cfg`` says; return ``cfg.optimized_metric`` for sweepers."""
    adopt_slurm_tasks()  # several SLURM tasks = several DDP ranks
    share_cores_with_parallel_jobs()
    context = RunContext.from_hydra(run_dir)
    checkpoints = context.checkpoint_dir(cfg.trainer.args.get("output_dir"))
    attempt = plan_attempt(context, checkpoints, cfg.get("resume", True))
    key = cfg.get("optimized_metric") or ""
    if attempt.action == "skip":  # a re-run sweep: this job is done, keep its results
        log.info("%s already completed: skipped (delete its run.json to redo)", context.run_dir)
        return attempt.metrics.get(key)
    with Lifecycle(context, attempt) as life:
        with life.phase("validate"):
            validate(cfg)
        with life.phase("load_data"):
            data = build(cfg.data, **data_inputs(cfg.data, cfg.trainer))  # the trainer's task
        check_data_fits_trainer(cfg.trainer, data)
        hooks = Hooks(build_hook(cfg.loss, data), build_hook(cfg.metrics, data))
        life.record.update(loss=hook_parameters(hooks.compute_loss_func))
        if cfg.get("dry_run"):
            from hydratune.dry_run import dry_run

            life.status_on_success = "dry_run"
            with life.phase("dry_run"):
                return dry_run(cfg, data, hooks, context.run_dir)
        tracker = life.start_tracker(functools.partial(start_tracking, cfg, context))
        set_seed(cfg.seed)  # before the model is built, so its initial weights follow the seed
        with life.phase("load_model"):
            model, tokenizer = build(cfg.model, data=data)
        model = build(cfg.peft, model=model)
        with life.phase("tokenize"):
            datasets = data.tokenize(tokenizer)
        trainer = build(
            cfg.trainer,
            args=trainer_args(cfg.trainer.args, context, tracker.report_to, cfg.get("run_name")),
            data=data,
            model=model,
            tokenizer=tokenizer,
            train_dataset=datasets["train"],
            eval_dataset=datasets["eval"],
            data_collator=build(cfg.collator, tokenizer=tokenizer),
            compute_loss_func=hooks.compute_loss_func,
            compute_metrics=hooks.compute_metrics,
            callbacks=[mark_complete()],
        )
        metrics = train_and_evaluate(trainer, datasets, life, attempt.checkpoint)
        tracker.log_summary(metrics)
        return metrics.get(key)


def train_and_evaluate(trainer, datasets, life: Lifecycle, resume_from: Path | None) -> dict:
    """Train (from a checkpoint when resuming), evaluate every split, save model and metrics."""
    run_dir = life.context.run_dir
    with life.phase("train"):
        resume = str(resume_from) if resume_from else None
        metrics = trainer.train(resume_from_checkpoint=resume).metrics
    with life.phase("evaluate"):
        metrics.update(evaluate(trainer, datasets, run_dir))
    save_model(trainer, run_dir / "model")
    if is_main_process():
        write_json(run_dir / "metrics.json", metrics)
        write_json(run_dir / "log_history.json", trainer.state.log_history)  # for compare
    return metrics


def evaluate(trainer, datasets, run_dir: Path) -> dict:
    """Final eval (and test) metrics; per-class reports where the metrics write them."""
    metrics = {}
    for split in ("eval", "test"):
        if split in datasets:
            metrics.update(trainer.evaluate(datasets[split], metric_key_prefix=split))
            write_report = getattr(trainer.compute_metrics, "write_report", None)
            if write_report and is_main_process():
                write_report(run_dir, split)
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


def start_tracking(cfg: DictConfig, context: RunContext, resume_id: str | None = None):
    resolved = redact(OmegaConf.to_container(cfg, resolve=True))  # no secrets in W&B
    return build(
        cfg.logger,
        run_dir=str(context.run_dir),
        config=resolved,
        default_name=cfg.get("run_name") or context.name,
        default_group=context.group,
        default_job_type=context.trainer_choice,
        resume_id=resume_id,
    )


def trainer_args(node: DictConfig, context: RunContext, report_to: str, run_name=None) -> dict:
    """``trainer.args`` with what the run decides: checkpoint dir, reporting, run name."""
    args = OmegaConf.to_container(node, resolve=True)
    args["output_dir"] = str(context.checkpoint_dir(args.get("output_dir")))
    args["report_to"] = args.get("report_to") or report_to
    args["run_name"] = args.get("run_name") or run_name or context.name
    if args.get("use_cpu") is None:  # multi-process CPU training (gloo DDP) needs it said
        import torch

        args["use_cpu"] = not torch.cuda.is_available()
    if args.get("hub_token"):  # Trainer pickles its args into every checkpoint: keep the
        os.environ.setdefault("HF_TOKEN", args.pop("hub_token"))  # token in the env only
    return args


def build(node: DictConfig, **runtime):
    """Instantiate a group's builder with run-time objects.

    Objects go in through ``_partial_`` rather than ``instantiate(**kwargs)``: Hydra would turn
    dataclass objects (collators, datasets) into configs and copy the rest. Calling the partial
    ourselves also lets our errors reach the user as they are, not wrapped by Hydra.
    """
    return instantiate(node, _partial_=True, _convert_="all")(**runtime)


def build_hook(node: DictConfig, data):
    """A loss or metrics option: a builder taking ``data`` (ours), or a user's hook itself.

    ``loss._target_=my_pkg.my_loss`` names a function with Trainer's hook signature
    ``(outputs, labels, num_items_in_batch)``; it is used as is, with the node's other keys
    bound as keyword arguments.
    """
    deferred = instantiate(node, _partial_=True, _convert_="all")
    if "data" in inspect.signature(deferred.func).parameters:
        return deferred(data=data)
    return functools.partial(deferred.func, *deferred.args, **deferred.keywords)


def hook_parameters(hook) -> dict | None:
    """What a partial-bound hook was configured with (auto class weights, gamma), for run.json."""
    keywords = getattr(hook, "keywords", None)
    if keywords is None:
        return None
    name = getattr(hook.func, "__qualname__", str(hook.func))
    values = {k: v.tolist() if hasattr(v, "tolist") else v for k, v in keywords.items()}
    return {"function": name, **values}


def set_seed(seed: int) -> None:
    from transformers import set_seed as seed_everything

    seed_everything(seed)


def mark_complete():
    from hydratune.runtime.checkpoints import MarkComplete

    return MarkComplete()
