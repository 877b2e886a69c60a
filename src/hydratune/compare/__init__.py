"""Compare runs. Arrows run one way: :mod:`.runs` reads what runs wrote; :mod:`.table` builds
and prints the table; :mod:`.plot` draws compare.png; :mod:`.write` writes both; :mod:`.cli` is
``hydratune-compare``. :mod:`.verdict` tests settings against a baseline over seeds
(:mod:`.stats`), :mod:`.diff` says what differs between two runs, :mod:`.rerun` runs one again."""

from hydratune.compare.runs import CompareError, Comparison
from hydratune.compare.table import aggregate_seeds, compare, report
from hydratune.compare.verdict import analyse
from hydratune.compare.write import default_out_dir, write

__all__ = [
    "CompareError", "Comparison", "aggregate_seeds", "analyse", "compare", "default_out_dir",
    "report", "write",
]  # fmt: skip
