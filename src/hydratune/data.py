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
from dataclasses import dataclass, replace
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
    multi_label: bool = False  # labels are multi-hot float vectors, not class ids
    max_length: int | None = 128
    pad_to_max_length: bool = False
    num_proc: int | None = None

    @property
    def num_labels(self) -> int:
        return len(self.label_names)

    def label_config(self) -> dict:
        """Keyword arguments that put the label names into a model config."""
        problem = "multi_label" if self.multi_label else "single_label"
        return {
            "num_labels": self.num_labels,
            "id2label": dict(enumerate(self.label_names)),
            "label2id": {name: i for i, name in enumerate(self.label_names)},
            "problem_type": f"{problem}_classification",
        }

    def label_counts(self) -> list[int]:
        """How often each class occurs in the train split (per label for multi-label)."""
        labels = self.splits["train"][LABELS][:]  # one Arrow read, not a row at a time
        if self.multi_label:
            return [int(sum(row[i] for row in labels)) for i in range(self.num_labels)]
        return [labels.count(i) for i in range(self.num_labels)]

    def head(self, rows: int) -> TaskData:
        """The same task on the first ``rows`` rows of each split (dry runs, previews)."""
        splits = {name: _first_rows(split, rows) for name, split in self.splits.items()}
        return replace(self, splits=DatasetDict(splits))

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
    options = locals()
    files = {"train": train_files, "eval": eval_files, "test": test_files}
    splits = {
        name: _read_files(name, paths, read_options or {}) for name, paths in files.items() if paths
    }
    return _prepare(splits, **{key: options[key] for key in _PREPARE_OPTIONS})


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
    options = locals()
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
    return _prepare(splits, **{key: options[key] for key in _PREPARE_OPTIONS})


