"""Workarounds for trl (written against trl 1.16).

Each says the version it was written for and the condition for removing it.
"""

from __future__ import annotations

__all__ = ["device_defaults"]


# trl 1.16: SFTConfig defaults to bf16=True and gradient (activation) checkpointing on, which
# fail or crawl on a CPU. Remove when SFTConfig picks its defaults from the device.
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
