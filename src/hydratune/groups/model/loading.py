"""How a checkpoint's weights load: the attention kernel, the dtype, 4-bit quantization.

``model.attn_implementation``, ``model.dtype`` and ``model.quantization`` (``peft=qlora`` sets
it) of ``model=hf`` become ``from_pretrained``'s ``attn_implementation=``, ``dtype=`` and
``quantization_config=``. What each needs (a CUDA GPU, flash-attn, bitsandbytes) is checked
with the rest of the config (:mod:`hydratune.config.device`), before anything loads.
"""

from __future__ import annotations

from hydratune.config.device import CHOICES, FLASH, FLASH_PACKAGE, has_module  # noqa: F401


def attention(choice: str | None) -> str | None:
    """The ``attn_implementation`` to load with: ``auto`` is FlashAttention-2 where flash-attn
    is installed and a CUDA GPU is visible, else transformers' own choice (sdpa wherever the
    architecture has it, eager otherwise); null is transformers' own choice too."""
    if choice != "auto":
        return choice
    import torch

    if torch.cuda.is_available() and has_module(FLASH_PACKAGE["flash_attention_2"][0]):
        return "flash_attention_2"
    return None


def load_options(attn_implementation, dtype, quantization) -> dict:
    """Keyword arguments for ``from_pretrained`` (only those that are set)."""
    options = {}
    if (kernel := attention(attn_implementation)) is not None:
        options["attn_implementation"] = kernel
    if dtype is not None:
        options["dtype"] = dtype  # "auto" = the checkpoint's own; "bfloat16", ...
    if quantization:
        options["quantization_config"] = quantization_config(quantization)
    return options


def quantization_config(options: dict):
    """``BitsAndBytesConfig`` from the YAML mapping; dtype names (``bfloat16``) become dtypes."""
    import torch
    from transformers import BitsAndBytesConfig

    values = dict(options)
    for key in ("bnb_4bit_compute_dtype", "bnb_4bit_quant_storage"):
        if isinstance(values.get(key), str):
            values[key] = getattr(torch, values[key])
    return BitsAndBytesConfig(**values)
