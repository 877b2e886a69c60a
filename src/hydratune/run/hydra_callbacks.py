"""Hydra callbacks (``hydra.callbacks``): conf/config.yaml registers :class:`ClaimDirs`,
:class:`SweepBatch` and :class:`RunReport` for every run; the Optuna presets add
:class:`CreateSweepDir`."""

from __future__ import annotations

import json
import logging
import os
from contextlib import contextmanager
from pathlib import Path

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf, open_dict, read_write

from hydratune.run.distributed import rank

log = logging.getLogger("hydratune")


class ClaimDirs(Callback):
    """Claim the dirs a command writes before Hydra writes anything there.

    Hydra creates the run dir and writes ``.hydra/`` and run.log into it before the task
    runs: a command that the run's checks then refuse (the dir holds another run) would
    already have overwritten that run's files. ``on_run_start`` comes before all of it.
    A sweep's default dir ``multirun/DATE/TIME`` has one-second resolution: two sweeps
    started in the same second would share it (and each job dir); each gets its own.
    """

    def on_run_start(self, config: DictConfig, **kwargs) -> None:
        from hydratune.config.overrides import as_typed
        from hydratune.run.lifecycle import claim_ahead

        with _refusing():
            overrides = as_typed(list(config.hydra.overrides.task))
            claim_ahead(Path(config.hydra.run.dir), overrides)

    def on_multirun_start(self, config: DictConfig, **kwargs) -> None:
        with _refusing():
            _claim_sweep_dir(config)


@contextmanager
def _refusing():
    """Hydra turns a callback's exception into a warning and goes on: stop the command."""
    from hydratune.config.errors import Refusal

    try:
        yield
    except Exception as err:
        raise Refusal(err) from err


def _claim_sweep_dir(config: DictConfig) -> None:
    """A sweep dir named by the time (``multirun/DATE/TIME``) becomes its first free sibling."""
    from hydratune.run.claim import first_free

    named = OmegaConf.to_container(config.hydra.sweep, resolve=False)["dir"]
    if "now:" not in str(named):
        return  # a sweep dir given by name: re-running a sweep there redoes missing jobs
    sweep_dir = first_free(str(config.hydra.sweep.dir))
    with read_write(config.hydra), open_dict(config.hydra):
        config.hydra.sweep.dir = sweep_dir
        # each job's config is composed again from these overrides (and so holds this dir)
        config.hydra.overrides.hydra.append(f"hydra.sweep.dir={sweep_dir}")


class CreateSweepDir(Callback):
    """Create the sweep dir before the sweeper starts: Optuna opens its sqlite storage there
    before Hydra has launched the first job (which is when Hydra would create it)."""

    def on_multirun_start(self, config: DictConfig, **kwargs) -> None:
        Path(config.hydra.sweep.dir).mkdir(parents=True, exist_ok=True)


class SweepBatch(Callback):
    """Tell the jobs how many of them the launcher starts together, so that each takes its
    share of the cores (:func:`hydratune.run.distributed.share_cores_with_parallel_jobs`):
    the job processes of ``hydra/launcher=local`` and ``joblib`` inherit this environment."""

    def on_multirun_start(self, config: DictConfig, **kwargs) -> None:
        from hydratune.run.distributed import PARALLEL_JOBS_ENV

        os.environ[PARALLEL_JOBS_ENV] = str(batch_size(config.hydra))


def batch_size(hydra: DictConfig) -> int:
    """Jobs in the sweep's first batch: the basic sweeper's grid (cut to ``max_batch_size``),
    or an Optuna sweeper's ``n_jobs``."""
    sweeper = hydra.sweeper
    if "n_jobs" in sweeper:  # Optuna: trials asked for n_jobs at a time
        return int(sweeper.n_jobs or 1)
    batches = sweep_batches(hydra, sweeper.get("max_batch_size"))
    return max(1, len(batches[0]) if batches else 1)


