"""The ``trainer`` group: a configured ``transformers.Trainer``, ``Seq2SeqTrainer`` or
``trl.SFTTrainer`` from built objects.

``args`` are the fields of the trainer class's arguments dataclass (``TrainingArguments`` for
``Trainer``, ``trl.SFTConfig`` for ``SFTTrainer``), exactly as the libraries name them. ``cls``
names the trainer class, so a user's subclass (``trainer.cls=my_pkg.CustomTrainer``) is built
with the library's own keyword names and its arguments are checked like ours.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from hydratune.compat.transformers import accepting_num_items
from hydratune.compat.trl import device_defaults
from hydratune.config.errors import ConfigError
from hydratune.config.kinds import arguments_class, trainer_class


def plain(
    data,
    model,
    tokenizer,
    train_dataset,
    eval_dataset,
    data_collator,
    compute_loss_func: Callable | None = None,
    compute_metrics: Callable | None = None,
    callbacks: list | None = None,
    *,
    args: dict,
    cls: str = "transformers.Trainer",
):
    """``transformers.Trainer`` (or ``cls``, built with the library's own keyword names) for
    classification or any module with a loss; ``args`` become the class's arguments dataclass."""
    from hydratune.training.length_batches import length_aware

    trainer_cls = accepting_num_items(trainer_class(cls), args.get("gradient_accumulation_steps"))
    trainer_cls = length_aware(trainer_cls)  # cached lengths; eval batches sorted by length
    return trainer_cls(
        model=model,
        args=arguments_class(trainer_cls)(**args),
        train_dataset=train_dataset,
        eval_dataset=eval_dataset,
        processing_class=tokenizer,
        data_collator=data_collator,
        compute_loss_func=compute_loss_func,
        compute_metrics=compute_metrics,
        callbacks=callbacks,
    )


def sft(
    data,
    model,
    tokenizer,
    train_dataset,
    eval_dataset,
    data_collator=None,
    compute_loss_func: Callable | None = None,
    compute_metrics: Callable | None = None,
    callbacks: list | None = None,
    *,
    args: dict,
    loss_on: Literal["auto", "completion", "assistant", "all"] | None = "auto",
    cls: str = "trl.SFTTrainer",
):
    """``trl.SFTTrainer`` (or ``cls``) on SFT data: it applies the chat template, adds EOS,
    tokenizes, masks the labels, packs, and builds its own collator (``collator=none``).

    ``loss_on`` says which tokens carry loss (:meth:`~hydratune.groups.data.SFTData.loss_flags`);
    ``bf16`` and ``activation_checkpointing`` left null follow the device
    (:func:`device_defaults`).
    """
    if data_collator is not None and type(data_collator).__module__.startswith("transformers."):
        raise ConfigError(
            f"trainer=sft masks labels itself and builds its own collator, so "
            f"{type(data_collator).__name__} does not fit: use collator=none and choose the "
            "tokens with loss by trainer.loss_on=auto|completion|assistant|all."
        )
    args = device_defaults({**args, **data.loss_flags(loss_on)})
    return plain(
        data, model, tokenizer, train_dataset, eval_dataset, data_collator,
        compute_loss_func, compute_metrics, callbacks, args=args, cls=cls,
    )  # fmt: skip


def seq2seq(
    data,
    model,
    tokenizer,
    train_dataset,
    eval_dataset,
    data_collator,
    compute_loss_func: Callable | None = None,
    compute_metrics: Callable | None = None,
    callbacks: list | None = None,
    *,
    args: dict,
    cls: str = "transformers.Seq2SeqTrainer",
):
    """``transformers.Seq2SeqTrainer`` (or ``cls``) on seq2seq data (translation,
    summarization); ``args`` are ``Seq2SeqTrainingArguments`` fields.

    With ``predict_with_generate`` evaluation generates (greedy, or ``generation_num_beams``
    beams, up to ``generation_max_length`` tokens) and ``metrics=generation`` scores the text;
    it gets the tokenizer that decodes it here, as the metrics are built before the model.
    """
    from hydratune.groups.metrics import GenerationMetrics

    if isinstance(compute_metrics, GenerationMetrics):
        if not args.get("predict_with_generate"):
            raise ConfigError(
                "metrics=generation scores generated text: set "
                "trainer.args.predict_with_generate=true (or use metrics=none for eval_loss only)."
            )
        compute_metrics.tokenizer = tokenizer
    return plain(
        data, model, tokenizer, train_dataset, eval_dataset, data_collator,
        compute_loss_func, compute_metrics, callbacks, args=args, cls=cls,
    )  # fmt: skip
