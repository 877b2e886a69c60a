"""One run, top to bottom, as the picture in DESIGN.md draws it:

validate -> data -> loss, metrics -> tracking -> model -> peft -> tokenize -> collator -> trainer
-> train -> evaluate -> predict -> save (as ``trainer.args.do_train/do_eval/do_predict`` say).

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

from hydratune.fit_checks import check_fits
from hydratune.generation import attach as attach_generation
from hydratune.generation import final_generations
from hydratune.groups.data.tasks import data_inputs
from hydratune.lifecycle import Lifecycle, RunContext, plan_attempt
from hydratune.record import write_json
from hydratune.redact import redact
from hydratune.runtime import from_run
from hydratune.runtime.distributed import (
    adopt_slurm_tasks,
    is_main_process,
    share_cores_with_parallel_jobs,
)
from hydratune.runtime.modes import Modes, as_args, run_modes, splits_to_tokenize
from hydratune.runtime.run_log import route_library_logs, trainer_log_callback
from hydratune.runtime.throughput import TokenCounter, count_tokens
from hydratune.validate import validate

log = logging.getLogger(__name__)


class Hooks(NamedTuple):
    compute_loss_func: object | None
    compute_metrics: object | None


def run(cfg: DictConfig, run_dir: str | Path | None = None, overrides=None) -> float | None:
    """Train and evaluate as ``cfg`` says; return ``cfg.optimized_metric`` for sweepers.

    ``overrides`` (outside ``@hydra.main``: tests, notebooks) are the command line's, which
    ``from_run=`` applies on top of the finished run's config.
    """
    adopt_slurm_tasks()  # several SLURM tasks = several DDP ranks
    share_cores_with_parallel_jobs()
    route_library_logs()  # their warnings into run.log too
    context = RunContext.from_hydra(run_dir)
    if overrides is not None:
        context.overrides = list(overrides)
    checkpoints = context.checkpoint_dir(cfg.trainer.args.get("output_dir"))
    attempt = plan_attempt(context, checkpoints, cfg.get("resume", True))
    key = cfg.get("optimized_metric") or ""
    if attempt.action == "skip":  # a re-run sweep: this job is done, keep its results
        log.info("%s already completed: skipped (delete its run.json to redo)", context.run_dir)
        return attempt.metrics.get(key)
    with Lifecycle(context, attempt) as life:
        with life.phase("validate"):
            cfg = from_run.inherit(cfg, context.overrides)  # its model, data and trainer nodes
            validate(cfg)
            args = OmegaConf.to_container(cfg.trainer.args, resolve=True)
            callbacks = build(cfg.callbacks, args=args) if cfg.get("callbacks") else []
            # (early stopping completes the args it needs, or says which one conflicts)
        with life.phase("load_data"):
            data = build(cfg.data, **data_inputs(cfg.data, cfg.trainer))  # the trainer's task
        check_fits(cfg, data)  # collator, metrics, loss, model vs the data's kind
        modes = run_modes(args, data)
        args.update(as_args(modes))
        life.record.update(mode=modes.name, from_run=cfg.get("from_run"))
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
            datasets = splits_to_tokenize(data, modes).tokenize(tokenizer)
        trainer = build(
            cfg.trainer,
            args=trainer_args(args, context, tracker.report_to, cfg.get("run_name")),
            data=data,
            model=model,
            tokenizer=tokenizer,
            train_dataset=datasets.get("train"),
            eval_dataset=datasets.get("eval"),
            data_collator=build(cfg.collator, tokenizer=tokenizer),
            compute_loss_func=hooks.compute_loss_func,
            compute_metrics=hooks.compute_metrics,
            callbacks=[mark_complete(), trainer_log_callback(), *callbacks],
        )
        counter = count_tokens(trainer, with_targets=data.kind == "seq2seq")
        attach_generation(build(cfg.generation) if "generation" in cfg else None, data, trainer,
                          context.run_dir, tracker)  # fmt: skip
        metrics = train_and_evaluate(trainer, datasets, life, attempt.checkpoint, counter, modes)
        if modes.predict:
            with life.phase("predict"):
                threshold = (cfg.get("metrics") or {}).get("threshold", 0.5)  # multi-label
                found = predict(
                    trainer, data, tokenizer, context.run_dir, cfg.get("predict"), threshold
                )
            metrics.update(found)
        finish(trainer, metrics, context.run_dir, modes)
        tracker.log_summary(metrics)
        return metrics.get(key)


def train_and_evaluate(
    trainer, datasets, life: Lifecycle, resume_from, counter: TokenCounter, modes: Modes
) -> dict:
    """Train (from a checkpoint when resuming) and save the model, then evaluate every split:
    each step only when its mode is on. A full disk while saving says where and what was kept."""
    from hydratune.runtime.checkpoints import disk_full_explained

    run_dir, metrics = life.context.run_dir, {}
    if modes.train:
        with disk_full_explained(trainer.args.output_dir, run_dir), life.phase("train"):
            resume = str(resume_from) if resume_from else None
            metrics = trainer.train(resume_from_checkpoint=resume).metrics
        metrics.update(counter.metrics("train", metrics.get("train_runtime")))
        with disk_full_explained(trainer.args.output_dir, run_dir):
            save_model(trainer, run_dir / "model")
    if modes.eval:
        with life.phase("evaluate"):
            metrics.update(evaluate(trainer, datasets, run_dir, counter))
            metrics.update(final_generations(trainer))  # SFT: generations.jsonl, eval_gen_*
    return metrics


def predict(trainer, data, tokenizer, run_dir: Path, options, threshold: float = 0.5) -> dict:
    """``predictions.csv`` / ``.jsonl`` for the test split; ``test_*`` metrics when labelled."""
    from hydratune.predictions import predict as write_predictions

    options = dict(options or {})
    return write_predictions(trainer, data, tokenizer, run_dir, threshold=threshold, **options)


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
