"""The ``logger`` group: one W&B run, TensorBoard files or an MLflow run per hydratune run,
several of them (``logger=many``), or no tracking.

Each tracker logs the resolved config once, the final metrics, and is finished with the run's
status by the lifecycle (``finish(exit_code)``), whatever happened.

Trainer's W&B callback reuses the run we open, but never finishes it: without our own
``finish`` every job of a multirun would log into one run. The resolved Hydra config is logged
under a single ``hydra`` key because Trainer merges its own arguments into ``wandb.config`` and
would overwrite same-named keys.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from hydratune.compat.wandb import command_line, guarded, own_service, tolerate_a_dead_service
from hydratune.config.errors import ConfigError
from hydratune.groups.logger.tags import override_tags
from hydratune.run.redact import redact_overrides
from hydratune.run.tracking import NoTracker

log = logging.getLogger(__name__)


class WandbTracker:
    """An open W&B run, written under the run directory."""

    report_to = "wandb"

    def __init__(self, run):
        self.run = run
        self.run_id = run.id
        tolerate_a_dead_service()

    def log_summary(self, metrics: dict) -> None:
        guarded(lambda: self.run.summary.update(metrics))

    def finish(self, exit_code: int) -> None:
        guarded(lambda: self.run.finish(exit_code=exit_code))

    @property
    def step(self) -> int | None:
        """W&B's history step (``_step``): the rows logged so far."""
        return guarded(lambda: self.run.step)

    def continue_steps(self, step: int, global_step: int) -> None:
        """A resumed attempt goes on with the step its checkpoint was saved at: offline, wandb
        0.31 starts a resumed run's ``_step`` at 0 again (only its server knows where a run
        left off), so the first row of this attempt names the step itself."""
        row = {"train/resumed_from_step": global_step, "train/global_step": global_step}
        guarded(lambda: self.run.log(row, step=step) if step > self.run.step else None)


def none(
    run_dir: str,
    config: dict,
    default_name: str,
    default_group: str | None = None,
    default_job_type: str | None = None,
    resume_id: str | None = None,
) -> NoTracker:
    """``logger=none``: no tracker; run.json and metrics.json are still written."""
    return NoTracker()


def wandb(
    run_dir: str,
    config: dict,
    default_name: str,
    default_group: str | None = None,
    default_job_type: str | None = None,
    resume_id: str | None = None,
    *,
    project: str = "hydratune",
    entity: str | None = None,
    mode: str = "offline",
    name: str | None = None,
    group: str | None = None,
    job_type: str | None = None,
    tags: Sequence[str] = (),
    notes: str | None = None,
) -> WandbTracker:
    """Open a W&B run (offline unless ``mode=online``) in ``<run_dir>/wandb``."""
    import wandb as wb

    Path(run_dir).mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("WANDB_SILENT", "true")
    # W&B records the command line in the run's metadata: give it the redacted one.
    own_service()
    with command_line([sys.argv[0], *redact_overrides(sys.argv[1:])]):
        run = _init(wb, run_dir, project, entity, mode, name or default_name,
                    group or default_group, job_type or default_job_type,
                    [*tags, *override_tags()], notes, config, resume_id)  # fmt: skip
    return WandbTracker(run)


def _init(wb, run_dir, project, entity, mode, name, group, job_type, tags, notes, config,
          resume_id):  # fmt: skip
    # A resumed run continues the W&B run of its first attempt (same id).
    resume = {"id": resume_id, "resume": "allow"} if resume_id else {}
    kwargs = dict(
        **resume,
        dir=str(run_dir),
        project=project,
        entity=entity,
        mode=mode,
        name=name,
        group=group,
        job_type=job_type,
        tags=list(tags),
        notes=notes,
        config={"hydra": config},
        reinit="finish_previous",  # a reused worker process must never continue an old run
    )
    return wb.init(**kwargs)


# -- TensorBoard ---------------------------------------------------------------------------


class TensorBoardTracker:
    """Event files in ``<run dir>/tensorboard``: Trainer's TensorBoardCallback writes the
    training curves there; we add the config (text), final metrics and status."""

    report_to = "tensorboard"
    run_id = None

    def __init__(self, writer):
        self.writer = writer

    def log_summary(self, metrics: dict) -> None:
        for key, value in metrics.items():
            if isinstance(value, (int, float)):
                self.writer.add_scalar(f"final/{key}", value)

    def finish(self, exit_code: int) -> None:
        self.writer.add_text("status", "completed" if exit_code == 0 else "failed")
        self.writer.close()


def tensorboard(
    run_dir: str,
    config: dict,
    default_name: str,
    default_group: str | None = None,
    default_job_type: str | None = None,
    resume_id: str | None = None,
    *,
    log_dir: str | None = None,
) -> TensorBoardTracker:
    """``logger=tensorboard``: ``tensorboard --logdir outputs`` shows every run."""
    import json

    summary_writer = _optional("torch.utils.tensorboard", "tensorboard").SummaryWriter
    log_dir = log_dir or str(Path(run_dir) / "tensorboard")
    os.environ["TENSORBOARD_LOGGING_DIR"] = log_dir  # where Trainer's callback writes
    writer = summary_writer(log_dir=log_dir)
    writer.add_text("hydra_config", f"```\n{json.dumps(config, indent=2, default=str)}\n```")
    return TensorBoardTracker(writer)


