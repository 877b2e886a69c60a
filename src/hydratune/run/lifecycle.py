"""A run's lifecycle beside the pipeline: where it writes, what an earlier attempt left there
(skip, resume or refuse), and the status, timings and tracker finish around the work.

The pipeline (:mod:`hydratune.pipeline`) only says what to build; :class:`Lifecycle` makes sure
that whatever happens (an error, Ctrl-C, SLURM's requeue signal) run.json says so and the
tracker is finished with the matching exit code.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from hydratune.config.errors import ConfigError
from hydratune.config.overrides import as_typed
from hydratune.run import claim
from hydratune.run.distributed import is_main_process
from hydratune.run.plan_table import planned
from hydratune.run.record import RunRecord
from hydratune.run.redact import redact_hydra_files, redact_overrides
from hydratune.run.tracking import NoTracker

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
            as_typed(hydra.overrides.task),  # trainer.args.x=, not the CLI's ++ form
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

    def checkpoint_dir(self, output_dir: str | None = None) -> Path:
        """``trainer.args.output_dir``, or ``<run dir>/checkpoints`` when it is null."""
        return Path(output_dir or self.run_dir / "checkpoints")


@dataclass
class Attempt:
    """What to do about this run dir: ``skip`` it (a sweep job that completed: its metrics),
    ``resume`` it from a checkpoint, or start ``fresh``."""

    action: str
    metrics: dict | None = None
    checkpoint: Path | None = None
    step: int = 0
    wandb_run_id: str | None = None
    number: int = 1


def open_run(run_dir=None, overrides=None, output_dir=None, resume: bool = True) -> Lifecycle:
    """Set up the process (SLURM tasks as DDP ranks, cores shared with parallel jobs, library
    logs into run.log), find where the run writes and decide what this attempt does."""
    from hydratune.run.distributed import adopt_slurm_tasks, share_cores_with_parallel_jobs
    from hydratune.run.logs import route_library_logs

    adopt_slurm_tasks()  # several SLURM tasks = several DDP ranks
    share_cores_with_parallel_jobs()
    route_library_logs()  # their warnings into run.log too
    context = RunContext.from_hydra(run_dir)
    if overrides is not None:
        context.overrides = list(overrides)
    attempt = plan_attempt(context, context.checkpoint_dir(output_dir), resume)
    if attempt.action == "skip":
        log.info("%s already completed: skipped (delete its run.json to redo)", context.run_dir)
    return Lifecycle(context, attempt)


def plan_attempt(context: RunContext, checkpoint_dir: Path, resume: bool = True) -> Attempt:
    """Read what an earlier attempt left in the run dir, once, and decide.

    A completed run is never overwritten: in a sweep the same job is skipped (so re-running a
    sweep redoes only the missing and failed jobs), anywhere else it is an error. An unfinished
    attempt of the same run goes on from its last complete checkpoint, in the same W&B run. A
    run dir that holds another run is an error.
    """
    if is_main_process():
        claim.hold(context.run_dir)  # one live run per dir: a second one fails here, at once
    try:
        attempt = _plan(context, checkpoint_dir, resume)
    except BaseException:
        claim.release(context.run_dir)
        raise
    if attempt.action == "skip":
        claim.release(context.run_dir)
    return attempt


def _plan(context: RunContext, checkpoint_dir: Path, resume: bool) -> Attempt:
    from hydratune.run.checkpoints import latest_complete

    previous = earlier_run(context.run_dir, context.overrides, context.sweep_dir is not None)
    if previous is None:
        return Attempt("fresh")
    if previous.get("status") == "completed":  # a re-run sweep's job: keep its results
        metrics = context.run_dir / "metrics.json"
        return Attempt("skip", json.loads(metrics.read_text()) if metrics.exists() else {})
    found = latest_complete(checkpoint_dir)
    if found is None or not resume:
        return Attempt("fresh")
    checkpoint, step = found
    number = int(previous.get("attempt", 1)) + 1
    return Attempt("resume", None, checkpoint, step, previous.get("wandb_run_id"), number)


def earlier_run(run_dir: Path, overrides: list[str], in_sweep: bool) -> dict | None:
    """run.json of an earlier attempt of this run in ``run_dir`` (None: there is none); an
    error when the dir holds another run, a completed one (outside a re-run sweep) or a record
    that cannot be read."""
    path = Path(run_dir) / "run.json"
    if not path.exists():
        return None
    previous = _read_record(path)
    same_job = previous.get("overrides") == redact_overrides(overrides)
    if previous.get("status") == "completed" and not (in_sweep and same_job):
        raise ConfigError(f"{run_dir} already holds a completed run; choose another hydra.run.dir.")
    if not same_job:
        raise ConfigError(
            f"{run_dir} holds another run (overrides {previous.get('overrides')}); "
            "choose another hydra.run.dir, or repeat that run's overrides to resume it."
        )
    return previous


def _read_record(path: Path) -> dict:
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        record = err
    if isinstance(record, dict):
        return record
    raise ConfigError(
        f"{path} is not a readable run record ({record}): this dir's earlier run cannot be "
        f"resumed or kept apart. Fix: choose another hydra.run.dir, or delete {path.name} "
        "(or the whole dir) if nothing in it is worth keeping."
    )


def claim_ahead(run_dir: Path, overrides: list[str]) -> None:
    """Hydra's ``on_run_start``: hold ``run_dir`` and refuse it when it holds another run,
    before Hydra writes ``.hydra/`` and run.log there (the run's own plan takes the hold over)."""
    if not is_main_process():
        return
    claim.hold_ahead(run_dir)
    try:
        earlier_run(run_dir, overrides, in_sweep=False)
    except BaseException:
        claim.release(run_dir)
        raise


class Lifecycle:
    """``with Lifecycle(context, attempt) as life:`` around the run's work.

    run.json starts as ``running`` and ends ``completed`` (or ``dry_run``) when the block
    finishes, ``interrupted`` on Ctrl-C or a requeue signal, ``failed`` on any other error,
    with the error's type and message; the tracker is finished with exit code 0 or 1.
    """

    def __init__(self, context: RunContext, attempt: Attempt):
        self.context = context
        self.main = is_main_process()  # only rank 0 writes run.json and W&B
        self.record = RunRecord(context.run_dir, context.overrides, Path.cwd(), self.main)
        self.attempt = attempt
        self.tracker = None
        self.status_on_success = "completed"

    def __enter__(self) -> Lifecycle:
        self._restore_signals = _catch_sigterm()
        self.record.start()
        self.record.update(**planned(self.context.sweep_dir, self.context.overrides))
        if self.main:
            redact_hydra_files(self.context.run_dir)
        if self.attempt.action == "resume":
            log.info("Resuming from %s (step %d)", self.attempt.checkpoint.name, self.attempt.step)
            self.record.update(resumed_from_step=self.attempt.step, attempt=self.attempt.number)
        return self

    def __exit__(self, kind, error, traceback) -> bool:
        if error is None:
            status = self.status_on_success
        elif isinstance(error, (KeyboardInterrupt, SystemExit)):  # Ctrl-C, SLURM's requeue
            status = "interrupted"
            if isinstance(error, Terminated):
                error.run_dir = self.context.run_dir  # the console says where to resume
        else:
            status = "failed"
        self.record.finish(status, error)
        self._finish_tracker(status)
        claim.release(self.context.run_dir)
        if self._restore_signals is not None:
            self._restore_signals()
        return False  # never swallow the error

    @contextmanager
    def phase(self, name: str):
        """Time a phase of the run into run.json's ``timings_s``."""
        started = time.monotonic()
        yield
        self.record.timed(name, started)
        log.info("%s: %.1f s", name, time.monotonic() - started)

    @property
    def skipped(self) -> bool:
        """A re-run sweep's job that already completed: its results are kept as they are."""
        return self.attempt.action == "skip"

    def note(self, **facts) -> None:
        """Facts for run.json (the mode, the loss's parameters, ...)."""
        self.record.update(**facts)

    def dry_run(self, summarize):
        """Run ``summarize()`` as the whole run: run.json says ``dry_run`` when it succeeds."""
        self.status_on_success = "dry_run"
        with self.phase("dry_run"):
            return summarize()

    def start_tracker(self, logger, config: dict, run_name: str | None = None):
        """Open the tracker of ``logger`` (a group node) on the resolved ``config``, rank 0
        only; a resumed attempt continues the W&B run of the first one."""
        from hydratune.config.build import build
        from hydratune.run.redact import redact

        resume_id = self.attempt.wandb_run_id if self.attempt.action == "resume" else None
        self.tracker = NoTracker()
        if self.main:
            self.tracker = build(
                logger,
                run_dir=str(self.context.run_dir),
                config=redact(config),  # no secrets in W&B
                default_name=run_name or self.context.name,
                default_group=self.context.group,
                default_job_type=self.context.trainer_choice,
                resume_id=resume_id,
            )
        self.record.update(wandb_run_id=self.tracker.run_id)
        return self.tracker

    def _finish_tracker(self, status: str) -> None:
        """Never let a failure here hide the run's own outcome (a SLURM requeue kills W&B's
        service process before our ``finally`` gets to it)."""
        if self.tracker is None:
            return
        try:
            self.tracker.finish(exit_code=0 if status == "completed" else 1)
        except Exception as err:  # noqa: BLE001  the run's own result matters more
            log.warning("Could not finish the W&B run cleanly: %s", err)


class Terminated(SystemExit):
    """SIGTERM (how many clusters preempt, and what ``scancel`` and timeouts send first)."""

    def __init__(self, signum: int, code: int | None = None):
        super().__init__(128 + signum if code is None else code)
        self.signal = signal.Signals(signum).name
        self.run_dir: Path | None = None

    def __str__(self) -> str:
        where = f"hydra.run.dir={self.run_dir}" if self.run_dir else "into the same run dir"
        return (
            f"stopped by {self.signal} (exit code {self.code}): re-run the same command "
            f"{where} to resume from the last complete checkpoint"
        )


def _catch_sigterm():
    """Make SIGTERM end the run like SLURM's requeue signal does: through the SIGUSR2 handler
    when one is installed (submitit's: requeue the job, then exit), and as an interruption that
    run.json records either way. Python's default would kill the process with run.json still
    saying ``running``. Returns a function that puts the previous handlers back (None where
    signals cannot be set: a launcher's worker thread).

    The requeue runs once per process: ``scontrol requeue`` itself makes SLURM send SIGTERM
    while submitit's SIGUSR2 handler is still in it (or exiting), and a second requeue of a job
    already requeued fails (exit 1), which failed the job at its second time limit.
    """
    if threading.current_thread() is not threading.main_thread():
        return None
    requeue = signal.getsignal(signal.SIGUSR2)
    requeuing = threading.Event()

    def on_usr2(signum, frame):
        requeuing.set()
        requeue(signum, frame)  # submitit's: requeues and exits, or gives up and raises
        requeuing.clear()  # it returned: another rank of the job requeues, not this one

    def on_sigterm(signum, frame):
        if requeuing.is_set():
            log.warning("SIGTERM while the job is being requeued: the requeue ends the run")
            return
        if callable(requeue):
            log.warning("SIGTERM: taking the requeue path of SIGUSR2 (%s)", requeue)
            try:
                on_usr2(signal.SIGUSR2, frame)
            except SystemExit as requeued:
                raise Terminated(signum, requeued.code) from requeued
            except Exception as err:  # noqa: BLE001  e.g. scontrol refused: still interrupted
                log.warning("The requeue path failed: %s", err)
        raise Terminated(signum)

    previous = signal.signal(signal.SIGTERM, on_sigterm), requeue
    if callable(requeue):
        signal.signal(signal.SIGUSR2, on_usr2)

    def restore() -> None:
        signal.signal(signal.SIGTERM, previous[0])
        if callable(requeue):
            signal.signal(signal.SIGUSR2, previous[1])

    return restore
