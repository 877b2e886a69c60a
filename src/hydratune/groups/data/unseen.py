"""Where an eval or test label that the train split lacks first occurs: file, row and value.

A label unseen in train has no class id, so the run is refused; the message points at the row to
fix. Rows are searched in the split as it was read (before any held-out split or trimming), so
row numbers are the file's: 1 = its first data row.
"""

from __future__ import annotations

from datasets import Dataset

SHOWN = 5  # values listed in one message


def unseen_label_rows(raw: Dataset, column: str, bad: list) -> list[tuple[str, int | None]]:
    """``(value, first row)`` for each of the first :data:`SHOWN` unseen values."""
    wanted = {str(value): None for value in bad[:SHOWN]}
    for row, cell in enumerate(raw[column][:], start=1):
        for item in cell if isinstance(cell, list) else [cell]:
            if str(item) in wanted and wanted[str(item)] is None:
                wanted[str(item)] = row
        if all(row is not None for row in wanted.values()):
            break
    return list(wanted.items())


def where(split_name: str, origin: str, source: str | None) -> str:
    """``dev.csv (data.eval_files)`` or ``the eval split``, the file a split was read from;
    a held-out eval split was read from the train file."""
    if origin != split_name:
        return f"the train file{f' {source}' if source else ''} (held out as eval rows)"
    return f"{source} (data.{origin}_files)" if source else f"the {origin} split"


def describe(found: list[tuple[str, int | None]], place: str) -> str:
    parts = [f"{value!r} at row {row}" if row else repr(value) for value, row in found]
    return f"{', '.join(parts)} of {place} (1 = its first data row)"
