"""One ``data=files`` (and ``data=hub``) for every task: the trainer says which data it trains,
the task's module reads the columns.

``trainer=plain`` trains classification: a text and a label column. ``trainer=sft`` trains
causal LM data in one of trl's formats: ``messages``, ``prompt``/``completion`` or ``text``. The
pipeline passes the trainer's data kinds to builders that take ``kinds`` (:func:`data_inputs`);
:func:`task_splits` is the one place that picks the task's module. A new task (seq2seq:
``source``/``target``) is one more branch there.
"""

from __future__ import annotations

import inspect

from datasets import Dataset

from hydratune.config.errors import ConfigError, DataError
from hydratune.config.kinds import CLASSIFIERS, Kind
from hydratune.groups.data.classification import classification_splits
from hydratune.groups.data.readers import first_split
from hydratune.groups.data.seq2seq import seq2seq_splits
from hydratune.groups.data.sft import SFT_FORMATS, sft_splits
from hydratune.groups.data.task_options import SHARED, options_for, refuse_unread

CLASSIFICATION = CLASSIFIERS
SFT = (Kind.CAUSAL_LM,)
_SHARED = ("eval_size", "seed", "max_train_samples", "max_eval_samples")  # every task's


def data_inputs(data_node, trainer_node) -> dict:
    """``{"kinds": ...}`` for a data builder that takes ``kinds``, from the trainer's class;
    nothing for builders that do not (a user's own reads what it reads)."""
    from hydra.utils import get_object

    from hydratune.config.kinds import node_data_kinds

    target = data_node.get("_target_")
    if not target or "kinds" not in inspect.signature(get_object(target)).parameters:
        return {}
    kinds = node_data_kinds(trainer_node)
    return {"kinds": kinds} if kinds else {}


def task_splits(splits: dict[str, Dataset], kinds, *, formatting: str | None, sources=None,
                **options):  # fmt: skip
    """Raw splits -> the data object of the task the trainer trains (``sources``: the file
    each split was read from, for errors). Options another task reads are refused if set."""
    if Kind.CAUSAL_LM in kinds:
        if not formatting:
            refuse_labelled_text(first_split(splits), options.get("label_column", "label"))
        refuse_unread(Kind.CAUSAL_LM, options)
        return sft_splits(splits, formatting=formatting, **_shared(options))
    if Kind.SEQ2SEQ in kinds:
        if formatting:
            raise ConfigError(
                "data.formatting is for SFT rows; trainer=seq2seq reads source/target."
            )
        refuse_unread(Kind.SEQ2SEQ, options)
        return seq2seq_splits(splits, **options_for(seq2seq_splits, options))
    if formatting:
        raise ConfigError(
            f"data.formatting={formatting} shapes rows for SFT (trainer=sft); this run trains "
            "classification: drop data.formatting, or use trainer=sft."
        )
    refuse_sft_rows(first_split(splits), options.get("text_column", "text"))
    refuse_unread(Kind.CLASSIFICATION, options)
    return classification_splits(splits, sources, **options_for(classification_splits, options))


def _shared(options: dict) -> dict:
    """The options every task takes, with their defaults (declared once, on the classifier's
    builder) where a caller in Python left them out."""
    params = inspect.signature(classification_splits).parameters
    return {key: options.get(key, params[key].default) for key in SHARED}


def refuse_labelled_text(named: tuple[str, Dataset], label_column: str) -> None:
    """A text column beside a label column is a classifier's data, not language modelling."""
    from hydratune.config.fits import kind_mismatch

    name, train = named
    columns = set(train.column_names)
    if {"text", label_column} <= columns and not {"messages", "prompt"} & columns:
        message = kind_mismatch((Kind.CAUSAL_LM,), Kind.CLASSIFICATION, train.column_names)
        raise DataError(message.replace("the train split", f"the {name} split"))


def refuse_sft_rows(named: tuple[str, Dataset], text_column: str) -> None:
    """Chat or prompt/completion rows given to a classifier: say which trainer reads them."""
    split, train = named
    columns = set(train.column_names)
    if text_column in columns:
        return
    for kind, needed in SFT_FORMATS.items():
        if kind != "text" and set(needed) <= columns:
            raise DataError(
                f"The {split} split has columns {train.column_names}: {kind} data, for SFT. Train "
                "it with trainer=sft (the same data=files reads it); a classifier reads a text "
                "column (data.text_column) and a label column (data.label_column)."
            )