# What both builders hand on to _prepare, under the same names as their parameters.
_PREPARE_OPTIONS = (
    "text_column", "label_column", "text_pair_column", "label_names", "max_length",
    "pad_to_max_length", "max_train_samples", "max_eval_samples", "eval_size", "seed",
    "num_proc",
)  # fmt: skip


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
        undecodable = _first_undecodable_line(paths)
        if undecodable:
            path, line = undecodable
            raise DataError(
                f"data.{split}_files: {path} line {line} is not valid UTF-8. Re-save the file "
                "as UTF-8, or for csv/tsv pass its encoding: +data.read_options.encoding=latin-1"
            ) from err
        raise DataError(f"data.{split}_files: could not read {paths}: {err}") from err


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
        if label_column in split.column_names:
            _checked_values(split, label_column, name)  # row numbers as in the file
    if "eval" not in splits:
        splits = _split_off_eval(splits, eval_size, seed)
    splits["train"] = _first_rows(splits["train"], max_train_samples)
    splits["eval"] = _first_rows(splits["eval"], max_eval_samples)
    names, multi_label = _label_space(splits["train"], label_column, label_names)
    splits = {
        name: _encode_labels(name, split, label_column, names, multi_label)
        for name, split in splits.items()
        if name != "test" or label_column in split.column_names  # unlabelled test: skip
    }
    return TaskData(
        splits=DatasetDict(splits),
        text_column=text_column,
        text_pair_column=text_pair_column,
        label_names=names,
        multi_label=multi_label,
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


def _label_space(
    train: Dataset, label_column: str, given: Sequence[str] | None
) -> tuple[list[str], bool]:
    """Class names (sorted when read from string labels) and whether the task is multi-label."""
    if label_column not in train.column_names:
        raise DataError(
            f"Label column {label_column!r} not in the train split; its columns are "
            f"{train.column_names}. Set data.label_column."
        )
    feature = train.features[label_column]
    values = _checked_values(train, label_column, "train")
    multi_label = all(isinstance(v, list) for v in values)
    if given:
        return [str(name) for name in given], multi_label
    if isinstance(feature, ClassLabel):
        return list(feature.names), False
    if multi_label:
        return _multi_label_names(values, label_column), True
    if all(isinstance(v, str) for v in values):
        return sorted(set(values)), False
    if all(_is_int(v) for v in values):
        if min(values) < 0:
            raise DataError(f"Label column {label_column!r} holds negative ids ({min(values)}).")
        return [str(i) for i in range(max(values) + 1)], False
    kinds = sorted({type(v).__name__ for v in values})
    raise DataError(
        f"Label column {label_column!r} holds {kinds} values; classification needs integer "
        "class ids or string class names (multi-label: lists of names, or multi-hot lists)."
    )


def _multi_label_names(rows: list[list], label_column: str) -> list[str]:
    items = [item for row in rows for item in row]
    if all(isinstance(item, str) for item in items):
        return sorted(set(items))
    widths = {len(row) for row in rows}
    if len(widths) == 1 and set(items) <= {0, 1}:
        return [str(i) for i in range(widths.pop())]
    raise DataError(
        f"Label column {label_column!r} holds lists that are neither label names nor "
        "multi-hot 0/1 vectors of one length."
    )


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _checked_values(split: Dataset, column: str, split_name: str) -> list:
    values = split[column][:]  # one Arrow read: list(column) goes row by row (1 s on SST-2)
    for row, value in enumerate(values, start=1):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            raise DataError(
                f"Label column {column!r} is empty at row {row} of the {split_name} split "
                "(1 = its first data row): fill or drop that row."
            )
    return values


def _encode_labels(
    split_name: str, split: Dataset, column: str, names: list[str], multi_label: bool
) -> Dataset:
    """Replace the label column by ``labels``: class ids, or multi-hot float vectors."""
    values = _checked_values(split, column, split_name)
    encode = _multi_hot if multi_label else _class_ids
    labels, bad = encode(values, names)
    if bad:
        raise DataError(
            f"The {split_name} split has labels {bad[:10]} outside the train split's "
            f"{names}. Fix the data or set data.label_names."
        )
    keep = split.remove_columns([column] + ([LABELS] if LABELS in split.column_names else []))
    return keep.add_column(LABELS, labels)


def _class_ids(values: list, names: list[str]) -> tuple[list[int], list]:
    if all(_is_int(v) for v in values):
        return values, sorted({v for v in values if not 0 <= v < len(names)})
    index = {name: i for i, name in enumerate(names)}
    bad = sorted({str(v) for v in values if str(v) not in index})
    return [index.get(str(v), -1) for v in values], bad


def _multi_hot(rows: list[list], names: list[str]) -> tuple[list[list[float]], list]:
    if all(_is_int(item) for row in rows for item in row):  # already multi-hot
        bad = sorted({len(row) for row in rows if len(row) != len(names)})
        return [[float(x) for x in row] for row in rows], [f"width {w}" for w in bad]
    index = {name: i for i, name in enumerate(names)}
    bad = sorted({str(item) for row in rows for item in row if str(item) not in index})
    hot = [[0.0] * len(names) for _ in rows]
    for vector, row in zip(hot, rows, strict=True):
        for item in row:
            if str(item) in index:
                vector[index[str(item)]] = 1.0
    return hot, bad


# Supervised fine-tuning (trainer=sft) ------------------------------------------------------------

SFT_FORMATS = {  # trl's dataset formats, detected from the columns in this order
    "messages": ("messages",),  # conversations: lists of {role, content}; chat template applied
    "prompt_completion": ("prompt", "completion"),  # loss on the completion only, by default
    "text": ("text",),  # language modelling: every token carries loss
}
_SFT_EXTRAS = ("tools", "chat_template_kwargs")  # per-row columns trl's tokenization also reads


@dataclass
class SFTData:
    """Splits (``train``, ``eval``, optional ``test``) in one of trl's :data:`SFT_FORMATS`.

    SFTTrainer applies the chat template, adds EOS, tokenizes, masks and packs, so
    :meth:`tokenize` hands the splits over as they are.
    """

    splits: DatasetDict
    format: str
    task = "causal_lm"  # not a field: tells model=hf to load AutoModelForCausalLM

    def train_texts(self) -> Iterator[str]:
        """What an offline tokenizer learns from: texts, prompts, completions, chat turns."""
        train = self.splits["train"]
        if self.format == "messages":
            for messages in train["messages"]:
                yield from (f"{m['role']}\n{m['content']}" for m in messages)
        elif self.format == "prompt_completion":
            for column in ("prompt", "completion"):
                yield from (_plain_text(value) for value in train[column])
        else:
            yield from train["text"]

    def tokenize(self, tokenizer) -> DatasetDict:
        return self.splits

    def head(self, rows: int) -> SFTData:
        """The first ``rows`` rows of each split (dry runs, previews)."""
        splits = {name: _first_rows(split, rows) for name, split in self.splits.items()}
        return replace(self, splits=DatasetDict(splits))


def sft_files(
    train_files: str | Sequence[str],
    eval_files: str | Sequence[str] | None = None,
    test_files: str | Sequence[str] | None = None,
    formatting: str | None = None,
    max_train_samples: int | None = None,
    max_eval_samples: int | None = None,
    eval_size: float = 0.1,
    seed: int = 42,
    read_options: dict | None = None,
) -> SFTData:
    """Local SFT data (json, jsonl, parquet, csv) whose format is read from its columns.

    ``formatting`` (a built-in name such as ``alpaca``, or ``my_pkg.module.function``) maps each
    row to a text (``str``) or to a dict in one of the formats before anything else happens.
    """
    files = {"train": train_files, "eval": eval_files, "test": test_files}
    splits = {
        name: _read_files(name, paths, read_options or {}) for name, paths in files.items() if paths
    }
    format_row = formatting_function(formatting) if formatting else None
    for name, split in splits.items():
        _check_columns(name, split, [])
        if format_row:
            splits[name] = _apply_formatting(name, split, format_row, formatting)
    if "eval" not in splits:
        splits = _split_off_eval(splits, eval_size, seed)
    splits["train"] = _first_rows(splits["train"], max_train_samples)
    splits["eval"] = _first_rows(splits["eval"], max_eval_samples)
    kind = sft_format(splits["train"], "train")
    for name, split in splits.items():
        if sft_format(split, name) != kind:
            raise DataError(f"The {name} split is {sft_format(split, name)} data, train is {kind}.")
        splits[name] = _checked_sft_split(name, split, kind)
    return SFTData(DatasetDict(splits), kind)


def sft_format(split: Dataset, split_name: str = "train") -> str:
    """``messages``, ``prompt_completion`` or ``text``, from the split's columns."""
    for kind, columns in SFT_FORMATS.items():
        if set(columns) <= set(split.column_names):
            return kind
    raise DataError(
        f"The {split_name} split has columns {split.column_names}; SFT data needs 'messages' "
        "(lists of role/content turns), 'prompt' and 'completion', or 'text'. Rename the columns, "
        "or build them with data.formatting=alpaca or data.formatting=my_pkg.my_function."
    )


def _checked_sft_split(split_name: str, split: Dataset, kind: str) -> Dataset:
    """Keep the format's columns; every row must be usable, or the error names it."""
    columns = SFT_FORMATS[kind]
    for column in columns:
        for row, value in enumerate(split[column]):
            problem = _sft_value_problem(kind, value)
            if problem:
                raise DataError(
                    f"Row {row} of the {split_name} split: {column!r} {problem}. Fix or drop it."
                )
    extras = [c for c in _SFT_EXTRAS if c in split.column_names]
    return split.select_columns([*columns, *extras])


def _sft_value_problem(kind: str, value) -> str | None:
    if kind != "messages":
        conversational = isinstance(value, list) and kind == "prompt_completion"
        return None if isinstance(value, str) or conversational else f"is {value!r}, not text"
    if not isinstance(value, list) or not value:
        return "is not a non-empty list of turns"
    for turn in value:
        if not isinstance(turn, dict) or not isinstance(turn.get("role"), str):
            return f"has a turn without a 'role': {turn!r}"
        if not isinstance(turn.get("content"), str):
            return f"has a {turn['role']} turn without text 'content'"
    if not any(turn["role"] == "assistant" for turn in value):
        return "has no assistant turn, so nothing to learn"
    return None


def _plain_text(value) -> str:
    """A prompt or completion as text: conversational ones are lists of turns."""
    return value if isinstance(value, str) else "\n".join(turn["content"] for turn in value)


ALPACA_WITH_INPUT = (
    "Below is an instruction that describes a task, paired with an input that provides further "
    "context. Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n"
)
ALPACA_NO_INPUT = (
    "Below is an instruction that describes a task. Write a response that appropriately "
    "completes the request.\n\n### Instruction:\n{instruction}\n\n### Response:\n"
)


def alpaca(row: dict) -> dict:
    """Stanford Alpaca rows (instruction, input, output) as prompt/completion, its own prompt."""
    template = ALPACA_WITH_INPUT if row.get("input") else ALPACA_NO_INPUT
    prompt = template.format(instruction=row["instruction"], input=row.get("input"))
    return {"prompt": prompt, "completion": row["output"]}


FORMATTERS = {"alpaca": alpaca}  # data.formatting=<name>; anything else is a dotted path


def formatting_function(name: str):
    """A built-in formatter by name, or any function by its dotted path."""
    if name in FORMATTERS:
        return FORMATTERS[name]
    if "." not in name:
        raise ConfigError(
            f"data.formatting={name!r} is neither built in ({sorted(FORMATTERS)}) nor a dotted "
            "path to a function (my_pkg.module.function)."
        )
    from hydra.utils import get_method

    try:
        return get_method(name)
    except Exception as err:  # Hydra wraps import errors in several types
        raise ConfigError(f"data.formatting={name!r} cannot be imported: {err}") from None


def _apply_formatting(split_name: str, split: Dataset, format_row, name: str) -> Dataset:
    """Map every row through ``format_row``; a failure on the first row names the columns."""
    try:
        _formatted(format_row(split[0]))
    except Exception as err:
        raise DataError(
            f"data.formatting={name} fails on row 0 of the {split_name} split (its columns are "
            f"{split.column_names}): {type(err).__name__}: {err}"
        ) from err
    return split.map(
        lambda row: _formatted(format_row(row)),
        remove_columns=split.column_names,
        desc=f"Formatting {split_name}",
    )


def _formatted(value) -> dict:
    if isinstance(value, str):
        return {"text": value}
    if isinstance(value, dict):
        return value
    raise TypeError(f"a formatting function returns a str or a dict, not {type(value).__name__}")
