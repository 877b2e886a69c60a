"""The ``collator`` group: batch collators, built with the tokenizer at run time.

Which tokens of SFT data carry loss is not a collator's choice here: trl 1.x masks labels while
it prepares the data, so that is ``trainer.loss_on`` (conf/trainer/sft.yaml).
"""

from __future__ import annotations

from transformers import (
    DataCollatorForSeq2Seq,
    DataCollatorWithPadding,
    DefaultDataCollator,
)

from hydratune.config.kinds import CLASSIFIERS, Kind, works_on


@works_on(*CLASSIFIERS)
def padding(tokenizer, *, pad_to_multiple_of: int | None = None) -> DataCollatorWithPadding:
    """Pad each batch to its longest row (dynamic padding: the fast default)."""
    return DataCollatorWithPadding(tokenizer, pad_to_multiple_of=pad_to_multiple_of)


@works_on(*CLASSIFIERS)
def default(tokenizer=None) -> DefaultDataCollator:
    """Stack rows as they are: needs rows of equal length (``data.pad_to_max_length=true``)."""
    return DefaultDataCollator()


@works_on(Kind.SEQ2SEQ)
def seq2seq(
    tokenizer, *, pad_to_multiple_of: int | None = None, label_pad_token_id: int = -100
) -> DataCollatorForSeq2Seq:
    """Pad inputs and token-level ``labels`` (padded labels are ignored by the loss)."""
    return DataCollatorForSeq2Seq(
        tokenizer, pad_to_multiple_of=pad_to_multiple_of, label_pad_token_id=label_pad_token_id
    )


def none(tokenizer=None) -> None:
    """No collator of ours: the trainer builds its own (SFTTrainer pads, or packs padding-free,
    after masking the labels itself; plain Trainer falls back to DataCollatorWithPadding)."""
    return None
