"""Raw splits from local files or the hub, and the split handling every task shares.

Readers return plain ``datasets.Dataset`` splits named ``train``, ``eval`` and ``test``; the
task modules (:mod:`.classification`, :mod:`.sft`) check and shape them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import datasets
from datasets import Dataset, DatasetDict

from hydratune.compat.hub import datasets_offline, hub_reachable
from hydratune.config.errors import ConfigError, DataError
from hydratune.groups.data.file_checks import (
    first_duplicate_key,
    first_ragged_line,
    refuse_duplicate_columns,
    refuse_json_object,
)
from hydratune.run.provenance import note_data_files

SPLITS = ("train", "eval", "test")
_READERS = {
    ".csv": ("csv", {}),
    # GLUE-style TSV files contain bare quote characters, so quotes are not special.
    ".tsv": ("csv", {"delimiter": "\t", "quoting": 3}),
    ".json": ("json", {}),
    ".jsonl": ("json", {}),
    ".parquet": ("parquet", {}),
}


def read_split_files(files: dict, read_options: dict | None) -> dict[str, Dataset]:
    """``{"train": paths, "eval": paths or None, ...}`` -> the splits that were given."""
    return {
        name: read_files(name, paths, read_options or {}) for name, paths in files.items() if paths
    }


def read_hub_splits(
    path: str, name: str | None, revision: str | None, wanted: dict[str, str | None]
) -> dict[str, Dataset]:
    """``wanted`` maps our split names to the dataset's (``{"eval": "validation"}``)."""
    offline = not Path(path).exists() and not hub_reachable()
    try:
        with datasets_offline(offline):  # the local cache only: fail fast without it
            loaded = load_dataset_dict(path, name, revision)
    except Exception as err:  # datasets raises many types; the message is what matters
        raise DataError(
            f"Could not load dataset {path!r} (config {name!r}): {err}. Offline, only a local "
            "directory or a dataset already in the Hugging Face cache can be loaded; "
            "use data=files for local files."
        ) from err
    missing = [split for split in wanted.values() if split and split not in loaded]
    if missing:
        raise DataError(
            f"Dataset {path!r} has no split {missing}; its splits are {list(loaded)}. "
            "Set data.train_split / data.eval_split / data.test_split."
        )
    return {key: loaded[split] for key, split in wanted.items() if split}


def load_dataset_dict(path: str, name: str | None, revision: str | None) -> DatasetDict:
    """``load_dataset``, or ``load_from_disk`` for a directory written by ``save_to_disk``."""
    saved = Path(path)
    if (saved / "dataset_dict.json").exists():
        return datasets.load_from_disk(path)
    if (saved / "state.json").exists():  # a single Dataset: it is the train split
        return DatasetDict({"train": datasets.load_from_disk(path)})
    return datasets.load_dataset(path, name, revision=revision)


def read_files(split: str, paths: str | Sequence[str], read_options: dict) -> Dataset:
    paths = [paths] if isinstance(paths, str) else list(paths)
    for path in paths:
        if not Path(path).is_file():
            raise DataError(f"data.{split}_files: file not found: {path}")
    suffixes = {Path(p).suffix.lower() for p in paths}
    if len(suffixes) != 1 or next(iter(suffixes)) not in _READERS:
        raise DataError(
            f"data.{split}_files: cannot read {sorted(suffixes)} files together; "
            f"use one of {sorted(_READERS)} per split."
        )
    builder, options = _READERS[suffixes.pop()]
    note_data_files(paths)  # run.json fingerprints what the run read
    options = {**options, **read_options}
    refuse_duplicate_columns(split, paths, builder, options)
    try:
        read = datasets.load_dataset(builder, data_files={split: paths}, split=split, **options)
    except Exception as err:
        if "corresponds to no data" in str(err):  # datasets' words for a split with no rows
            message = f"The {split} split is empty ({paths}): give it at least one row."
            raise DataError(message) from None
        undecodable = _first_undecodable_line(paths) if builder != "parquet" else None
        if undecodable:
            path, line = undecodable
            raise DataError(
                f"data.{split}_files: {path} line {line} is not valid UTF-8. Re-save the file "
                "as UTF-8, or for csv/tsv pass its encoding: +data.read_options.encoding=latin-1"
            ) from err
        malformed = {
            "json": lambda p: _first_bad_json(p) or first_duplicate_key(p),
            "csv": lambda p: first_ragged_line(p, options),
        }
        malformed = malformed[builder](paths) if builder in malformed else None
        if malformed:
            raise DataError(f"data.{split}_files: {malformed}") from err
        raise DataError(f"data.{split}_files: could not read {paths}: {err}") from err
    if builder == "json":
        refuse_json_object(split, paths, read, read_options)
    return read


