"""What ``hydratune-compare`` writes: ``compare.csv`` (every column) and ``compare.png``."""

from __future__ import annotations

from pathlib import Path

from hydratune.compare.plot import plot
from hydratune.compare.runs import Comparison


def write(comparison: Comparison, out_dir: Path) -> list[Path]:
    """``compare.csv`` (every column) and ``compare.png`` in ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    csv, png = out_dir / "compare.csv", out_dir / "compare.png"
    comparison.table.to_csv(csv, index=False)
    plot(comparison, png)
    return [csv, png]


def default_out_dir(paths) -> Path:
    """The sweep (or run) dir when one is given; the current directory for several."""
    return Path(paths[0]) if len(paths) == 1 else Path.cwd()
