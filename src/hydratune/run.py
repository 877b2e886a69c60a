"""One run, top to bottom: data, tracking, model, adapter, tokenize, collator, loss, metrics,
trainer, then train, evaluate, save and finish.

Raw data is loaded and checked first, so bad data fails in seconds, before W&B starts or any
weights load. Functions below :func:`run` take built objects and return metrics, never the
model, so a sweep does not keep models alive.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from hydratune.distributed import (
    adopt_slurm_tasks,
    is_main_process,
    share_cores_with_parallel_jobs,
)
from hydratune.dry_run import dry_run
from hydratune.errors import ConfigError
from hydratune.manifest import (
    RunRecord,
    redact,
    redact_hydra_files,
    redact_overrides,
    write_json,
)
from hydratune.tracking import NoTracker
from hydratune.validation import check_data_fits_trainer, validate

log = logging.getLogger(__name__)


@dataclass
class RunContext:
    """Where the run writes and what names it: from Hydra, or given (tests, notebooks)."""

    run_dir: Path
    overrides: list[str]
    sweep_dir: Path | None = None
    trainer_choice: str | None = None  # e.g. "plain" or "sft": the W&B job type

    @classmethod
    def from_hydra(cls, run_dir: str | Path | None = None) -> RunContext:
        from hydra.core.hydra_config import HydraConfig

        if not HydraConfig.initialized():
            if run_dir is None:
                raise ConfigError("run(cfg) outside @hydra.main needs run_dir=")
            return cls(Path(run_dir), [])
        hydra = HydraConfig.get()
        multirun = hydra.mode is not None and hydra.mode.name == "MULTIRUN"
        return cls(
            Path(run_dir or hydra.runtime.output_dir),
            list(hydra.overrides.task),
            Path(hydra.sweep.dir) if multirun else None,
            hydra.runtime.choices.get("trainer"),
        )

    @property
    def name(self) -> str:
        return ",".join(redact_overrides(self.overrides)) or "default"

    @property
    def group(self) -> str | None:
        """Jobs of one sweep share a group named after the sweep dir (``DATE_TIME``)."""
        return "_".join(self.sweep_dir.parts[-2:]) if self.sweep_dir else None


def run(cfg: DictConfig, run_dir: str | Path | None = None) -> float | None:
    """Train and evaluate as ``cfg`` says; return ``cfg.optimized_metric`` for sweepers."""
    adopt_slurm_tasks()  # several SLURM tasks = several DDP ranks
    share_cores_with_parallel_jobs()
    context = RunContext.from_hydra(run_dir)
    finished = completed_run(context)
    if finished is not None:  # a re-run sweep: this job is done, keep its results
        log.info("%s already completed: skipped (delete its run.json to redo)", context.run_dir)
        return finished.get(cfg.get("optimized_metric") or "")
    resume = resume_point(cfg, context)
    main = is_main_process()
    record = RunRecord(context.run_dir, context.overrides, Path.cwd(), enabled=main).start()
    if main:
        redact_hydra_files(context.run_dir)
    if resume:
        log.info("Resuming from %s (step %d)", resume.checkpoint.name, resume.step)
        record.update(resumed_from_step=resume.step, attempt=resume.attempt)
    tracker, status, error = NoTracker(), "failed", None
    try:
        _timed(record, "validate", lambda: validate(cfg))
        data = _timed(record, "load_data", lambda: build(cfg.data))
        check_data_fits_trainer(cfg.trainer, data)
        hooks = build_hooks(cfg, data)  # cheap, and checks class weights against the data
        record.update(loss=hook_parameters(hooks.compute_loss_func))
        if cfg.get("dry_run"):
            status = "dry_run"
            return _timed(record, "dry_run", lambda: dry_run(cfg, data, hooks, context.run_dir))
        if main:
            tracker = start_tracking(cfg, context, resume.wandb_run_id if resume else None)
        record.update(wandb_run_id=tracker.run_id)
        checkpoint = resume.checkpoint if resume else None
        metrics = train(cfg, context, record, data, hooks, tracker.report_to, checkpoint)
        tracker.log_summary(metrics)
        status = "completed"
        return metrics.get(cfg.get("optimized_metric") or "")
    except (KeyboardInterrupt, SystemExit) as err:  # Ctrl-C, or SLURM's requeue signal
        status, error = "interrupted", err
        raise
    except BaseException as err:
        error = err
        raise
    finally:
        record.finish(status, error)
        finish_tracking(tracker, status)


def finish_tracking(tracker, status: str) -> None:
    """Close the W&B run; never let a failure here hide the run's own outcome (a SLURM requeue
    kills W&B's service process before our ``finally`` gets to it)."""
    try:
        tracker.finish(exit_code=0 if status == "completed" else 1)
    except Exception as err:  # noqa: BLE001  the run's own result matters more
        log.warning("Could not finish the W&B run cleanly: %s", err)


def start_tracking(cfg: DictConfig, context: RunContext, resume_id: str | None = None):
    resolved = redact(OmegaConf.to_container(cfg, resolve=True))  # no secrets in W&B
    return build(
        cfg.logger,
        run_dir=str(context.run_dir),
        config=resolved,
        default_name=cfg.get("run_name") or context.name,
        default_group=context.group,
        default_job_type=context.trainer_choice,
        **({"resume_id": resume_id} if resume_id else {}),
    )


