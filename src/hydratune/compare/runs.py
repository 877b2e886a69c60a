"""The runs a comparison reads, and the small facts about values that the table and the plot
share: what each run wrote (``run.json``, ``metrics.json``, ``log_history.json``, its
overrides), which metrics are better lower, how a value is shown.

Reads only what each run wrote, so it works offline, on a sweep that is still running, and on
sweeps where some jobs failed.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hydratune.config.errors import HydratuneError

LOWER_IS_BETTER = ("loss", "perplexity", "error", "runtime")


class CompareError(HydratuneError):
    """Nothing to compare, or a flag names a column that no run has."""


@dataclass
class Comparison:
    table: pd.DataFrame  # every column of every run, sorted
    params: list[str]  # varied overrides other than seeds (column names)
    seeds: list[str]  # varied seed overrides (column names)
    names: dict[str, str]  # override key -> column name
    constant: dict[str, str]  # overrides that every run shares
    metric: str | None = None  # primary metric: sorts the table, is plotted
    shown: tuple[str, ...] = ()  # columns printed


def find_runs(paths) -> list[Path]:
    """Run dirs under ``paths``: a dir holding ``run.json`` is one run, else its sub-dirs count."""
    runs = []
    for path in map(Path, paths):
        if not path.is_dir():
            raise CompareError(f"{path} is not a directory")
        found = []
        for root, dirs, files in os.walk(path):
            if "run.json" in files:
                found.append(Path(root))
                dirs.clear()  # a run's checkpoints/ and wandb/ hold no further runs
        if not found:
            raise CompareError(
                f"No runs under {path}: no run.json in it or its sub-directories. Give a run dir "
                "(outputs/DATE/TIME), a sweep dir (multirun/DATE/TIME) or several run dirs."
            )
        runs += sorted(found, key=_natural)
    return list(dict.fromkeys(runs))


def load_run(run_dir: Path, base: Path | None = None) -> dict:
    """One run as a record: its overrides, status, error type, metrics and total time."""
    info = read_json(run_dir / "run.json") or {}
    status = info.get("status", "unknown")
    # only a completed run's metrics are final; anything else shows as empty
    metrics = (read_json(run_dir / "metrics.json") or {}) if status == "completed" else {}
    return {
        "run": _label(run_dir, base),
        "status": status,
        "error": (info.get("error") or {}).get("type"),
        "overrides": dict(_split(o) for o in _overrides(run_dir, info)),
        "metrics": {k: v for k, v in metrics.items() if v is None or is_number(v)},
        "runtime_s": (info.get("timings_s") or {}).get("total"),
        "est_runtime_s": (info.get("plan_estimate") or {}).get("est_total_seconds"),
        "peak_memory_mb": info.get("measured_peak_memory_mb"),
        "est_peak_memory_mb": (info.get("plan_estimate") or {}).get("est_peak_memory_mb"),
        "started_at": info.get("started_at"),
        "wandb_run_id": info.get("wandb_run_id"),
        "run_dir": str(run_dir.resolve()),
    }


def lower_is_better(name: str) -> bool:
    return any(word in name for word in LOWER_IS_BETTER)


def fmt(value) -> str:
    if missing(value):
        return "(default)"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:g}"
    return str(value)


def missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def as_tuple(key) -> tuple:
    return key if isinstance(key, tuple) else (key,)


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def n_runs(n: int) -> str:
    return f"{n} run" if n == 1 else f"{n} runs"


def read_json(path: Path):
    return json.loads(path.read_text()) if path.exists() else None


def _overrides(run_dir: Path, info: dict) -> list[str]:
    if "overrides" in info:
        return info["overrides"]
    path = run_dir / ".hydra" / "overrides.yaml"  # runs written before run.json had them
    if not path.exists():
        return []
    import yaml

    return yaml.safe_load(path.read_text()) or []


def _split(override: str) -> tuple[str, str]:
    key, _, value = override.partition("=")
    return key.lstrip("+"), value.strip("'\"")


def _label(run_dir: Path, base: Path | None) -> str:
    if base is None or run_dir.resolve() == base:
        return run_dir.name
    return str(run_dir.resolve().relative_to(base))


def common_dir(runs: list[Path]) -> Path:
    return Path(os.path.commonpath([r.resolve() for r in runs]))


def _natural(path: Path) -> list:
    """multirun job dirs in job order: 2 before 10."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", str(path))]
