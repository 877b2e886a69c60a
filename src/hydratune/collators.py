"""The ``collator`` group: batch collators, built with the tokenizer at run time."""

from __future__ import annotations

from transformers import (
    DataCollatorForLanguageModeling,
    DataCollatorForSeq2Seq,
    DataCollatorWithPadding,
    DefaultDataCollator,
)


def padding(tokenizer, pad_to_multiple_of: int | None = None) -> DataCollatorWithPadding:
    """Pad each batch to its longest row (dynamic padding: the fast default)."""
    return DataCollatorWithPadding(tokenizer, pad_to_multiple_of=pad_to_multiple_of)


def default(tokenizer=None) -> DefaultDataCollator:
    """Stack rows as they are: needs rows of equal length (``data.pad_to_max_length=true``)."""
    return DefaultDataCollator()


def seq2seq(
    tokenizer, pad_to_multiple_of: int | None = None, label_pad_token_id: int = -100
) -> DataCollatorForSeq2Seq:
    """Pad inputs and token-level ``labels`` (padded labels are ignored by the loss)."""
    return DataCollatorForSeq2Seq(
        tokenizer, pad_to_multiple_of=pad_to_multiple_of, label_pad_token_id=label_pad_token_id
    )


def lm(
    tokenizer, mlm: bool = False, mlm_probability: float = 0.15, pad_to_multiple_of=None
) -> DataCollatorForLanguageModeling:
    """Language-modelling labels from the inputs: causal (``mlm=false``) or masked."""
    if tokenizer.pad_token is None:  # causal LM tokenizers often have none; padding needs one
        tokenizer.pad_token = tokenizer.eos_token
    return DataCollatorForLanguageModeling(
        tokenizer, mlm=mlm, mlm_probability=mlm_probability, pad_to_multiple_of=pad_to_multiple_of
    )


# Supervised fine-tuning (trainer=sft). trl 1.x has no DataCollatorForCompletionOnlyLM:
# SFTTrainer masks the labels while it prepares the data and builds its own collator (padded, or
# padding-free when packing). These options choose which tokens carry loss, and trainer=sft
# turns that choice into SFTConfig flags (completion_only_loss / assistant_only_loss).


class SFTLossMask:
    """Which tokens of SFT data carry loss; trainer=sft reads it, it collates nothing."""

    def __init__(self, completion_only: bool):
        self.completion_only = completion_only

    def sft_args(self, columns) -> dict:
        """SFTConfig flags for data with these columns (see ``hydratune.data.SFT_FORMATS``)."""
        if not self.completion_only:
            return {}  # trainer.args decide, with trl's defaults
        if "messages" in columns:
            return {"assistant_only_loss": True}
        if "prompt" in columns:
            return {"completion_only_loss": True}
        return {}  # text data has no prompt: every token is the completion

    def __call__(self, rows):
        from hydratune.errors import ConfigError

        raise ConfigError("collator=completion_only and collator=sft work with trainer=sft only.")


def completion_only(tokenizer=None) -> SFTLossMask:
    """Loss on the completion (prompt/completion data) or the assistant turns (messages)."""
    return SFTLossMask(completion_only=True)


def sft(tokenizer=None) -> SFTLossMask:
    """trl's own choice: ``trainer.args.completion_only_loss`` / ``assistant_only_loss``."""
    return SFTLossMask(completion_only=False)
