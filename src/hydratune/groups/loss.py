"""The ``loss`` group: Trainer ``compute_loss_func(outputs, labels, num_items_in_batch)`` hooks.

Every loss here returns ``sum / num_items_in_batch``. With gradient accumulation Trainer passes
the number of labels in the whole accumulated batch and does not divide by the accumulation
steps itself; a loss that returns a per-micro-batch mean (as BertForSequenceClassification's
own loss does) is then reported and back-propagated times the accumulation steps. Summing and
dividing by the accumulated count makes batch 16 x GA 1 and batch 8 x GA 2 identical.

Builders take the data (to size and derive class weights) and return the hook; a user's own
hook (a function with the hook's signature) works directly by ``_target_``.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Sequence
from typing import Annotated

import torch
import torch.nn.functional as F

from hydratune.config.errors import ConfigError
from hydratune.config.kinds import Kind, works_on
from hydratune.config.ranges import Range

log = logging.getLogger(__name__)
WEIGHTS = Range(ge=0, what="a class weight")


def default(data):
    """The loss the model's head defines, normalised over the accumulated batch.

    Classification heads get cross-entropy (single-label) or BCE (multi-label), the same losses
    transformers' heads compute, but GA-correct. Other models (causal LMs) keep their own
    loss, which already divides by ``num_items_in_batch``.
    """
    return {Kind.CLASSIFICATION: cross_entropy_loss, Kind.MULTILABEL: bce_loss}.get(data.kind)


@works_on(Kind.CLASSIFICATION)
def weighted_ce(data, *, class_weights: Annotated[Sequence[float] | str, WEIGHTS] = "auto"):
    """Cross-entropy with one weight per class (``auto`` = inverse frequency in train)."""
    weights = class_weight_tensor(class_weights, data)
    return functools.partial(cross_entropy_loss, class_weights=weights)


@works_on(Kind.CLASSIFICATION)
def focal(
    data,
    *,
    gamma: Annotated[float, Range(ge=0, what="0 = cross-entropy")] = 2.0,
    class_weights: Annotated[Sequence[float] | str | None, WEIGHTS] = None,
):
    """Focal loss: down-weights easy examples by ``(1 - p_true) ** gamma``."""
    weights = class_weight_tensor(class_weights, data) if class_weights is not None else None
    return functools.partial(focal_loss, gamma=gamma, class_weights=weights)


def bce(data, *, pos_weight: Annotated[Sequence[float] | str | None, WEIGHTS] = None):
    """Multi-label binary cross-entropy over sigmoid outputs (``pos_weight`` per label)."""
    if data.kind != Kind.MULTILABEL:
        raise ConfigError(
            "loss=bce is for multi-label data (label column of lists); this data has one "
            "class per row: use loss=default or loss=weighted_ce."
        )
    weights = class_weight_tensor(pos_weight, data, "loss.pos_weight") if pos_weight else None
    return functools.partial(bce_loss, pos_weight=weights)


def cross_entropy_loss(
    outputs, labels, num_items_in_batch=None, class_weights=None, label_smoothing=0.0
):
    """``sum_i w[y_i] * CE_i / N``: PyTorch's weighted mean divides by ``sum_i w[y_i]``
    instead, a denominator that cannot be split across accumulation steps. ``label_smoothing``
    is Trainer's ``label_smoothing_factor`` (its LabelSmoother's formula)."""
    logits = logits_of(outputs)
    weight = class_weights.to(logits) if class_weights is not None else None
    total = F.cross_entropy(
        logits.float(), labels, weight=weight, reduction="sum", label_smoothing=label_smoothing
    )
    return total / _count(labels, num_items_in_batch)


def focal_loss(
    outputs, labels, num_items_in_batch=None, gamma=2.0, class_weights=None, label_smoothing=0.0
):
    """``(1 - p_y) ** gamma`` times the (label-smoothed) cross-entropy of each item."""
    logits = logits_of(outputs).float()
    log_probs = F.log_softmax(logits, dim=-1)
    log_p = log_probs.gather(1, labels[:, None]).squeeze(1)
    smoothed = (1 - label_smoothing) * -log_p - label_smoothing * log_probs.mean(-1)
    per_item = (1 - log_p.exp()) ** gamma * smoothed
    if class_weights is not None:
        per_item = per_item * class_weights.to(logits)[labels]
    return per_item.sum() / _count(labels, num_items_in_batch)


def bce_loss(outputs, labels, num_items_in_batch=None, pos_weight=None):
    """Mean over every (row, label) element, as ``BCEWithLogitsLoss`` gives, GA-correct."""
    logits = logits_of(outputs).float()
    weight = pos_weight.to(logits) if pos_weight is not None else None
    total = F.binary_cross_entropy_with_logits(
        logits, labels.to(logits), pos_weight=weight, reduction="sum"
    )
    # Trainer counts every label element (labels != -100), i.e. rows x labels.
    return total / _count(labels, num_items_in_batch)


def with_label_smoothing(hook, factor: float | None, data):
    """Trainer applies ``trainer.args.label_smoothing_factor`` through the model's own loss
    only; a ``compute_loss_func`` replaces that loss, so the factor is bound to hooks that
    take ``label_smoothing`` (ours and a user's) and refused for the others."""
    if not factor:
        return hook
    if data.kind == "multilabel":  # Trainer itself drops it here, with a warning only
        raise ConfigError(
            f"trainer.args.label_smoothing_factor={factor} has no multi-label form (Trainer "
            "would switch it off): drop it, or smooth the 0/1 targets in your own loss."
        )
    if hook is None:
        return None  # the model's loss: Trainer's LabelSmoother applies the factor
    if "label_smoothing" in inspect.signature(hook).parameters:
        return functools.partial(hook, label_smoothing=factor)
    name = getattr(getattr(hook, "func", hook), "__qualname__", repr(hook))
    raise ConfigError(
        f"trainer.args.label_smoothing_factor={factor} would have no effect: the loss hook "
        f"{name} replaces the model's loss, where Trainer applies it. Use loss=default, "
        "weighted_ce or focal (they apply it), or give your hook a label_smoothing keyword."
    )


def logits_of(outputs) -> torch.Tensor:
    """Logits from a ModelOutput, a dict or a bare tensor (custom modules)."""
    if isinstance(outputs, torch.Tensor):
        return outputs
    return outputs["logits"] if isinstance(outputs, dict) else outputs[0]


def class_weight_tensor(
    weights: Sequence[float] | str, data, key: str = "loss.class_weights"
) -> torch.Tensor:
    """Weights as given, or ``auto``: ``N / (K * count_k)`` from the train split (logged)."""
    if weights == "auto":
        counts = data.label_counts()
        total, k = sum(counts), len(counts)
        if data.kind == Kind.MULTILABEL:  # pos_weight: negatives per positive, per label
            values = [(total_rows(data) - c) / max(c, 1) for c in counts]
        else:
            values = [total / (k * max(c, 1)) for c in counts]
        log.info("auto class weights %s from train counts %s", _rounded(values), counts)
    else:
        values = [float(w) for w in weights]
    if len(values) != data.num_labels:
        raise ConfigError(
            f"{key} has {len(values)} weights but the data has "
            f"{data.num_labels} classes {data.label_names}: give one weight per class."
        )
    return torch.tensor(values, dtype=torch.float32)


def total_rows(data) -> int:
    return len(data.splits["train"])


def _count(labels: torch.Tensor, num_items_in_batch) -> torch.Tensor | int:
    # Trainer gives the accumulated count in training; evaluation passes None.
    return num_items_in_batch if num_items_in_batch is not None else labels.numel()


def _rounded(values: list[float]) -> list[float]:
    return [round(v, 4) for v in values]
