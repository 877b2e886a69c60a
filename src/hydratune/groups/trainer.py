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


def accepting_num_items(trainer_cls: type, accumulation_steps: int | None) -> type:
    """A subclass whose ``compute_loss`` predates ``num_items_in_batch`` (the seed tutorial's
    ``compute_loss(self, model, inputs, return_outputs=False)``), adapted to Trainer's call.

    Trainer 5 always passes ``num_items_in_batch=``, so such a class would fail with a
    TypeError. Its loss is a per-batch mean, so the adapter sets ``loss_is_scaled_for_ga=False``
    and Trainer divides it by the accumulation steps: right when every micro-batch has as many
    items, slightly off otherwise, hence the warning under gradient accumulation.
    """
    import inspect

    params = inspect.signature(trainer_cls.compute_loss).parameters
    if "num_items_in_batch" in params or any(p.kind == p.VAR_KEYWORD for p in params.values()):
        return trainer_cls
    if (accumulation_steps or 1) > 1:
        import logging

        logging.getLogger(__name__).warning(
            "%s.compute_loss ignores num_items_in_batch: with gradient_accumulation_steps=%s its "
            "per-batch mean losses are averaged, which weighs micro-batches of unequal size "
            "equally. Accept num_items_in_batch=None and return sum / num_items_in_batch when "
            "it is given for the exact loss.",
            trainer_cls.__qualname__,
            accumulation_steps,
        )
    own = trainer_cls.compute_loss

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        return own(self, model, inputs, return_outputs)

    namespace = {"compute_loss": compute_loss, "__module__": trainer_cls.__module__}
    if trainer_cls.loss_is_scaled_for_ga is None:  # the class's own say wins
        namespace["loss_is_scaled_for_ga"] = False
    return type(trainer_cls.__name__, (trainer_cls,), namespace)
