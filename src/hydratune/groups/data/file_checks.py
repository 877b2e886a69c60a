"""What a data file's shape hides from the reader: checked on the file itself, with its line.

- A csv/tsv header naming one column twice: pandas renames the second (``text.1``) and the run
  trains on the first without a word.
- A ragged csv/tsv line (more fields than the header): datasets says only "An error occurred
  while generating the dataset"; here the file, its line and the fix (read on the error path).
- A ``.json`` file holding one object (``{"version": .., "data": [rows]}``): datasets reads it
  as one row; the fix is the json reader's ``field`` option.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

from datasets import Dataset

from hydratune.config.errors import DataError


def _dialect(options: dict) -> dict:
    """csv-module settings matching the reader's (``.tsv``: tabs, quotes not special)."""
    quoting = csv.QUOTE_NONE if options.get("quoting") == 3 else csv.QUOTE_MINIMAL
    return {"delimiter": options.get("delimiter") or options.get("sep") or ",", "quoting": quoting}


def refuse_duplicate_header(split: str, paths: list[str], options: dict) -> None:
    """Two header cells with one name, before pandas renames the second."""
    if options.get("column_names") or options.get("header", "infer") is None:
        return  # names given by the user: the file has no header row
    for path in paths:
        with open(
            path, newline="", encoding=options.get("encoding") or "utf-8", errors="replace"
        ) as f:
            header = next(csv.reader(f, **_dialect(options)), [])
        twice = [name for name, n in Counter(c.strip() for c in header).items() if n > 1 and name]
        if twice:
            where = {n: [i for i, c in enumerate(header, 1) if c.strip() == n] for n in twice}
            shown = "; ".join(
                f"{n!r} (columns {', '.join(map(str, at))})" for n, at in where.items()
            )
            raise DataError(
                f"data.{split}_files: {path} line 1 names a column more than once: {shown}. "
                "The reader would rename the second and train on the first: rename or drop one."
            )


def first_ragged_line(paths: list[str], options: dict) -> str | None:
    """Where a csv/tsv read failed, the first line whose field count differs from the header's
    (only on this error path)."""
    for path in paths:
        with open(
            path, newline="", encoding=options.get("encoding") or "utf-8", errors="replace"
        ) as f:
            reader = csv.reader(f, **_dialect(options))
            width = len(next(reader, []))
            for fields in reader:
                if fields and len(fields) != width:
                    return (
                        f"{path} line {reader.line_num} has {len(fields)} fields where the "
                        f"header has {width}: quote cells that contain the delimiter "
                        f"({_dialect(options)['delimiter']!r}), or fix or remove that line."
                    )
    return None


def refuse_json_object(split: str, paths: list[str], read: Dataset, options: dict) -> None:
    """A ``.json`` file holding one object whose lists are the rows: say which ``field``."""
    if options.get("field") or len(read) != len(paths):
        return
    lists = [c for c in read.column_names if isinstance(read[0][c], list) and read[0][c]]
    rows = [c for c in lists if all(isinstance(item, dict) for item in read[0][c])]
    if rows and any(Path(p).suffix.lower() == ".json" for p in paths):
        raise DataError(
            f"data.{split}_files: {paths[0]} holds one JSON object (keys {read.column_names}), "
            f"not a list of rows; its rows are under {rows[0]!r}. Read them with "
            f"+data.read_options.field={rows[0]}"
        )
