"""The ``data`` group: one builder per option of ``conf/data/``.

Builders read raw splits (:mod:`.readers`) and hand them to the task's module, which checks and
shapes them: :mod:`.classification` (text + labels), :mod:`.sft` (chats, prompt/completion,
text), :mod:`.seq2seq` (source/target pairs). Which task is the trainer's to say (:mod:`.tasks`):
one ``data=files`` serves all. Every result says its ``kind``; the rest of the run dispatches on
it.

The options every classification source shares (columns, lengths, sampling, held-out split) are
declared once, as the keyword-only parameters of :func:`classification_splits`; the builders take
them as ``**options`` and advertise them in their signatures, so validation checks them too.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Sequence

from hydratune.groups.data.classification import (
    LABELS,
    ClassificationData,
    classification_splits,
)
from hydratune.groups.data.formatting import FORMATTERS, alpaca, formatting_function
from hydratune.groups.data.readers import read_hub_splits, read_split_files
from hydratune.groups.data.seq2seq import Seq2SeqData, seq2seq_splits
from hydratune.groups.data.sft import SFT_FORMATS, SFTData, sft_format
from hydratune.groups.data.task_options import keyword_options
from hydratune.groups.data.tasks import CLASSIFICATION, SFT, data_inputs, task_splits

__all__ = [
    "CLASSIFICATION", "FORMATTERS", "LABELS", "SFT", "SFT_FORMATS", "ClassificationData",
    "SFTData", "Seq2SeqData", "alpaca", "data_inputs", "files", "formatting_function", "hub",
    "seq2seq_files", "seq2seq_hub", "sft_files",
    "sft_format",
]  # fmt: skip


def with_options_of(*shared):
    """Give ``builder(..., **options)`` the signature of its own parameters plus the
    keyword-only parameters of each of ``shared`` (what it forwards ``**options`` to; the
    first one's annotation where two share a name)."""

    def decorate(builder):
        own = [
            p for p in inspect.signature(builder).parameters.values() if p.kind is not p.VAR_KEYWORD
        ]
        extra = list(keyword_options(*shared).values())
        hints = {}
        for function in reversed((*shared, builder)):
            hints.update(typing.get_type_hints(function, include_extras=True))
        builder.__signature__ = inspect.Signature(own + extra)
        builder.__annotations__ = hints
        return builder

    return decorate


@with_options_of(classification_splits, seq2seq_splits)
def files(
    kinds: Sequence[str] = CLASSIFICATION,
    *,
    train_files: str | Sequence[str] | None,  # None: evaluate/predict-only runs
    eval_files: str | Sequence[str] | None = None,
    test_files: str | Sequence[str] | None = None,
    read_options: dict | None = None,
    formatting: str | None = None,
    **options,
):
    """Local csv, tsv, json, jsonl or parquet files; the reader is picked by extension, the
    task (``kinds``: what the trainer trains) reads the columns (:func:`.tasks.task_splits`).

    ``formatting`` (SFT: ``alpaca``, or ``my_pkg.module.function``) maps each row to a text
    (``str``) or to a dict in one of the SFT formats before anything else happens.
    """
    given = {"train": train_files, "eval": eval_files, "test": test_files}
    splits = read_split_files(given, read_options)
    sources = {name: _named(paths) for name, paths in given.items() if paths}
    return task_splits(splits, kinds, formatting=formatting, sources=sources, **options)


@with_options_of(classification_splits, seq2seq_splits)
def hub(
    kinds: Sequence[str] = CLASSIFICATION,
    *,
    path: str,
    name: str | None = None,
    train_split: str | None = "train",
    eval_split: str | None = "validation",
    test_split: str | None = None,
    revision: str | None = None,
    formatting: str | None = None,
    **options,
):
    """A dataset by hub id (or a local dataset directory), with its split names; read as the
    trainer's task reads it, like :func:`files`."""
    wanted = {"train": train_split, "eval": eval_split, "test": test_split}
    splits = read_hub_splits(path, name, revision, wanted)
    return task_splits(splits, kinds, formatting=formatting, **options)


def _named(paths) -> str:
    """One file's path, or the list of them, as an error names them."""
    return paths if isinstance(paths, str) else ", ".join(map(str, paths))


def sft_files(**keys) -> SFTData:
    """:func:`files` read as SFT data whatever the trainer (``data=sft_files`` is now an alias
    of ``data=files``; this function stays for code that calls it)."""
    return files(SFT, **keys)


@with_options_of(seq2seq_splits)
def seq2seq_files(
    *,
    train_files: str | Sequence[str] | None,  # None: evaluate/predict-only runs
    eval_files: str | Sequence[str] | None = None,
    test_files: str | Sequence[str] | None = None,
    read_options: dict | None = None,
    **options,
) -> Seq2SeqData:
    """Local source/target pairs (jsonl, json, csv, tsv, parquet): columns, or WMT-style
    ``translation`` dicts with ``source_lang`` / ``target_lang``."""
    given = {"train": train_files, "eval": eval_files, "test": test_files}
    return seq2seq_splits(read_split_files(given, read_options), **options)


@with_options_of(seq2seq_splits)
def seq2seq_hub(
    *,
    path: str,
    name: str | None = None,
    train_split: str | None = "train",
    eval_split: str | None = "validation",
    test_split: str | None = None,
    revision: str | None = None,
    **options,
) -> Seq2SeqData:
    """Source/target pairs from a hub dataset (wmt16 ro-en, xsum...) or a local dataset dir."""
    wanted = {"train": train_split, "eval": eval_split, "test": test_split}
    return seq2seq_splits(read_hub_splits(path, name, revision, wanted), **options)