# -- MLflow --------------------------------------------------------------------------------


class MlflowTracker:
    """An MLflow run that Trainer's MLflowCallback logs into (it reuses the active run)."""

    report_to = "mlflow"

    def __init__(self, mlflow, run):
        self.mlflow = mlflow
        self.run_id = run.info.run_id

    def log_summary(self, metrics: dict) -> None:
        numbers = {k: v for k, v in metrics.items() if isinstance(v, (int, float))}
        self.mlflow.log_metrics({f"final_{k}": v for k, v in numbers.items()})

    def finish(self, exit_code: int) -> None:
        self.mlflow.end_run(status="FINISHED" if exit_code == 0 else "FAILED")


def mlflow(
    run_dir: str,
    config: dict,
    default_name: str,
    default_group: str | None = None,
    default_job_type: str | None = None,
    resume_id: str | None = None,
    *,
    tracking_uri: str | None = None,
    experiment: str = "hydratune",
    name: str | None = None,
    tags: dict | None = None,
) -> MlflowTracker:
    """``logger=mlflow``: a run in ``tracking_uri`` (null = ``outputs/mlflow.db`` under the
    current directory, artifacts in ``outputs/mlartifacts``), config as params + one JSON."""
    mlflow = _optional("mlflow", "mlflow")
    os.environ.pop("MLFLOW_RUN_ID", None)  # a parent's run must not capture ours
    local = tracking_uri is None
    outputs = Path.cwd() / "outputs"
    if local:
        outputs.mkdir(parents=True, exist_ok=True)
        tracking_uri = f"sqlite:///{outputs / 'mlflow.db'}"
    mlflow.set_tracking_uri(tracking_uri)
    if mlflow.get_experiment_by_name(experiment) is None:
        location = (outputs / "mlartifacts").as_uri() if local else None
        mlflow.create_experiment(experiment, artifact_location=location)
    mlflow.set_experiment(experiment)
    if mlflow.active_run() is not None:  # a reused worker process: never continue an old run
        mlflow.end_run()
    all_tags = {"group": default_group, "job_type": default_job_type, **(tags or {})}
    run = mlflow.start_run(
        run_id=resume_id,
        run_name=None if resume_id else name or default_name,
        tags={k: str(v) for k, v in all_tags.items() if v is not None},
    )
    if resume_id is None:  # params are write-once: the first attempt logged them
        mlflow.log_params(_flat(config))
        mlflow.log_dict(config, "hydra_config.json")
    return MlflowTracker(mlflow, run)


def _flat(config: dict, prefix: str = "") -> dict:
    """``{"model": {"r": 8}}`` -> ``{"model.r": "8"}`` (MLflow params are flat strings)."""
    flat = {}
    for key, value in config.items():
        if isinstance(value, dict) and value:
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = str(value)[:6000]
    return flat


# -- several at once -------------------------------------------------------------------------


class ManyTrackers:
    """Several trackers as one: Trainer reports to all, each is finished."""

    def __init__(self, trackers: dict):
        self.trackers = trackers
        self.report_to = [t.report_to for t in trackers.values() if t.report_to != "none"]
        ids = {name: t.run_id for name, t in trackers.items() if t.run_id}
        self.run_id = ";".join(f"{name}={run_id}" for name, run_id in ids.items()) or None

    def log_summary(self, metrics: dict) -> None:
        for tracker in self.trackers.values():
            tracker.log_summary(metrics)

    def finish(self, exit_code: int) -> None:
        for tracker in self.trackers.values():
            tracker.finish(exit_code)


def many(
    run_dir: str,
    config: dict,
    default_name: str,
    default_group: str | None = None,
    default_job_type: str | None = None,
    resume_id: str | None = None,
    *,
    use: Sequence[str] = ("wandb", "tensorboard"),
    wandb: dict | None = None,
    tensorboard: dict | None = None,
    mlflow: dict | None = None,
) -> ManyTrackers:
    """``logger=many logger.use=[wandb,mlflow]``: each logger with its own options
    (``logger.mlflow.tracking_uri=...``)."""
    from hydra.utils import instantiate
    from omegaconf import OmegaConf

    from hydratune.config.validate import node_problems, raise_all

    options = {"wandb": wandb, "tensorboard": tensorboard, "mlflow": mlflow}
    unknown = [name for name in use if name not in options]
    if unknown:
        raise ConfigError(
            f"logger.use={list(use)}: {unknown} unknown; choose from {list(options)}."
        )
    # the nested options arrive as Hydra wrote them (logger=many does not build them itself)
    nodes = {name: OmegaConf.create(options[name] or {}) for name in use}
    raise_all([p for name, node in nodes.items() for p in node_problems(node, f"logger.{name}")])
    ids = dict(item.split("=", 1) for item in resume_id.split(";")) if resume_id else {}
    runtime = dict(run_dir=run_dir, config=config, default_name=default_name,
                   default_group=default_group, default_job_type=default_job_type)  # fmt: skip
    trackers = {
        name: instantiate(node, _partial_=True, _convert_="all")(**runtime, resume_id=ids.get(name))
        for name, node in nodes.items()
    }
    return ManyTrackers(trackers)


def _optional(module: str, package: str):
    """Import a tracker's library, or say which extra installs it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise ConfigError(
            f"logger={package} needs the {package} package ({err}): "
            "pip install 'hydratune[loggers]'."
        ) from err
