"""Workarounds for transformers (written against transformers 5.25).

Each says the version it was written for and the condition for removing it; process-wide or
object-wide changes are scoped by context managers, so they end with the block.
"""

from __future__ import annotations

from contextlib import contextmanager


@contextmanager
def padding_side(tokenizer, side: str):
    """The tokenizer pads on ``side`` inside the block (left for generation: new tokens line up
    at the end). transformers 5.25 tokenizers take ``padding_side`` per call only for some
    tokenizer classes; remove when every tokenizer's ``__call__`` accepts it."""
    previous, tokenizer.padding_side = tokenizer.padding_side, side
    try:
        yield tokenizer
    finally:
        tokenizer.padding_side = previous


@contextmanager
def sequential_eval(trainer):
    """``trainer.predict`` visits rows in the given order inside the block (the run's eval
    sampler sorts or groups by length; predictions come in chunks already sorted, whose logits
    are put back by that known order). Under DDP Trainer's own None: accelerate shards in order
    and gathers back. Trainer 5.25 has no argument for the eval sampler, so the instance's
    ``_get_eval_sampler`` is shadowed for the block; remove when ``predict`` takes a sampler."""
    from torch.utils.data import SequentialSampler

    single = trainer.args.world_size <= 1
    trainer._get_eval_sampler = lambda dataset: SequentialSampler(dataset) if single else None
    try:
        yield trainer
    finally:
        del trainer._get_eval_sampler  # the class's own again


# transformers >= 4.46 passes ``num_items_in_batch=`` to ``compute_loss``; tutorials (the seed's
# CustomTrainer) still override the old signature. Remove when no supported user code does.
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
