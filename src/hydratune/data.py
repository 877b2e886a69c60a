"""The ``data`` group: load splits from files or the hub, map labels to ids, tokenize.

Builders return a :class:`TaskData`: the raw splits (validated, labels as ids) plus what
tokenization needs. Raw data comes first because the offline tokenizers are trained on the
training texts and the model's label count comes from the data; tokenizing waits for the
tokenizer (:meth:`TaskData.tokenize`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import datasets
from datasets import ClassLabel, Dataset, DatasetDict

from hydratune.errors import ConfigError, DataError
from hydratune.hub import hub_reachable

log = logging.getLogger(__name__)

LABELS = "labels"  # the column name transformers models take their targets from
_READERS = {
    ".csv": ("csv", {}),
    # GLUE-style TSV files contain bare quote characters, so quotes are not special.
    ".tsv": ("csv", {"delimiter": "\t", "quoting": 3}),
    ".json": ("json", {}),
    ".jsonl": ("json", {}),
    ".parquet": ("parquet", {}),
}


@dataclass
class TaskData:
    """Validated raw splits (``train``, ``eval``, optional ``test``) with integer ``labels``."""

    splits: DatasetDict
    text_column: str
    label_names: list[str]
    text_pair_column: str | None = None
    max_length: int | None = 128
    pad_to_max_length: bool = False
    num_proc: int | None = None

    @property
    def num_labels(self) -> int:
        return len(self.label_names)

    def label_config(self) -> dict:
        """Keyword arguments that put the label names into a model config."""
        return {
            "num_labels": self.num_labels,
            "id2label": dict(enumerate(self.label_names)),
            "label2id": {name: i for i, name in enumerate(self.label_names)},
        }

    def train_texts(self) -> Iterator[str]:
        columns = [self.text_column] + ([self.text_pair_column] if self.text_pair_column else [])
        for column in columns:
            yield from self.splits["train"][column]

    def tokenize(self, tokenizer) -> DatasetDict:
        """Tokenize every split; datasets' cache makes a second identical run skip this."""
        columns = [self.text_column] + ([self.text_pair_column] if self.text_pair_column else [])
        padding = "max_length" if self.pad_to_max_length else False
        max_length = self.max_length

        def encode(batch):
            texts = [batch[c] for c in columns]
            return tokenizer(*texts, truncation=True, max_length=max_length, padding=padding)

        return DatasetDict(
            {
                name: split.map(
                    encode,
                    batched=True,
                    num_proc=self.num_proc,
                    remove_columns=[c for c in split.column_names if c != LABELS],
                    desc=f"Tokenizing {name}",
                )
                for name, split in self.splits.items()
            }
        )


def from_files(
    train_files: str | Sequence[str],
    eval_files: str | Sequence[str] | None = None,
    test_files: str | Sequence[str] | None = None,
    text_column: str = "text",
    label_column: str = "label",
    text_pair_column: str | None = None,
    label_names: Sequence[str] | None = None,
    max_length: int | None = 128,
    pad_to_max_length: bool = False,
    max_train_samples: int | None = None,
    max_eval_samples: int | None = None,
    eval_size: float = 0.1,
    seed: int = 42,
    num_proc: int | None = None,
    read_options: dict | None = None,
) -> TaskData:
    """Local csv, tsv, json, jsonl or parquet files; the reader is picked by extension."""
    files = {"train": train_files, "eval": eval_files, "test": test_files}
    splits = {
        name: _read_files(name, paths, read_options or {}) for name, paths in files.items() if paths
    }
    return _prepare(
        splits,
        text_column=text_column,
        label_column=label_column,
        text_pair_column=text_pair_column,
        label_names=label_names,
        max_length=max_length,
        pad_to_max_length=pad_to_max_length,
        max_train_samples=max_train_samples,
        max_eval_samples=max_eval_samples,
        eval_size=eval_size,
        seed=seed,
        num_proc=num_proc,
    )


def from_hub(
    path: str,
    name: str | None = None,
    train_split: str = "train",
    eval_split: str | None = "validation",
    test_split: str | None = None,
    text_column: str = "text",
    label_column: str = "label",
    text_pair_column: str | None = None,
    label_names: Sequence[str] | None = None,
    max_length: int | None = 128,
    pad_to_max_length: bool = False,
    max_train_samples: int | None = None,
    max_eval_samples: int | None = None,
    eval_size: float = 0.1,
    seed: int = 42,
    num_proc: int | None = None,
    revision: str | None = None,
) -> TaskData:
    """A dataset by hub id (or a local dataset directory), with its split names."""
    if not Path(path).exists() and not hub_reachable():
        datasets.config.HF_HUB_OFFLINE = True  # use the local cache only; fail fast without it
    wanted = {"train": train_split, "eval": eval_split, "test": test_split}
    try:
        loaded = _load_dataset_dict(path, name, revision)
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
    splits = {key: loaded[split] for key, split in wanted.items() if split}
    return _prepare(
        splits,
        text_column=text_column,
        label_column=label_column,
        text_pair_column=text_pair_column,
        label_names=label_names,
        max_length=max_length,
        pad_to_max_length=pad_to_max_length,
        max_train_samples=max_train_samples,
        max_eval_samples=max_eval_samples,
        eval_size=eval_size,
        seed=seed,
        num_proc=num_proc,
    )


