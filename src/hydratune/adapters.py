"""The ``peft`` group: wrap the model with a parameter-efficient adapter, or leave it alone."""

from __future__ import annotations


def none(model):
    """Full fine-tuning: every parameter trains."""
    return model