def sweep_batches(hydra: DictConfig, max_batch_size: int | None = None) -> list[list[list[str]]]:
    """The basic sweeper's jobs (each a list of overrides), in its batches and job order; empty
    for a sweep it rejects (it reports that itself)."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    given = list(hydra.overrides.task)
    given += [f"{key}={value}" for key, value in (hydra.sweeper.get("params") or {}).items()]
    try:
        overrides = OverridesParser.create().parse_overrides(given)
        return BasicSweeper.split_arguments(overrides, max_batch_size)
    except Exception:  # noqa: BLE001  a sweep the basic sweeper rejects: it reports that itself
        return []


class RunReport(Callback):
    """One line at the end of every run (status, main metric, wall time, run dir), and a table
    of the jobs at the end of a sweep, read back from each job's run.json and metrics.json.

    A sweep whose job failed never reaches ``on_multirun_end``: Hydra re-raises the first
    failure from the sweeper. So the sweep is remembered when it starts, and the ``hydratune``
    command calls :func:`end_sweep` whichever way the sweep ended."""

    def on_multirun_start(self, config: DictConfig, **kwargs) -> None:
        _open_sweep.update(dir=Path(config.hydra.sweep.dir), metric=config.get("optimized_metric"))

    def on_job_end(self, config: DictConfig, job_return, **kwargs) -> None:
        run_dir = Path(job_return.hydra_cfg.hydra.runtime.output_dir)
        failed = job_return.status.name != "COMPLETED"
        error = getattr(job_return, "_return_value", None) if failed else None
        _job_ends[run_dir] = ("failed" if failed else "completed", _error_type(error))
        if rank() != 0:  # rank 0 writes run.json and says how the run ended
            log.info("Rank %d %s: %s", rank(), _job_ends[run_dir][0], run_dir)
            return
        row = job_row(run_dir, config.get("optimized_metric"))
        status = f"{row['status']} ({row['error']})" if row["error"] else row["status"]
        log.info("Run %s%s in %s s: %s", status, _metric_text(row), row["wall_s"], run_dir)

    def on_multirun_end(self, config: DictConfig, **kwargs) -> None:
        end_sweep()


_open_sweep: dict = {}  # the sweep this process runs, until its table is printed
_job_ends: dict = {}  # run dir -> (status, error type), for jobs that left no run.json
SUCCEEDED = {"completed", "dry_run"}


def end_sweep() -> bool:
    """Log the open sweep's table of jobs (if a sweep is open); False if any job did not
    succeed."""
    if not _open_sweep:
        return True
    sweep_dir, metric = _open_sweep.pop("dir"), _open_sweep.pop("metric")
    rows = [job_row(d, metric) for d in job_dirs(sweep_dir)]
    failed = [r for r in rows if r["status"] not in SUCCEEDED]
    outcome = f"{len(failed)} did not succeed" if failed else "all succeeded"
    log.info("Sweep %s, %d jobs: %s\n%s", sweep_dir, len(rows), outcome, jobs_table(rows))
    return not failed


def job_dirs(sweep_dir: Path) -> list[Path]:
    """The sweep's job dirs (Hydra writes ``.hydra/`` into each before the job runs), in job
    number order: 0, 1, 2, ..., 10, 11."""
    found = {p.parent for p in sweep_dir.glob("*/.hydra")} | {
        p.parent for p in sweep_dir.glob("*/run.json")
    }
    return sorted(found, key=lambda d: job_order(d.name))


def job_order(name: str) -> tuple:
    """Sort key for job names: numbers by value, before any other name."""
    return (0, int(name), "") if name.isdigit() else (1, 0, name)


def job_row(run_dir: Path, metric: str | None, fallback_status: str = "unknown") -> dict:
    """A job's status, error type, overrides, main metric (``optimized_metric``, else
    eval_loss) and wall time, from the files it left (a job that failed before writing
    run.json: what its end said, where this process saw it)."""
    record = _read(run_dir / "run.json")
    metrics = _read(run_dir / "metrics.json")
    status, error = _job_ends.get(run_dir, (fallback_status, None))
    key = metric if metric in metrics else "eval_loss" if "eval_loss" in metrics else None
    return {
        "job": run_dir.name,
        "run_dir": _shown(run_dir),
        "status": record.get("status", status),
        "overrides": list(record.get("overrides") or []),
        "error": (record.get("error") or {}).get("type") or (error if not record else None),
        "metric": key,
        "value": metrics.get(key) if key else None,
        "wall_s": record.get("timings_s", {}).get("total", "?"),
    }


def jobs_table(rows: list[dict]) -> str:
    """One line per job; the overrides column keeps only those that differ between jobs."""
    metric = next((r["metric"] for r in rows if r["metric"]), "metric")
    shared = set.intersection(*(set(r["overrides"]) for r in rows)) if len(rows) > 1 else set()
    header = ["job", "status", metric, "wall_s", "error", "run_dir", "overrides"]
    cells = [[r["job"], r["status"], _number(r["value"]), str(r["wall_s"]), r["error"] or "-",
              r["run_dir"], " ".join(o for o in r["overrides"] if o not in shared)]
             for r in rows]  # fmt: skip
    widths = [max(len(str(c)) for c in column) for column in zip(header, *cells, strict=True)]
    lines = [header, ["-" * w for w in widths], *cells]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
                     for line in lines)  # fmt: skip


def _error_type(error) -> str | None:
    return type(error).__name__ if isinstance(error, BaseException) else None


def _shown(path: Path) -> str:
    """A path relative to the current directory when it is under it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _metric_text(row: dict) -> str:
    return f", {row['metric']}={_number(row['value'])}" if row["metric"] else ""


def _number(value) -> str:
    return f"{value:.4g}" if isinstance(value, int | float) else "-"


def _read(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
