"""``hydratune-compare`` (and ``python scripts/compare.py``): compare runs from their files.

hydratune-compare multirun/DATE/TIME                      # a sweep
hydratune-compare outputs/D/T1 outputs/D/T2 --out cmp/    # several runs
hydratune-compare multirun/DATE/TIME --metric eval_f1 --metrics eval_f1,eval_loss
"""

from __future__ import annotations

import argparse
import sys

from hydratune.compare.table import compare, report
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
    return found


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    metrics = args.metrics.split(",") if args.metrics else None
    try:
        comparison = compare(args.paths, args.metric, args.sort, args.ascending, metrics)
    except HydratuneError as err:
        sys.exit(f"Error: {err}")
    print(report(comparison), flush=True)  # the table first, even if writing the files fails
    written = write(comparison, args.out or default_out_dir(args.paths))
    print("\nwrote " + ", ".join(map(str, written)))
