"""The ``collator`` group: batch collators, built with the tokenizer at run time."""

from __future__ import annotations

from transformers import DataCollatorWithPadding, DefaultDataCollator


def padding(tokenizer, pad_to_multiple_of: int | None = None) -> DataCollatorWithPadding:
    """Pad each batch to its longest row (dynamic padding: the fast default)."""
    return DataCollatorWithPadding(tokenizer, pad_to_multiple_of=pad_to_multiple_of)


def default(tokenizer=None) -> DefaultDataCollator:
    """Stack rows as they are: needs rows of equal length (``data.pad_to_max_length=true``)."""
    return DefaultDataCollator()
