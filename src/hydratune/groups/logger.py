"""The ``logger`` group: one W&B run per hydratune run, or no tracking.

Trainer's W&B callback reuses the run we open, but never finishes it: without our own
``finish`` every job of a multirun would log into one run. The resolved Hydra config is logged
under a single ``hydra`` key because Trainer merges its own arguments into ``wandb.config`` and
would overwrite same-named keys.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

from hydratune.redact import redact_overrides

_INHERITED_SERVICE = os.environ.get("WANDB_SERVICE")  # set before this process used W&B


class NoTracker:
    """``logger=none``: Trainer reports nowhere."""

    report_to = "none"
    run_id = None

    def log_summary(self, metrics: dict) -> None:
        pass

    def finish(self, exit_code: int) -> None:
        pass


class WandbTracker:
    """An open W&B run, written under the run directory."""

    report_to = "wandb"

    def __init__(self, run):
        self.run = run
        self.run_id = run.id

    def log_summary(self, metrics: dict) -> None:
        self.run.summary.update(metrics)

    def finish(self, exit_code: int) -> None:
        self.run.finish(exit_code=exit_code)


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
    argv, sys.argv = sys.argv, [sys.argv[0], *redact_overrides(sys.argv[1:])]
    try:
        run = _init(wb, run_dir, project, entity, mode, name or default_name,
                    group or default_group, job_type or default_job_type, tags, notes,
                    config, resume_id)  # fmt: skip
    finally:
        sys.argv = argv
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
    if os.environ.get("WANDB_SERVICE") and os.environ["WANDB_SERVICE"] == _INHERITED_SERVICE:
        # A parent process's wandb-core (a notebook, a test runner, a launcher) would hold our
        # run: a killed attempt's run stays open there and blocks its own resume ("run ID is in
        # use"). Each hydratune process starts its own service.
        del os.environ["WANDB_SERVICE"]
    return wb.init(**kwargs)
