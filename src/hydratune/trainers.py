"""The ``trainer`` group: a configured ``transformers.Trainer`` or ``trl.SFTTrainer`` from
built objects.

``args`` are ``TrainingArguments`` fields (``plain``) or ``trl.SFTConfig`` fields (``sft``),
exactly as the libraries name them.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable

from transformers import Trainer, TrainingArguments

from hydratune.errors import ConfigError


def plain(
    args: dict,
    model,
    tokenizer,
    train_dataset,
    eval_dataset,
    data_collator,
    compute_loss_func: Callable | None = None,
    compute_metrics: Callable | None = None,
    callbacks: list | None = None,
) -> Trainer:
    """``transformers.Trainer`` for classification or any ``torch.nn.Module`` with a loss."""
    _refuse_sft_collator(data_collator)
    return Trainer(
        model=model,
        args=training_arguments(TrainingArguments, args),
        train_dataset=train_dataset,
        eval_dataset=eval_dataset,
        processing_class=tokenizer,
        data_collator=data_collator,
        compute_loss_func=compute_loss_func,
        compute_metrics=compute_metrics,
        callbacks=callbacks,
    )


def training_arguments(args_class: type, args: dict):
    """Build ``args_class(**args)``; an unknown field is named with its close matches."""
    check_fields(args_class, args, "trainer.args")
    return args_class(**args)


def check_fields(args_class: type, args: dict, prefix: str) -> None:
    known = set(inspect.signature(args_class).parameters)
    for key in args:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=3)
            hint = f" Did you mean {close}?" if close else ""
            raise ConfigError(f"{prefix}.{key} is not a {args_class.__name__} field.{hint}")


def sft(
    args: dict,
    model,
    tokenizer,
    train_dataset,
    eval_dataset,
    data_collator=None,
    compute_loss_func: Callable | None = None,
    compute_metrics: Callable | None = None,
    callbacks: list | None = None,
):
    """``trl.SFTTrainer`` on SFT data (:class:`~hydratune.data.SFTData`): it applies the chat
    template, adds EOS, tokenizes, masks the labels, packs, and builds its own collator.

    The collator option says which tokens carry loss (``collator=completion_only`` sets
    ``completion_only_loss`` or ``assistant_only_loss`` to fit the data); ``bf16`` and
    ``activation_checkpointing`` left null follow the device (:func:`device_defaults`).
    """
    from trl import SFTConfig, SFTTrainer

    from hydratune.collators import SFTLossMask

    _check_sft_data(train_dataset)
    if isinstance(data_collator, SFTLossMask):
        args = {**args, **data_collator.sft_args(train_dataset.column_names)}
        data_collator = None
    elif type(data_collator).__module__.startswith("transformers."):
        raise ConfigError(
            f"trainer=sft masks labels itself and builds its own collator, so "
            f"{type(data_collator).__name__} does not fit: use collator=completion_only (loss on "
            "completions or assistant turns) or collator=sft (as trainer.args say)."
        )
    return SFTTrainer(
        model=model,
        args=training_arguments(SFTConfig, device_defaults(args)),
        train_dataset=train_dataset,
        eval_dataset=eval_dataset,
        processing_class=tokenizer,
        data_collator=data_collator,
        compute_loss_func=compute_loss_func,
        compute_metrics=compute_metrics,
        callbacks=callbacks,
    )


def device_defaults(args: dict) -> dict:
    """Fill ``bf16`` and ``activation_checkpointing`` left null from the device: on with a CUDA
    GPU (bf16 where it supports it), off on CPU, where SFTConfig's own defaults (both on) fail.

    ``activation_checkpointing`` is transformers 5's name; SFTConfig's ``gradient_checkpointing``
    (default true) is its deprecated alias and follows it.
    """
    import torch

    gpu = torch.cuda.is_available()
    filled = dict(args)
    if filled.get("bf16") is None:
        filled["bf16"] = gpu and torch.cuda.is_bf16_supported() and not filled.get("fp16")
    if (
        filled.get("activation_checkpointing") is None
        and filled.get("gradient_checkpointing") is None
    ):
        filled.pop("gradient_checkpointing", None)
        filled["activation_checkpointing"] = gpu
    return filled


def _check_sft_data(dataset) -> None:
    from hydratune.data import SFT_FORMATS

    columns = set(dataset.column_names)
    if any(set(needed) <= columns for needed in SFT_FORMATS.values()):
        return
    if "input_ids" in columns and not isinstance(dataset[0].get("labels", []), int):
        return  # already tokenized for language modelling
    raise ConfigError(
        f"trainer=sft needs SFT data (columns 'messages', 'prompt'/'completion' or 'text'); "
        f"this data has {sorted(columns)}. Use data=demo_chat or data=sft_files."
    )


def _refuse_sft_collator(data_collator) -> None:
    from hydratune.collators import SFTLossMask

    if isinstance(data_collator, SFTLossMask):
        raise ConfigError(
            "collator=completion_only and collator=sft choose SFT loss masks: use them with "
            "trainer=sft, or pick collator=padding for trainer=plain."
        )
