"""Compare runs. Arrows run one way: :mod:`.runs` reads what runs wrote; :mod:`.table` builds
and prints the table; :mod:`.plot` draws compare.png; :mod:`.write` writes both; :mod:`.cli` is
``hydratune-compare``."""

from hydratune.compare.runs import CompareError, Comparison
from hydratune.compare.table import aggregate_seeds, compare, report
from hydratune.compare.write import default_out_dir, write

__all__ = [
    "CompareError", "Comparison", "aggregate_seeds", "compare", "default_out_dir", "report",
    "write",
]  # fmt: skip