class ResumePoint(NamedTuple):
    checkpoint: Path
    step: int
    wandb_run_id: str | None
    attempt: int


def resume_point(cfg: DictConfig, context: RunContext) -> ResumePoint | None:
    """An earlier, unfinished attempt of this same run left a complete checkpoint: go on
    from it, in the same W&B run. A run dir that holds another run is an error."""
    import json

    from hydratune.checkpoints import latest_complete

    path = context.run_dir / "run.json"
    if not path.exists():
        return None
    previous = json.loads(path.read_text())
    if previous.get("overrides") != redact_overrides(context.overrides):
        raise ConfigError(
            f"{context.run_dir} holds another run (overrides {previous.get('overrides')}); "
            "choose another hydra.run.dir, or repeat that run's overrides to resume it."
        )
    found = latest_complete(checkpoint_dir(cfg, context))
    if found is None or not cfg.get("resume", True):
        return None
    checkpoint, step = found
    attempt = int(previous.get("attempt", 1)) + 1
    return ResumePoint(checkpoint, step, previous.get("wandb_run_id"), attempt)


def checkpoint_dir(cfg: DictConfig, context: RunContext) -> Path:
    return Path(cfg.trainer.args.get("output_dir") or context.run_dir / "checkpoints")


class Hooks(NamedTuple):
    compute_loss_func: Callable | None
    compute_metrics: Callable | None


def build_hooks(cfg: DictConfig, data) -> Hooks:
    return Hooks(build_hook(cfg.loss, data), build_hook(cfg.metrics, data))


def train(
    cfg: DictConfig,
    context: RunContext,
    record: RunRecord,
    data,
    hooks: Hooks,
    report_to: str = "none",
    resume_from: Path | None = None,
) -> dict:
    """Build model, adapter, datasets, collator and trainer; train; evaluate; save."""
    from transformers import set_seed

    from hydratune.checkpoints import MarkComplete

    set_seed(cfg.seed)  # before the model is built, so its initial weights follow the seed
    model, tokenizer = _timed(record, "load_model", lambda: build(cfg.model, data=data))
    model = build(cfg.peft, model=model)
    datasets = _timed(record, "tokenize", lambda: data.tokenize(tokenizer))
    trainer = build(
        cfg.trainer,
        args=trainer_args(cfg, context, report_to),
        model=model,
        tokenizer=tokenizer,
        train_dataset=datasets["train"],
        eval_dataset=datasets["eval"],
        data_collator=build(cfg.collator, tokenizer=tokenizer),
        compute_loss_func=hooks.compute_loss_func,
        compute_metrics=hooks.compute_metrics,
        callbacks=[MarkComplete()],
    )
    resume = str(resume_from) if resume_from else None
    metrics = _timed(record, "train", lambda: trainer.train(resume_from_checkpoint=resume)).metrics
    run_dir = context.run_dir
    metrics.update(_timed(record, "evaluate", lambda: evaluate(trainer, datasets, run_dir)))
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
    from hydratune.adapters import save_base

    trainer.save_model(str(model_dir))  # Trainer saves on the main process only
    if not is_main_process():
        return
    save_spec = getattr(trainer.model, "save_spec", None)
    if save_spec:
        save_spec(model_dir)
    save_base(trainer.model, model_dir, trainer.processing_class)


def build_hook(node: DictConfig, data):
    """A loss or metrics option: a builder taking ``data`` (ours), or a user's hook itself.

    ``loss._target_=my_pkg.my_loss`` names a function with Trainer's hook signature
    ``(outputs, labels, num_items_in_batch)``; it is used as is, with the node's other keys
    bound as keyword arguments.
    """
    import functools
    import inspect

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


def trainer_args(cfg: DictConfig, context: RunContext, report_to: str) -> dict:
    """``trainer.args`` with what the run decides: checkpoint dir, reporting, run name."""
    args = OmegaConf.to_container(cfg.trainer.args, resolve=True)
    args["output_dir"] = args.get("output_dir") or str(context.run_dir / "checkpoints")
    args["report_to"] = args.get("report_to") or report_to
    args["run_name"] = args.get("run_name") or cfg.get("run_name") or context.name
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


def completed_run(context: RunContext) -> dict | None:
    """Never overwrite a finished run. In a sweep, a job whose run dir completed with the same
    overrides is skipped (its metrics are returned), so re-running a sweep redoes only the
    missing and failed jobs; anywhere else a completed run dir is an error."""
    import json

    path = context.run_dir / "run.json"
    if not path.exists():
        return None
    previous = json.loads(path.read_text())
    if previous.get("status") != "completed":
        return None
    same_job = previous.get("overrides") == redact_overrides(context.overrides)
    if context.sweep_dir is not None and same_job:
        metrics = context.run_dir / "metrics.json"
        return json.loads(metrics.read_text()) if metrics.exists() else {}
    raise ConfigError(
        f"{context.run_dir} already holds a completed run; choose another hydra.run.dir."
    )


def _timed(record: RunRecord, phase: str, step):
    started = time.monotonic()
    result = step()
    record.timed(phase, started)
    return result
