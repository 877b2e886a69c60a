"""Compare runs: a table of the overrides that vary, status and metrics; compare.csv and .png.

python scripts/compare.py multirun/DATE/TIME                      # a sweep
python scripts/compare.py outputs/D/T1 outputs/D/T2 --out cmp/    # several runs
python scripts/compare.py multirun/DATE/TIME --metric eval_f1 --metrics eval_f1,eval_loss
"""

import argparse
import sys

from hydratune.compare import compare, default_out_dir, report, write
from hydratune.errors import HydratuneError

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
parser.add_argument("paths", nargs="+", help="a sweep dir, or run dirs (each holds run.json)")
parser.add_argument("--out", help="where compare.csv/png go (default: the one dir given, else .)")
parser.add_argument(
    "--metric", help="primary metric: sorts and is plotted (default: eval_accuracy, else eval_loss)"
)
parser.add_argument("--sort", help="column to sort by (default: the primary metric)")
parser.add_argument(
    "--ascending", action=argparse.BooleanOptionalAction, help="sort order (default: best first)"
)
parser.add_argument(
    "--metrics", help="comma-separated metric columns to print (default: losses and eval_*)"
)
args = parser.parse_args()
metrics = args.metrics.split(",") if args.metrics else None
try:
    comparison = compare(args.paths, args.metric, args.sort, args.ascending, metrics)
except HydratuneError as err:
    sys.exit(f"compare.py: {err}")
print(report(comparison), flush=True)  # the table first, even if writing the files fails
written = write(comparison, args.out or default_out_dir(args.paths))
print("\nwrote " + ", ".join(map(str, written)))
