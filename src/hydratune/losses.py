"""The ``loss`` group: builders return a Trainer ``compute_loss_func`` or None.

A ``compute_loss_func(outputs, labels, num_items_in_batch)`` is a plain function that Trainer
calls instead of using the loss the model computed; None keeps the model's own loss.
"""

from __future__ import annotations


def model_loss(data=None) -> None:
    """Use the loss the model returns when it is given ``labels``."""
    return None
