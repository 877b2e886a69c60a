"""The ``logger`` group: one W&B run per hydratune run, or no tracking.

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

from hydratune.redact import redact_overrides

log = logging.getLogger(__name__)

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
        tolerate_a_dead_service()

    def log_summary(self, metrics: dict) -> None:
        guarded(lambda: self.run.summary.update(metrics))

    def finish(self, exit_code: int) -> None:
        guarded(lambda: self.run.finish(exit_code=exit_code))


class _Service:
    """Whether W&B's service process still answers. W&B is a record of the run, not the run:
    once it dies (killed, out of memory, a full disk) training goes on untracked, and
    run.json and metrics.json still complete."""

    dead: BaseException | None = None


def guarded(call):
    if _Service.dead is not None:
        return None
    try:
        return call()
    except Exception as err:  # noqa: BLE001  any failure of the tracker must not stop training
        _Service.dead = err
        log.warning(
            "W&B stopped answering (%s: %s): training goes on without tracking; run.json and "
            "metrics.json are still written. `wandb sync` the offline run later for what it "
            "got.", type(err).__name__, err,
        )  # fmt: skip
        return None


def tolerate_a_dead_service() -> None:
    """Make the W&B callback Trainer builds for ``report_to=wandb`` survive the service dying:
    each of its events goes through :func:`guarded`. transformers picks the callback class from
    its ``INTEGRATION_TO_CALLBACK`` registry when the Trainer is built (after this run opened)."""
    from transformers import TrainerCallback
    from transformers.integrations import integration_utils as hf
    from wandb.sdk.lib.import_hooks import unregister_all_post_import_hooks

    # W&B also reports each library imported after init (telemetry), from inside the import
    # statement, where no guard reaches: with the service gone, a lazy `import sklearn...`
    # in evaluation raised ConnectionResetError. That telemetry is not worth a run.
    unregister_all_post_import_hooks()
    _Service.dead = None  # a new run, a new service connection
    base = hf.INTEGRATION_TO_CALLBACK["wandb"]
    if getattr(base, "tolerant", False):
        return

    def tolerant(name):
        def event(self, *args, **kwargs):
            return guarded(lambda: getattr(base, name)(self, *args, **kwargs))

        return event

    events = {n: tolerant(n) for n in dir(TrainerCallback) if n.startswith("on_")}
    hf.INTEGRATION_TO_CALLBACK["wandb"] = type(
        "TolerantWandbCallback", (base,), {**events, "tolerant": True}
    )


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
