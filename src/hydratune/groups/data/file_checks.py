"""What a data file's shape hides from the reader: checked on the file itself, with its line.

- A csv/tsv header naming one column twice: pandas renames the second (``text.1``) and the run
  trains on the first without a word; a parquet schema or a json row naming one twice fails
  with datasets' "An error occurred while generating the dataset".
- A ragged csv/tsv line (more fields than the header): datasets says only "An error occurred
  while generating the dataset"; here the file, its line and the fix (read on the error path).
- A ``.json`` file holding one object (``{"version": .., "data": [rows]}``): datasets reads it
  as one row; the fix is the json reader's ``field`` option.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

from datasets import Dataset

from hydratune.config.errors import DataError


def _dialect(options: dict) -> dict:
    """csv-module settings matching the reader's (``.tsv``: tabs, quotes not special)."""
    quoting = csv.QUOTE_NONE if options.get("quoting") == 3 else csv.QUOTE_MINIMAL
    return {"delimiter": options.get("delimiter") or options.get("sep") or ",", "quoting": quoting}


def refuse_duplicate_columns(split: str, paths: list[str], builder: str, options: dict) -> None:
    """A csv/tsv header or parquet schema naming one column twice, before the reader renames
    the second (csv) or fails without saying why (parquet)."""
    if builder not in ("csv", "parquet"):
        return  # json keys: first_duplicate_key, on the read's error path
    for path in paths:
        names = _parquet_names(path) if builder == "parquet" else _csv_header(path, options)
        counts = Counter(name.strip() for name in names)
        twice = [name for name, n in counts.items() if n > 1 and name]
        if twice:
            where = {n: [i for i, c in enumerate(names, 1) if c.strip() == n] for n in twice}
            shown = "; ".join(
                f"{n!r} (columns {', '.join(map(str, at))})" for n, at in where.items()
            )
            line = "line 1" if builder == "csv" else "schema"
            raise DataError(
                f"data.{split}_files: {path} {line} names a column more than once: {shown}. "
                "Both cannot be read (a csv reader renames the second and trains on the first "
                "silently): rename or drop one."
            )


def _csv_header(path: str, options: dict) -> list[str]:
    if options.get("column_names") or options.get("header", "infer") is None:
        return []  # names given by the user: the file has no header row
    with open(path, newline="", encoding=options.get("encoding") or "utf-8", errors="replace") as f:
        return next(csv.reader(f, **_dialect(options)), [])


def _parquet_names(path: str) -> list[str]:
    import pyarrow.parquet as pq

    try:
        return list(pq.read_schema(path).names)
    except Exception:  # noqa: BLE001  not parquet at all: the reader's error path says so
        return []


def first_duplicate_key(paths: list[str]) -> str | None:
    """Where a json/jsonl read failed, the first row naming a key twice (error path only)."""
    for path in paths:
        for number, line in enumerate(Path(path).read_text(errors="replace").splitlines(), 1):
            try:
                json.loads(line, object_pairs_hook=_refuse_repeats)
            except _RepeatedKey as repeated:
                return (
                    f"{path} line {number} names the key {repeated.args[0]!r} twice (the reader "
                    "cannot tell which to keep): rename or drop one."
                )
            except ValueError:
                continue  # not one object per line (a json array): nothing to point at here
    return None


class _RepeatedKey(Exception):
    pass


def _refuse_repeats(pairs: list[tuple]) -> dict:
    seen = Counter(key for key, _ in pairs)
    twice = [key for key, n in seen.items() if n > 1]
    if twice:
        raise _RepeatedKey(twice[0])
    return dict(pairs)


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