def _first_undecodable_line(paths: list[str]) -> tuple[str, int] | None:
    """Where a read failed, find the line that is not UTF-8 (only on this error path)."""
    for path in paths:
        with open(path, "rb") as lines:
            for number, line in enumerate(lines, start=1):
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError:
                    return path, number
    return None


def _first_bad_json(paths: list[str]) -> str | None:
    """Where a json/jsonl read failed, the file and line that do not parse (error path only)."""
    import json

    for path in paths:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
        whole = not path.lower().endswith(".jsonl") and text.lstrip().startswith("[")
        chunks = [(1, text)] if whole else enumerate(text.splitlines(), start=1)
        for number, chunk in chunks:
            try:
                if chunk.strip():
                    json.loads(chunk)
            except json.JSONDecodeError as err:
                line = err.lineno if whole else number
                return (
                    f"{path} line {line} is not valid JSON ({err.msg}, column {err.colno}): "
                    "fix or remove that line."
                )
    return None


def check_not_empty(split_name: str, split: Dataset) -> None:
    if len(split) == 0:
        raise DataError(f"The {split_name} split is empty: give it at least one row.")


def check_columns(split_name: str, split: Dataset, columns: list[str | None]) -> None:
    check_not_empty(split_name, split)
    for column in columns:
        if column and column not in split.column_names:
            raise DataError(
                f"Column {column!r} not in the {split_name} split; its columns are "
                f"{split.column_names}. Set data.text_column / data.label_column."
            )


def split_and_trim(
    splits: dict[str, Dataset],
    eval_size: float,
    seed: int,
    max_train_samples: int | None,
    max_eval_samples: int | None,
) -> dict[str, Dataset]:
    """Hold out a seeded eval split when none was given, then keep the first N rows. Without
    a train split (evaluate- or predict-only runs read only what they use) nothing is held out."""
    if "eval" not in splits and "train" in splits:
        splits = split_off_eval(splits, eval_size, seed)
    limits = {"train": max_train_samples, "eval": max_eval_samples}
    return {name: first_rows(split, limits.get(name)) for name, split in splits.items()}


def first_split(splits: dict[str, Dataset]) -> tuple[str, Dataset]:
    """The split that says what the data looks like: train, else eval, else test."""
    if not splits:
        raise DataError(
            "No data split was given: set data.train_files (or, for an evaluate- or "
            "predict-only run, data.eval_files / data.test_files)."
        )
    name = next(n for n in SPLITS if n in splits)
    return name, splits[name]


def split_off_eval(splits: dict[str, Dataset], eval_size: float, seed: int) -> dict:
    rows = len(splits["train"])
    if not eval_size > 0:
        raise ConfigError(f"data.eval_size={eval_size} must be a fraction in (0, 1) or a count.")
    size = int(eval_size) if eval_size >= 1 else eval_size  # datasets wants a count as int
    held_out = size if size >= 1 else math.ceil(size * rows)  # datasets rounds the share up
    if rows - held_out < 1:
        raise DataError(
            f"The train split has {rows} row{'s' if rows != 1 else ''} and no eval file, so "
            f"data.eval_size={eval_size} holds out {held_out}, leaving nothing to train on: give "
            "an eval file (data.eval_files=...) or more training rows."
        )
    parts = splits["train"].train_test_split(test_size=size, seed=seed)
    return {**splits, "train": parts["train"], "eval": parts["test"]}


def first_rows(split: Dataset, limit: int | None) -> Dataset:
    """The first ``limit`` rows; None keeps every row (0 is not "every row": refused)."""
    if limit is None:
        return split
    if limit < 1:
        raise ConfigError(f"A row limit of {limit} keeps no rows: use 1 or more (null = all).")
    return split.select(range(min(limit, len(split))))


def head(splits: DatasetDict, rows: int) -> DatasetDict:
    """The first ``rows`` rows of each split (dry runs, previews)."""
    return DatasetDict({name: first_rows(split, rows) for name, split in splits.items()})
