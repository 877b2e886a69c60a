"""Compare runs: :mod:`.table` builds and prints the table, :mod:`.plot` draws compare.png."""

from hydratune.compare.table import (
    CompareError,
    Comparison,
    aggregate_seeds,
    compare,
    default_out_dir,
    report,
    write,
)

__all__ = [
    "CompareError", "Comparison", "aggregate_seeds", "compare", "default_out_dir", "report",
    "write",
]  # fmt: skip
