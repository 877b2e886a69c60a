"""The ``trainer`` group: a configured ``transformers.Trainer`` from built objects.

``args`` are ``TrainingArguments`` fields, exactly as transformers names them.
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
