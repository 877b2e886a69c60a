"""``hydratune-compare`` (and ``python scripts/compare.py``): compare runs from their files.

hydratune-compare multirun/DATE/TIME                      # a sweep
hydratune-compare outputs/D/T1 outputs/D/T2 --out cmp/    # several runs
hydratune-compare multirun/DATE/TIME --metric eval_f1 --metrics eval_f1,eval_loss
hydratune-compare multirun/DATE/TIME --baseline loss=default    # verdicts against this setting
hydratune-compare --diff outputs/D/T1 outputs/D/T2             # what differs between two runs
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hydratune.compare import stats_report
from hydratune.compare.table import compare, report
from hydratune.compare.verdict import DETECT, analyse
from hydratune.compare.write import default_out_dir, write
from hydratune.config.errors import HydratuneError


def parser() -> argparse.ArgumentParser:
    found = argparse.ArgumentParser(
        prog="hydratune-compare",
        description="Compare runs: a table of the overrides that vary, status and metrics; "
        "compare.csv and compare.png.\n\n" + __doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawTextHelpFormatter,
    )
    add = found.add_argument
    add("paths", nargs="+", help="a sweep dir, or run dirs (each holds run.json)")
    add("--out", help="where compare.csv/png go (default: the one dir given, else .)")
    add("--metric", help="primary metric: sorts and is plotted (default: eval_accuracy, else "
        "eval_loss)")  # fmt: skip
    add("--sort", help="column to sort by (default: the primary metric)")
    add("--ascending", action=argparse.BooleanOptionalAction,
        help="sort order (default: best first)")  # fmt: skip
    add("--metrics", help="comma-separated metric columns to print (default: losses and eval_*)")
    add("--baseline", help="the setting the others are tested against: a value (default), "
        "key=value, first (default) or best")  # fmt: skip
    add("--detect", type=float, default=DETECT,
        help=f"the effect 'about N seeds would detect' speaks of (default {DETECT:g})")  # fmt: skip
    add("--wandb", action=argparse.BooleanOptionalAction, default=None,
        help="log the comparison as a W&B run (job_type=compare) in the runs' group "
        "(default: when the runs logged to W&B)")  # fmt: skip
    add("--diff", action="store_true", help="what differs between two runs (the two paths)")
    return found


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    if args.diff:
        return diff_main(args.paths)
    metrics = args.metrics.split(",") if args.metrics else None
    try:
        comparison = compare(args.paths, args.metric, args.sort, args.ascending, metrics)
        result = seed_statistics(comparison, args.baseline, args.detect)
    except HydratuneError as err:
        sys.exit(f"Error: {err}")
    print(report(comparison), flush=True)  # the table first, even if writing the files fails
    if result is not None:
        print(stats_report.text(result, [comparison.metric]), flush=True)
    out = args.out or default_out_dir(args.paths)
    written = write(comparison, out) + (stats_report.write(result, out) if result else [])
    print("\nwrote " + ", ".join(map(str, written)))
    if args.wandb or (args.wandb is None and comparison.table["wandb_run_id"].notna().any()):
        from hydratune.compare.wandb_run import log_comparison

        where = log_comparison(comparison, result, Path(out))
        print(f"logged the comparison to W&B: {where}")


def seed_statistics(comparison, baseline, detect) -> dict | None:
    """Intervals and verdicts where some setting has completed runs with the primary metric."""
    if comparison.metric is None or comparison.table[comparison.metric].notna().sum() < 2:
        return None
    return analyse(comparison, baseline, detect=detect)


def diff_main(paths) -> None:
    from hydratune.compare.diff import diff_runs, diff_text

    if len(paths) != 2:
        sys.exit(f"Error: --diff takes two run dirs, got {len(paths)}: {' '.join(paths)}")
    try:
        a, b = map(Path, paths)
        print(diff_text(diff_runs(a, b), a, b))
    except HydratuneError as err:
        sys.exit(f"Error: {err}")