def _load_dataset_dict(path: str, name: str | None, revision: str | None) -> DatasetDict:
    """``load_dataset``, or ``load_from_disk`` for a directory written by ``save_to_disk``."""
    saved = Path(path)
    if (saved / "dataset_dict.json").exists():
        return datasets.load_from_disk(path)
    if (saved / "state.json").exists():  # a single Dataset: it is the train split
        return DatasetDict({"train": datasets.load_from_disk(path)})
    return datasets.load_dataset(path, name, revision=revision)


def _read_files(split: str, paths: str | Sequence[str], read_options: dict) -> Dataset:
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
    try:
        return datasets.load_dataset(
            builder, data_files={split: paths}, split=split, **{**options, **read_options}
        )
    except Exception as err:
        if "corresponds to no data" in str(err):  # datasets' words for a split with no rows
            message = f"The {split} split is empty ({paths}): give it at least one row."
            raise DataError(message) from None
        raise DataError(f"data.{split}_files: could not read {paths}: {err}") from err


def _prepare(
    splits: dict[str, Dataset],
    *,
    text_column: str,
    label_column: str,
    text_pair_column: str | None,
    label_names: Sequence[str] | None,
    max_length: int | None,
    pad_to_max_length: bool,
    max_train_samples: int | None,
    max_eval_samples: int | None,
    eval_size: float,
    seed: int,
    num_proc: int | None,
) -> TaskData:
    for name, split in splits.items():
        _check_columns(name, split, [text_column, text_pair_column])
    if "eval" not in splits:
        splits = _split_off_eval(splits, eval_size, seed)
    splits["train"] = _first_rows(splits["train"], max_train_samples)
    splits["eval"] = _first_rows(splits["eval"], max_eval_samples)
    names = _label_names(splits, label_column, label_names)
    splits = {
        name: _encode_labels(name, split, label_column, names)
        for name, split in splits.items()
        if name != "test" or label_column in split.column_names  # unlabelled test: skip
    }
    return TaskData(
        splits=DatasetDict(splits),
        text_column=text_column,
        text_pair_column=text_pair_column,
        label_names=names,
        max_length=max_length,
        pad_to_max_length=pad_to_max_length,
        num_proc=num_proc,
    )


def _check_columns(split_name: str, split: Dataset, columns: list[str | None]) -> None:
    if len(split) == 0:
        raise DataError(f"The {split_name} split is empty: give it at least one row.")
    for column in columns:
        if column and column not in split.column_names:
            raise DataError(
                f"Column {column!r} not in the {split_name} split; its columns are "
                f"{split.column_names}. Set data.text_column / data.label_column."
            )


def _split_off_eval(splits: dict[str, Dataset], eval_size: float, seed: int) -> dict:
    if not 0 < eval_size < len(splits["train"]):
        raise ConfigError(f"data.eval_size={eval_size} must be a fraction in (0, 1) or a count.")
    parts = splits["train"].train_test_split(test_size=eval_size, seed=seed)
    return {**splits, "train": parts["train"], "eval": parts["test"]}


def _first_rows(split: Dataset, limit: int | None) -> Dataset:
    return split.select(range(min(limit, len(split)))) if limit else split


def _label_names(
    splits: dict[str, Dataset], label_column: str, given: Sequence[str] | None
) -> list[str]:
    train = splits["train"]
    if label_column not in train.column_names:
        raise DataError(
            f"Label column {label_column!r} not in the train split; its columns are "
            f"{train.column_names}. Set data.label_column."
        )
    feature = train.features[label_column]
    if given:
        return [str(name) for name in given]
    if isinstance(feature, ClassLabel):
        return list(feature.names)
    values = _checked_values(train, label_column, "train")
    if all(isinstance(v, str) for v in values):
        return sorted(set(values))  # string labels map to ids in sorted order
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        if min(values) < 0:
            raise DataError(f"Label column {label_column!r} holds negative ids ({min(values)}).")
        return [str(i) for i in range(max(values) + 1)]
    kinds = sorted({type(v).__name__ for v in values})
    raise DataError(
        f"Label column {label_column!r} holds {kinds} values; classification needs integer "
        "class ids or string class names."
    )


def _checked_values(split: Dataset, column: str, split_name: str) -> list:
    values = split[column]
    for row, value in enumerate(values):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            raise DataError(
                f"Label column {column!r} is empty at row {row} of the {split_name} split: "
                "fill or drop that row."
            )
    return values


def _encode_labels(split_name: str, split: Dataset, column: str, names: list[str]) -> Dataset:
    """Rename the label column to ``labels`` holding ids in ``range(len(names))``."""
    values = _checked_values(split, column, split_name)
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        ids = values
        bad = sorted({v for v in ids if not 0 <= v < len(names)})
        problem = f"class ids {bad[:10]} outside 0..{len(names) - 1}"
    else:
        index = {name: i for i, name in enumerate(names)}
        bad = sorted({str(v) for v in values if str(v) not in index})
        ids = [index.get(str(v), -1) for v in values]
        problem = f"labels {bad[:10]} that the train split does not have ({names})"
    if bad:
        raise DataError(
            f"The {split_name} split has {problem}. Fix the data or set data.label_names."
        )
    keep = split.remove_columns([column] + ([LABELS] if LABELS in split.column_names else []))
    return keep.add_column(LABELS, ids)
