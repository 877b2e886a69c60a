"""The sweep side of planning and freezing (``hydra.callbacks.plan_sweep``).

Before a sweep launches: with ``plan=true`` its jobs run here, one after another (the basic
launcher, whatever launcher was chosen), so that each cost shape is measured once and the
other jobs reuse it; otherwise ``hydra.launcher.timeout_min=auto`` / ``mem_gb=auto`` are set
from the sweep's plan times ``plan_margin``, every job's config is frozen
(:mod:`hydratune.run.frozen`) and, with ``snapshot_code=true``, the code too. After a planned
sweep: one table, the total for the chosen launcher and ``<sweep dir>/plan.json``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from hydratune.config.errors import ConfigError
from hydratune.config.overrides import as_typed
from hydratune.run.frozen import freeze, open_hydra, snapshot_code
from hydratune.run.hydra_callbacks import sweep_batches
from hydratune.run.plan_table import describe, job_overrides, slurm_requests
from hydratune.run.record import write_json

log = logging.getLogger("hydratune")
BASIC_LAUNCHER = "hydra._internal.core_plugins.basic_launcher.BasicLauncher"
AUTO = ("timeout_min", "mem_gb")


class PlanSweep(Callback):
    def __init__(self):
        self.launcher: dict = {}

    def on_multirun_start(self, config: DictConfig, **kwargs) -> None:
        try:
            self._start(config)
        except OSError:  # an unwritable sweep dir: the run-dir claim reports it, once
            return

    def _start(self, config: DictConfig) -> None:
        self.launcher = OmegaConf.to_container(config.hydra.launcher, resolve=False)
        jobs = [job for batch in sweep_batches(config.hydra) for job in batch]
        if "n_jobs" in config.hydra.sweeper:  # Optuna asks for its trials as it goes
            jobs = None
        if config.get("plan"):
            with open_hydra(config):  # measure here, one job at a time: shapes are reused
                config.hydra.launcher = {"_target_": BASIC_LAUNCHER}
            return
        auto = any(str(config.hydra.launcher.get(key)) == "auto" for key in AUTO)
        plan = find_plan(config, jobs, required=auto)
        if plan is not None:  # each job records its estimate beside what it measures
            Path(config.hydra.sweep.dir).mkdir(parents=True, exist_ok=True)
            write_json(Path(config.hydra.sweep.dir) / "plan.json", plan)
        if auto:
            set_requests(config, plan)
        if jobs is not None:
            freeze(config, jobs)
        if config.get("snapshot_code"):
            snapshot_code(config)

    def on_multirun_end(self, config: DictConfig, **kwargs) -> None:
        if not config.get("plan"):
            return
        sweep_dir = Path(config.hydra.sweep.dir)
        jobs, shapes = [], {}
        for path in sorted(sweep_dir.glob("*/plan.json"), key=lambda p: _job_number(p.parent)):
            planned = json.loads(path.read_text())
            jobs += planned["jobs"]
            shapes.update(planned["shapes"])
        if not jobs:
            return
        margin = float(config.get("plan_margin") or 1.0)
        summary = {"jobs": jobs, "shapes": shapes, "launcher": self.launcher.get("_target_")}
        if "SlurmLauncher" in str(self.launcher.get("_target_")):
            summary["slurm_requests"] = slurm_requests(jobs, margin, self.launcher)
        write_json(sweep_dir / "plan.json", summary)
        print(f"Plan of {sweep_dir} ({len(jobs)} jobs, {len(shapes)} shapes measured):")
        print(describe(jobs, margin, self.launcher))


def find_plan(config: DictConfig, jobs: list[list[str]] | None, required: bool) -> dict | None:
    """``plan_from`` (a planned sweep's dir), else the newest plan beside this sweep whose
    jobs are this sweep's jobs; none is an error only where ``required``."""
    sweep_dir = Path(config.hydra.sweep.dir)
    given = config.get("plan_from")
    if given:
        candidates = [Path(given) / "plan.json" if Path(given).is_dir() else Path(given)]
    else:
        found = set(sweep_dir.parent.glob("*/plan.json"))  # sweeps named side by side
        if len(sweep_dir.resolve().parts) > 3:  # multirun/DATE/TIME: other days' sweeps too
            found |= set(sweep_dir.parents[1].glob("*/*/plan.json"))
        candidates = sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)
    wanted = sorted(map(sorted, (job_overrides(as_typed(j)) for j in jobs or [])))
    for path in candidates:
        plan = json.loads(path.read_text())
        if given or sorted(sorted(j["overrides"]) for j in plan["jobs"]) == wanted:
            log.info("The plan of this sweep: %s", path)
            return plan
    if not required:
        return None
    raise ConfigError(
        "hydra.launcher.timeout_min=auto / mem_gb=auto take the requests from a plan of this "
        "sweep: run the same command with plan=true first (its plan.json is found beside this "
        "sweep's dir), or name it with plan_from=<planned sweep dir>."
    )


def set_requests(config: DictConfig, plan: dict) -> None:
    """Replace ``auto`` in ``hydra.launcher`` by the plan's requests times ``plan_margin``."""
    margin = float(config.get("plan_margin") or 1.0)
    launcher = config.hydra.launcher
    asked = slurm_requests(plan["jobs"], margin, OmegaConf.to_container(launcher))
    with open_hydra(config):
        for key in AUTO:
            if str(launcher.get(key)) == "auto":
                launcher[key] = asked[key]
    log.info("SLURM requests from the plan (margin %s): timeout_min=%s mem_gb=%s",
             margin, launcher.timeout_min, launcher.mem_gb)  # fmt: skip


def _job_number(path: Path) -> tuple:
    return (0, int(path.name)) if path.name.isdigit() else (1, path.name)
