"""A plan, said to the user: one line per job, the sweep's total for its launcher, and (on
SLURM) the requests the plan supports. Reads the ``jobs`` of ``plan.json`` only."""

from __future__ import annotations

import json
import math
from pathlib import Path

PLAN_KEYS = ("plan", "plan_margin", "plan_steps", "plan_from")  # not part of a job's identity


def job_overrides(overrides: list[str]) -> list[str]:
    """A job's overrides without the planning ones: the same job, planned or launched."""
    return [o for o in overrides if o.lstrip("+~").split("=", 1)[0] not in PLAN_KEYS]


def planned(sweep_dir: Path | None, overrides: list[str]) -> dict:
    """``plan_estimate`` for run.json: this job's estimate in the sweep's plan.json (written
    there when the sweep was launched with ``=auto`` requests), beside what the run measures."""
    try:
        plan = json.loads((Path(sweep_dir) / "plan.json").read_text()) if sweep_dir else {}
    except (OSError, ValueError):
        return {}
    wanted = sorted(job_overrides(overrides))
    for job in plan.get("jobs", []):
        if sorted(job["overrides"]) == wanted:
            keys = ("est_train_seconds", "est_total_seconds", "est_peak_memory_mb", "shape")
            return {"plan_estimate": {key: job.get(key) for key in keys}}
    return {}


def describe(jobs: list[dict], margin: float, launcher: dict | None = None) -> str:
    """The table, the total for ``launcher`` (the sweep's ``hydra.launcher``), and on SLURM the
    requests: ``timeout_min``, ``mem_gb``, ``cpus_per_task``."""
    lines = [plan_table(jobs), "", *launcher_totals(jobs, launcher or {})]
    if _kind(launcher or {}) == "slurm":
        asked = slurm_requests(jobs, margin, launcher)
        asked_text = " ".join(f"{key}={value}" for key, value in asked.items())
        lines.append(f"SLURM requests (margin {margin}): {asked_text}")
    return "\n".join(lines)


def plan_table(jobs: list[dict]) -> str:
    """job, shape, steps, est. time, peak memory, disk, and the overrides that differ."""
    shared = set.intersection(*(set(j["overrides"]) for j in jobs)) if len(jobs) > 1 else set()
    header = ["job", "shape", "steps", "est_time", "peak_mem_mb", "disk_mb", "overrides"]
    cells = [[j["job"], j["shape"], str(j["steps"]), clock(j["est_total_seconds"]),
              f"{j['est_peak_memory_mb']:.0f}", f"{j['est_disk_mb']:.0f}",
              " ".join(o for o in j["overrides"] if o not in shared)] for j in jobs]  # fmt: skip
    widths = [max(len(c) for c in column) for column in zip(header, *cells, strict=True)]
    rows = [header, ["-" * w for w in widths], *cells]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
                     for row in rows)  # fmt: skip


def launcher_totals(jobs: list[dict], launcher: dict) -> list[str]:
    """The sweep's wall time as its launcher runs the jobs."""
    times = [j["est_total_seconds"] for j in jobs]
    total = sum(times)
    kind = _kind(launcher)
    if kind == "slurm":
        width = int(launcher.get("array_parallelism") or 256)
        wall = _makespan(times, width)
        return [f"Total: {clock(wall)} as a SLURM array ({min(width, len(jobs))} at once, "
                f"queue time not included); {clock(total)} of job time in all"]  # fmt: skip
    if kind == "parallel":
        n = int(launcher.get("n_jobs") or len(jobs))
        n = len(jobs) if n < 1 else n  # joblib's -1: as many as there are cores
        best = clock(_makespan(times, n))
        return [f"Total: about {clock(total)}: {n} parallel jobs on this machine share its "
                f"cores, so CPU-bound jobs finish about as late as one after another (at best "
                f"{best}, with idle cores or GPUs)"]  # fmt: skip
    return [f"Total: {clock(total)} (sequential, one job after another)"]


def slurm_requests(jobs: list[dict], margin: float, launcher: dict | None = None) -> dict:
    """What one array job should ask for: the longest and largest job, times ``margin``. The
    time adds the job process's start (imports) and submitit's ``signal_delay_s``: it signals
    the job (to requeue) that long before the limit, so the run must end before then."""
    launcher = launcher or {}
    longest = max(j["est_total_seconds"] + (j.get("est_process_start_seconds") or 0) for j in jobs)
    largest = max(j["est_peak_memory_mb"] for j in jobs)
    signal_delay = int(launcher.get("signal_delay_s") or 0)  # submitit launchers have it
    return {
        "timeout_min": max(1, math.ceil((longest * margin + signal_delay) / 60)),
        "mem_gb": max(1, math.ceil(largest * margin / 1024)),
        "cpus_per_task": launcher.get("cpus_per_task"),
    }


def _makespan(times: list[float], width: int) -> float:
    """Wall time of ``times`` run ``width`` at a time, longest first (greedy list scheduling)."""
    slots = [0.0] * max(1, min(width, len(times)))
    for t in sorted(times, reverse=True):
        slots[slots.index(min(slots))] += t
    return max(slots)


def _kind(launcher: dict) -> str:
    target = str(launcher.get("_target_", ""))
    if "SlurmLauncher" in target:
        return "slurm"
    if "LocalLauncher" in target or "Joblib" in target:
        return "parallel"
    return "sequential"


def clock(seconds: float) -> str:
    """``1h02m``, ``4m05s`` or ``38s``."""
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"
