"""Classification data: text (or text pairs) with one class id, or a multi-hot label vector.

:func:`classification_splits` checks raw splits (columns, empty labels with their row) and maps
labels to ids; the result, a :class:`ClassificationData`, tokenizes once a tokenizer exists.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Annotated

from datasets import ClassLabel, Dataset, DatasetDict

from hydratune.config.errors import DataError
from hydratune.config.kinds import Kind
from hydratune.config.ranges import AT_LEAST_ONE, FractionOrCount, Range
from hydratune.groups.data.fingerprints import derived, tokenizer_identity
from hydratune.groups.data.labels import (
    class_index,
    given_names,
    int_label_names,
    is_int,
    refuse_collisions,
    refuse_mixed_types,
    string_labels,
)
from hydratune.groups.data.lengths import check_room
from hydratune.groups.data.readers import check_columns, head, split_and_trim
from hydratune.groups.data.unseen import describe, unseen_label_rows, where

log = logging.getLogger(__name__)
ROWS = Range(ge=1, what="null = every row")
LABELS = "labels"  # the column name transformers models take their targets from


@dataclass
class ClassificationData:
    """Validated raw splits (``train``, ``eval``, optional ``test``) with integer ``labels``."""

    splits: DatasetDict
    text_column: str
    label_names: list[str]
    text_pair_column: str | None = None
    multi_label: bool = False  # labels are multi-hot float vectors, not class ids
    max_length: int | None = 128
    pad_to_max_length: bool = False
    num_proc: int | None = None
    source_columns: list[str] | None = None  # the train split's columns as read (messages)

    @property
    def kind(self) -> str:
        """``multilabel`` (multi-hot float labels) or ``classification`` (one class id)."""
        return Kind.MULTILABEL if self.multi_label else Kind.CLASSIFICATION

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

    def head(self, rows: int) -> ClassificationData:
        """The same task on the first ``rows`` rows of each split (dry runs, previews)."""
        return replace(self, splits=head(self.splits, rows))

    def train_texts(self) -> Iterator[str]:
        for column in self.text_columns():
            yield from self.splits["train"][column]

    def text_columns(self) -> list[str]:
        return [self.text_column] + ([self.text_pair_column] if self.text_pair_column else [])

    def encoder(self, tokenizer):
        """``encode(batch)``: a batch of raw rows (column -> list) to model inputs."""
        columns = self.text_columns()
        check_room(tokenizer, self.max_length, "data.max_length", pair=len(columns) > 1)
        padding = "max_length" if self.pad_to_max_length else False
        max_length = self.max_length

        def encode(batch):
            texts = [batch[c] for c in columns]
            return tokenizer(*texts, truncation=True, max_length=max_length, padding=padding)

        return encode

    def tokenize(self, tokenizer) -> DatasetDict:
        """Tokenize every split; datasets' cache makes a second identical run skip this (keyed
        by :mod:`.fingerprints`: no pickling of the tokenizer per split)."""
        encode = self.encoder(tokenizer)
        identity = tokenizer_identity(tokenizer)
        settings = (identity, self.text_columns(), self.max_length, self.pad_to_max_length)
        return DatasetDict(
            {
                name: split.map(
                    encode,
                    batched=True,
                    num_proc=self.num_proc,
                    remove_columns=[c for c in split.column_names if c != LABELS],
                    desc=f"Tokenizing {name}",
                    new_fingerprint=derived(split._fingerprint, self.encoder, settings)
                    if identity
                    else None,
                )
                for name, split in self.splits.items()
            }
        )


def classification_splits(
    splits: dict[str, Dataset],
    sources: dict[str, str] | None = None,
    *,
    text_column: str = "text",
    label_column: str = "label",
    text_pair_column: str | None = None,
    label_names: Sequence[str] | Mapping[int | str, str] | None = None,
    max_length: Annotated[int | None, AT_LEAST_ONE] = 128,
    pad_to_max_length: bool = False,
    max_train_samples: Annotated[int | None, ROWS] = None,
    max_eval_samples: Annotated[int | None, ROWS] = None,
    eval_size: Annotated[float, FractionOrCount()] = 0.1,
    seed: int = 42,
    num_proc: Annotated[int | None, AT_LEAST_ONE] = None,
    multi_label: bool | None = None,
) -> ClassificationData:
    """Check the raw splits and map their labels to ids: the classification task's data.

    ``sources`` names the file each split was read from, for errors. Without a train split
    (evaluate- or predict-only runs) the labels are ``label_names`` (``from_run=`` sets them, and
    ``multi_label``, from the model); ``multi_label`` null = read from the label values.
    """
    for name, split in splits.items():
        check_columns(name, split, [text_column, text_pair_column])
        for column in (text_column, text_pair_column):
            if column:
                check_texts(split, column, name)
    check_labelled(splits, label_column)  # row numbers as in the file, before any split
    source_columns = list(next(iter(splits.values())).column_names)  # as read, for messages
    spellings = set()
    for name, split in splits.items():
        if label_column in split.column_names:
            values = split[label_column][:]
            refuse_mixed_types(values, label_column, name)
            spellings |= string_labels(values)
    if not label_names:  # names listed by the user are theirs to mean as distinct
        refuse_collisions(sorted(spellings), label_column)  # across splits, before any split
    raw = dict(splits)  # as read: where an unseen label is, in file rows
    splits = split_and_trim(splits, eval_size, seed, max_train_samples, max_eval_samples)
    names, multi_label, index = _label_space(splits, label_column, label_names, multi_label)
    if "test" in splits and label_column not in splits["test"].column_names:
        log.warning(
            "The test split has no %r column, so it is not evaluated (no test_* metrics); "
            "trainer.args.do_predict=true writes its predictions.", label_column,
        )  # fmt: skip
    given = bool(label_names)
    origins = {name: name if name in raw else "train" for name in splits}  # held-out eval
    splits = {  # an unlabelled test split stays, without labels: it is predicted
        name: _encode_labels(
            name,
            split,
            label_column,
            names,
            multi_label,
            given,
            index,
            (raw[origins[name]], (sources or {}).get(origins[name]), origins[name]),
        )  # fmt: skip
        if label_column in split.column_names or name != "test"
        else split
        for name, split in splits.items()
    }
    return ClassificationData(
        splits=DatasetDict(splits),
        text_column=text_column,
        text_pair_column=text_pair_column,
        label_names=names,
        multi_label=multi_label,
        max_length=max_length,
        pad_to_max_length=pad_to_max_length,
        num_proc=num_proc,
        source_columns=source_columns,
    )


def _label_space(
    splits: dict[str, Dataset],
    label_column: str,
    given: Sequence[str] | Mapping | None,
    multi: bool | None,
) -> tuple[list[str], bool, dict[str, int] | None]:
    """Class names (sorted when read from string labels), whether the task is multi-label, and
    how label values map to class ids (:func:`.labels.class_index`)."""
    if "train" not in splits:
        return _given_label_space(splits, label_column, given, multi)
    train = splits["train"]
    if label_column not in train.column_names:
        raise DataError(
            f"Label column {label_column!r} not in the train split; its columns are "
            f"{train.column_names}. Set data.label_column."
        )
    feature = train.features[label_column]
    values = _checked_values(train, label_column, "train")
    multi_label = all(isinstance(v, list) for v in values) if multi is None else multi
    ints = all(is_int(v) for v in values)
    if given:
        names, index = given_names(given)
        return names, multi_label, index or class_index(names, ints)
    if isinstance(feature, ClassLabel):
        return list(feature.names), False, None
    if multi_label:
        return _multi_label_names(values, label_column), True, None
    if all(isinstance(v, str) for v in values):
        names = sorted(set(values))
        return names, False, class_index(names, False)
    if ints:
        if min(values) < 0:
            raise DataError(f"Label column {label_column!r} holds negative ids ({min(values)}).")
        names = int_label_names(values)  # 1..4 -> ids 0..3 named "1".."4": no empty class
        return names, False, class_index(names, True)
    refuse_mixed_types(values, label_column, "train")
    kinds = sorted({type(v).__name__ for v in values})
    raise DataError(
        f"Label column {label_column!r} holds {kinds} values; classification needs integer "
        "class ids or string class names (multi-label: lists of names, or multi-hot lists)."
    )


def _given_label_space(splits, label_column: str, given, multi: bool | None):
    """Without a train split the names are given (``from_run=``: the model's ``id2label``);
    multi-label when said, else when the labelled split's values are lists."""
    if not given:
        raise DataError(
            "Without a train split the class names come from data.label_names (from_run= sets "
            "them from the model's id2label): set data.label_names, or data.train_files."
        )
    labelled = [s for s in splits.values() if label_column in s.column_names]
    values = labelled[0][label_column][:] if labelled else []
    if multi is None:
        multi = bool(values) and all(isinstance(v, list) for v in values)
    names, index = given_names(given)
    ints = bool(values) and all(is_int(v) for v in values)
    return names, multi, index or class_index(names, ints)


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


def check_texts(split: Dataset, column: str, split_name: str) -> None:
    """Every text cell is a non-blank string: a null or a number would fail deep inside the
    tokenizer, and ``""`` or ``"  "`` would train on nothing in every format alike."""
    for row, value in enumerate(split[column][:], start=1):
        said = _text_problem(value)
        if said:
            raise DataError(
                f"Text column {column!r} is {said} at row {row} of the {split_name} split "
                "(1 = its first data row): texts must be non-blank strings; fill or drop that "
                "row."
            )


def _text_problem(value) -> str | None:
    if isinstance(value, str):
        return None if value.strip() else "blank" if value else "empty ('')"
    return "empty (null)" if _is_empty(value) else f"{value!r} ({type(value).__name__})"


def check_labelled(splits: dict[str, Dataset], column: str) -> None:
    """Rows without a label in a labelled split, counted per split, in one message."""
    found = []
    for name, split in splits.items():
        if column in split.column_names:
            rows = [i for i, v in enumerate(split[column][:], start=1) if _is_empty(v)]
            if rows:
                found.append((name, rows))
    if not found:
        return
    if len(found) == 1 and len(found[0][1]) == 1:
        name, (row,) = found[0]
        raise DataError(
            f"Label column {column!r} is empty at row {row} of the {name} split "
            "(1 = its first data row): fill or drop that row."
        )
    parts = [
        f"{len(rows)} row{'s' if len(rows) > 1 else ''} of the {name} split "
        f"(row{'s' if len(rows) > 1 else ''} {', '.join(map(str, rows[:5]))}"
        f"{', ...' if len(rows) > 5 else ''})"
        for name, rows in found
    ]
    raise DataError(
        f"Label column {column!r} is empty in {' and '.join(parts)} (1 = a split's first data "
        "row): fill or drop those rows, or leave the label column out of an unlabelled split."
    )


def _is_empty(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _checked_values(split: Dataset, column: str, split_name: str) -> list:
    values = split[column][:]  # one Arrow read: list(column) goes row by row (1 s on SST-2)
    check_labelled({split_name: split}, column)
    return values


def _encode_labels(
    split_name: str, split: Dataset, column: str, names: list[str], multi_label: bool, given=False,
    index: dict[str, int] | None = None, origin: tuple[Dataset, str | None, str] | None = None,
) -> Dataset:  # fmt: skip
    """Replace the label column by ``labels``: class ids, or multi-hot float vectors.
    ``origin``: the split as read, its file and its split name (where to find a bad row)."""
    values = _checked_values(split, column, split_name)
    labels, bad = _multi_hot(values, names) if multi_label else _class_ids(values, names, index)
    if bad:
        _refuse_unseen(split_name, column, names, bad, given, origin)
    if labels is values and column == LABELS:
        return split  # class ids already, under the name models take
    others = [LABELS] if LABELS in split.column_names else []  # a column the labels replace
    if labels is values:  # class ids already: a rename, not a copy of every label
        return split.remove_columns(others).rename_column(column, LABELS)
    keep = split.remove_columns([column] + others)
    key = derived(split._fingerprint, _encode_labels, column, names, multi_label, index)
    return keep.add_column(LABELS, labels, new_fingerprint=key)  # keyed without hashing labels


def _refuse_unseen(split_name, column, names, bad, given, origin) -> None:
    """Labels without a class id: each with its file and row, and the fix."""
    raw, source, origin_name = origin or (None, None, split_name)
    found = unseen_label_rows(raw, column, bad) if raw is not None else [(b, None) for b in bad]
    said = describe(found, where(split_name, origin_name, source))
    if given:
        raise DataError(
            f"The {split_name} split has labels not in data.label_names {names}: {said}. List "
            "every label of the data there (in class-id order), or drop data.label_names to read "
            "the names from the train split."
        )
    raise DataError(
        f"The {split_name} split has labels the train split does not have ({names}): {said}. "
        "Fix or drop those rows, or list every label in data.label_names."
    )


def _class_ids(values: list, names: list[str], index) -> tuple[list[int], list]:
    if index is None and all(is_int(v) for v in values):  # the values are the class ids
        return values, sorted({v for v in values if not 0 <= v < len(names)})
    index = index or {name: i for i, name in enumerate(names)}
    bad = sorted({str(v) for v in values if str(v) not in index})
    return [index.get(str(v), -1) for v in values], bad


def _multi_hot(rows: list[list], names: list[str]) -> tuple[list[list[float]], list]:
    if all(is_int(item) for row in rows for item in row):  # already multi-hot
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
