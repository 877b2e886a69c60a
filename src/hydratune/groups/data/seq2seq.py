"""Seq2seq data (translation, summarization): ``source`` / ``target`` text pairs.

:func:`seq2seq_splits` turns raw splits (read from files or the hub) into :class:`Seq2SeqData`,
whose splits hold exactly two string columns, ``source`` and ``target``. Tokenizing waits for
the tokenizer (:meth:`Seq2SeqData.tokenize`), because the offline tokenizers are trained on
:meth:`Seq2SeqData.train_texts`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Annotated

from datasets import Dataset, DatasetDict

from hydratune.config.errors import ConfigError, DataError
from hydratune.config.kinds import Kind
from hydratune.config.ranges import AT_LEAST_ONE, FractionOrCount, Range
from hydratune.groups.data.classification import ROWS
from hydratune.groups.data.lengths import check_room
from hydratune.groups.data.readers import check_not_empty, first_split, head, split_and_trim

SOURCE, TARGET = "source", "target"  # the columns every Seq2SeqData split holds
LABELS = "labels"  # the column transformers models take their targets from
TARGET_LISTS = ("first", "join")  # what a list-valued target cell becomes
TOKENS = Range(ge=1, what="tokens; null = the tokenizer's limit")  # 0 is not "no limit"


@dataclass
class Seq2SeqData:
    """Splits (``train``, ``eval``, optional ``test``) of ``source`` / ``target`` strings.

    ``source_prefix`` is put before every source when tokenizing (T5's task prefixes, e.g.
    ``"translate English to Romanian: "`` or ``"summarize: "``); sources and targets are cut
    to ``max_source_length`` / ``max_target_length`` tokens (``None``: the tokenizer's limit).
    A ``test`` split may lack targets (predict only).
    """

    splits: DatasetDict
    source_prefix: str = ""
    max_source_length: int | None = 512
    max_target_length: int | None = 128
    num_proc: int | None = None

    @property
    def kind(self) -> str:
        return Kind.SEQ2SEQ

    def train_texts(self) -> Iterator[str]:
        """What an offline tokenizer learns from: the prefixed sources and the targets of the
        train split, i.e. the texts it will encode (the prefix words become single tokens)."""
        train = self.splits["train"]
        yield from (self.source_prefix + source for source in train[SOURCE])
        yield from train[TARGET]

    def prediction_rows(self, rows) -> list[tuple[str, str | None]]:
        """``(prefixed source, reference or None)`` per row to predict: test rows may be
        sources alone."""
        targets = rows[TARGET] if TARGET in rows.column_names else [None] * len(rows)
        return [(self.source_prefix + s, t) for s, t in zip(rows[SOURCE], targets, strict=True)]

    def head(self, rows: int) -> Seq2SeqData:
        """The same task on the first ``rows`` rows of each split (dry runs, previews)."""
        return replace(self, splits=head(self.splits, rows))

    def tokenize(self, tokenizer) -> DatasetDict:
        """``input_ids`` / ``attention_mask`` from prefix + source, ``labels`` from the target
        (``text_target=``), both truncated; unpadded (``DataCollatorForSeq2Seq`` pads per batch).

        Everything ``encode`` reads is a plain value or the tokenizer, so datasets' cache
        fingerprint is stable and an identical second run skips this.
        """
        prefix, max_source, max_target = (
            self.source_prefix,
            self.max_source_length,
            self.max_target_length,
        )
        check_room(tokenizer, max_source, "data.max_source_length")
        check_room(tokenizer, max_target, "data.max_target_length")

        def encode(batch):
            sources = [prefix + source for source in batch[SOURCE]]
            encoded = tokenizer(sources, max_length=max_source, truncation=True)
            if TARGET in batch:
                targets = tokenizer(
                    text_target=batch[TARGET], max_length=max_target, truncation=True
                )
                encoded[LABELS] = targets["input_ids"]
            return encoded

        return DatasetDict(
            {
                name: split.map(
                    encode,
                    batched=True,
                    num_proc=self.num_proc,
                    remove_columns=split.column_names,
                    desc=f"Tokenizing {name}",
                )
                for name, split in self.splits.items()
            }
        )


def seq2seq_splits(
    splits: dict[str, Dataset],
    *,
    source_column: str = SOURCE,
    target_column: str = TARGET,
    source_lang: str | None = None,
    target_lang: str | None = None,
    translation_column: str = "translation",
    source_prefix: str = "",
    max_source_length: Annotated[int | None, TOKENS] = 512,
    max_target_length: Annotated[int | None, TOKENS] = 128,
    target_list: str = "first",
    max_train_samples: Annotated[int | None, ROWS] = None,
    max_eval_samples: Annotated[int | None, ROWS] = None,
    eval_size: Annotated[float, FractionOrCount()] = 0.1,
    seed: int = 42,
    num_proc: Annotated[int | None, AT_LEAST_ONE] = None,
) -> Seq2SeqData:
    """Raw splits (``train``, optional ``eval`` and ``test``) as :class:`Seq2SeqData`.

    Pairs come from ``source_column`` / ``target_column``, or, when ``source_lang`` and
    ``target_lang`` are set, from WMT-style ``translation_column`` dicts
    (``{"en": "...", "ro": "..."}``). A cell that is a list of strings is read as follows:

    - a source list (SciTLDR's abstract as a list of sentences) is joined with spaces;
    - a target list is taken as several references of one example (SciTLDR's TLDRs, the
      author's first): ``target_list="first"`` trains and scores on the first non-empty
      reference only; ``target_list="join"`` joins the list with spaces instead (a summary
      stored as a list of sentences).

    Empty sentences inside a list are dropped and whitespace around them stripped. An empty or
    missing source or target is a :class:`~hydratune.config.errors.DataError` naming the split,
    the row (1 = its first data row) and the column. Without an ``eval`` split, ``eval_size``
    (a fraction or a count) of a shuffled train split becomes one (files sorted by length split
    fairly).
    """
    if (source_lang is None) != (target_lang is None):
        raise ConfigError(
            "Set both data.source_lang and data.target_lang (translation dicts), or neither "
            f"(source/target columns); got source_lang={source_lang!r}, "
            f"target_lang={target_lang!r}."
        )
    if target_list not in TARGET_LISTS:
        raise ConfigError(f"data.target_list={target_list!r}: choose one of {list(TARGET_LISTS)}.")
    first_split(splits)  # at least one: evaluate- and predict-only runs read no train split
    readers = _readers(source_column, target_column, translation_column, source_lang, target_lang)
    pairs = {
        name: _pairs(name, split, readers, translation_column, target_list)
        for name, split in splits.items()
    }
    pairs = split_and_trim(pairs, eval_size, seed, max_train_samples, max_eval_samples)
    return Seq2SeqData(
        splits=DatasetDict(pairs),
        source_prefix=source_prefix,
        max_source_length=max_source_length,
        max_target_length=max_target_length,
        num_proc=num_proc,
    )


@dataclass(frozen=True)
class _Reader:
    """Where one side's cells are: the column, the key inside translation dicts (or None),
    the words that name it in errors, and the fix to suggest."""

    column: str
    key: str | None
    name: str
    fix: str


def _readers(
    source_column: str,
    target_column: str,
    translation_column: str,
    source_lang: str | None,
    target_lang: str | None,
) -> dict[str, _Reader]:
    if source_lang is None:
        fix = "set data.source_column / data.target_column"
        columns = {SOURCE: source_column, TARGET: target_column}
        return {side: _Reader(column, None, repr(column), fix) for side, column in columns.items()}
    fix = "set data.source_lang / data.target_lang to languages the data has"
    languages = {SOURCE: source_lang, TARGET: target_lang}
    return {
        side: _Reader(translation_column, lang, f"{translation_column}[{lang!r}]", fix)
        for side, lang in languages.items()
    }


def _pairs(
    split_name: str,
    split: Dataset,
    readers: dict[str, _Reader],
    translation_column: str,
    target_list: str,
) -> Dataset:
    """The split as ``source`` / ``target`` strings; a test split may lack the target."""
    check_not_empty(split_name, split)
    if split_name == "test" and readers[TARGET].column not in split.column_names:
        readers = {SOURCE: readers[SOURCE]}  # unlabelled test data: predict only
    for reader in readers.values():
        _check_column(split_name, split, reader, translation_column)

    def to_pairs(batch, indices):
        return {
            side: [
                _text(split_name, row + 1, reader, side, cell, target_list)
                for row, cell in zip(indices, batch[reader.column], strict=True)
            ]
            for side, reader in readers.items()
        }

    return split.map(
        to_pairs,
        batched=True,
        with_indices=True,
        remove_columns=split.column_names,
        desc=f"Reading {split_name} pairs",
    )


def _check_column(split_name: str, split: Dataset, reader: _Reader, translation_column: str):
    if reader.column in split.column_names:
        fields = split.features[reader.column]
        if reader.key is not None and isinstance(fields, dict) and reader.key not in fields:
            raise DataError(
                f"No row of the {split_name} split has {reader.name}: its translations have "
                f"languages {sorted(fields)}; {reader.fix}."
            )
        return
    hint = f"Rename the columns or {reader.fix}."
    if reader.key is None and translation_column in split.column_names:
        first = split[0][translation_column]
        languages = sorted(first) if isinstance(first, dict) else []
        hint = (
            f"This data holds WMT-style {translation_column!r} dicts (languages {languages}): "
            "set data.source_lang and data.target_lang."
        )
    raise DataError(
        f"Column {reader.column!r} not in the {split_name} split; its columns are "
        f"{split.column_names}. {hint}"
    )


def _text(split_name: str, row: int, reader: _Reader, side: str, cell, target_list: str) -> str:
    """One cell as text, or a DataError naming where it is and what to do."""
    where = f"Row {row} of the {split_name} split (1 = its first data row): {reader.name}"
    if reader.key is not None:
        if not isinstance(cell, dict) or cell.get(reader.key) is None:
            has = cell.items() if isinstance(cell, dict) else []
            languages = sorted(language for language, text in has if text is not None)
            raise DataError(
                f"{where} is missing: that translation has languages {languages}. Fix or drop "
                f"the row, or {reader.fix}."
            )
        cell = cell[reader.key]
    text = _joined(cell, side, target_list)
    if text is None:
        kind = type(cell).__name__
        raise DataError(f"{where} holds {cell!r:.80} ({kind}), not text. Fix or drop the row.")
    if not text.strip():
        raise DataError(f"{where} is empty. Fill or drop the row.")
    return text


def _joined(cell, side: str, target_list: str) -> str | None:
    if isinstance(cell, str):
        return cell
    if cell is None:
        return ""
    if not isinstance(cell, list) or not all(isinstance(part, str) for part in cell):
        return None
    parts = [part.strip() for part in cell if part.strip()]
    if side == TARGET and target_list == "first":
        return parts[0] if parts else ""
    return " ".join(parts)
