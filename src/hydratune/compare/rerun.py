"""``hydratune-rerun RUN_DIR [--out DIR] [--tolerance X]``: run a recorded run again and say
whether it reproduced.

The run's own ``.hydra/overrides.yaml`` is replayed through ``hydratune`` (with the
``--config-dir`` it was started with, from the directory it was started in) into a new run
dir; then the new run's config is checked against the recorded one, the provenance diff is
printed (commit, packages, hardware, data files) and every final metric is compared: exact,
within ``--tolerance`` (absolute), or not. Exit code 0 when all reproduced, 1 when not.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import yaml

from hydratune.compare.diff import diff_runs, diff_text
from hydratune.compare.table import SPEED_SUFFIXES
from hydratune.config.errors import HydratuneError

VARIABLE = (*SPEED_SUFFIXES, "_per_second", "runtime")  # timings: never expected to repeat


class RerunError(HydratuneError):
    """Not a run dir, or its recorded command cannot be replayed."""


def parser() -> argparse.ArgumentParser:
    found = argparse.ArgumentParser(
        prog="hydratune-rerun",
        description="Run a recorded run again into a new run dir; print what differs (code, "
        "packages, hardware, data) and whether its metrics reproduced.",
    )
    found.add_argument("run_dir", help="a run dir (holds run.json and .hydra/)")
    found.add_argument("--out", help="the new run dir (default: RUN_DIR_rerun, _rerun2, ...)")
    found.add_argument("--tolerance", type=float, default=0.0,
                       help="absolute difference a metric may show and still count as "
                       "reproduced (default 0: exact)")  # fmt: skip
    return found


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    try:
        sys.exit(rerun(Path(args.run_dir), args.out and Path(args.out), args.tolerance))
    except HydratuneError as err:
        sys.exit(f"Error: {err}")


def rerun(run_dir: Path, out: Path | None = None, tolerance: float = 0.0) -> int:
    """Replay, report, and return the exit code (0 reproduced, 1 not)."""
    out = out or free_dir(run_dir)
    command, cwd = replay_command(run_dir, out)
    print(f"Rerunning {run_dir} into {out}:\n  {' '.join(command[3:])}", flush=True)
    done = subprocess.run(command, cwd=cwd)
    if done.returncode != 0:
        print(f"The rerun failed (exit code {done.returncode}); see {out}/run.log")
        return 1
    print("\n" + diff_text(diff_runs(run_dir, out), run_dir, out))
    rows, reproduced = check_metrics(_metrics(run_dir), _metrics(out), tolerance)
    print("\nmetrics (original -> rerun):\n" + "\n".join(rows))
    how = "exactly" if tolerance == 0 else f"within {tolerance:g}"
    print(f"\n{'Reproduced ' + how if reproduced else 'NOT reproduced'}: {run_dir} -> {out}")
    return 0 if reproduced else 1


def replay_command(run_dir: Path, out: Path) -> tuple[list[str], Path]:
    """``python -c 'hydratune' [--config-dir D] <recorded overrides> hydra.run.dir=OUT``."""
    run_dir = Path(run_dir)
    overrides_file = run_dir / ".hydra" / "overrides.yaml"
    if not (run_dir / "run.json").exists() or not overrides_file.exists():
        raise RerunError(
            f"{run_dir} is not a run dir: it needs run.json and .hydra/overrides.yaml (written "
            "by every hydratune run); give outputs/DATE/TIME or multirun/DATE/TIME/N."
        )
    info = json.loads((run_dir / "run.json").read_text())
    overrides = yaml.safe_load(overrides_file.read_text()) or []
    if any("***" in o for o in overrides):
        raise RerunError(f"{run_dir}'s overrides hold redacted secrets; rerun it by hand.")
    config_dirs = [f"--config-dir={d}" for d in _config_dirs(run_dir)]
    entry = "import sys; from hydratune.cli import main; sys.argv[0] = 'hydratune'; main()"
    command = [sys.executable, "-c", entry, *config_dirs, *overrides, f"hydra.run.dir={out}"]
    recorded = Path((info.get("command") or {}).get("cwd") or os.getcwd())
    return command, recorded if recorded.is_dir() else Path.cwd()


def free_dir(run_dir: Path) -> Path:
    """``RUN_DIR_rerun``, else ``RUN_DIR_rerun2``, ...: never a dir that holds a run."""
    for n in range(1, 1000):
        candidate = run_dir.with_name(f"{run_dir.name}_rerun{n if n > 1 else ''}")
        if not candidate.exists():
            return candidate.resolve()
    raise RerunError(f"no free rerun dir beside {run_dir}; give --out")


def check_metrics(old: dict, new: dict, tolerance: float) -> tuple[list[str], bool]:
    """One line per metric of the original run; whether every one reproduced."""
    rows, ok = [], bool(old)
    for key, value in old.items():
        if key.endswith(VARIABLE) or not isinstance(value, (int, float)):
            continue
        again = new.get(key)
        if again is None:
            verdict, ok = "missing in the rerun", False
        elif again == value:
            verdict = "exact"
        elif math.isclose(again, value, rel_tol=0, abs_tol=tolerance):
            verdict = f"within {tolerance:g} (off by {again - value:+.3g})"
        else:
            verdict, ok = f"NOT reproduced (off by {again - value:+.3g})", False
        rows.append(f"  {key:<28} {value:.10g} -> {_show(again)}  {verdict}")
    if not old:
        rows.append("  the original run has no metrics.json: nothing to compare")
    return rows, ok


def _metrics(run_dir: Path) -> dict:
    path = Path(run_dir) / "metrics.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _config_dirs(run_dir: Path) -> list[str]:
    """The ``--config-dir`` the run was started with (Hydra records it as a config source)."""
    hydra_file = run_dir / ".hydra" / "hydra.yaml"
    if not hydra_file.exists():
        return []
    hydra = (yaml.safe_load(hydra_file.read_text()) or {}).get("hydra", {})
    sources = (hydra.get("runtime") or {}).get("config_sources") or []
    return [s["path"] for s in sources if s.get("provider") == "command-line"]


def _show(value) -> str:
    return "(absent)" if value is None else f"{value:.10g}"
