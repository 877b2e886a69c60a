"""What needs a CUDA GPU or a GPU-only package, said before anything loads.

Each of these fails late (after the model loaded, or at the first step) or, worse, silently
(fp16 on a CPU trains in fp32): ``trainer.args.fp16``, ``trainer.args.use_liger_kernel``,
``model.attn_implementation=flash_attention_2/3``, ``model.quantization`` (``peft=qlora``),
``trainer.args.deepspeed`` and ``trainer.args.fsdp`` (``accelerate=...``).
"""

from __future__ import annotations

import functools
import importlib.util

from omegaconf import DictConfig

# Kernels that attend within each packed row (varlen) instead of across the whole padded batch.
FLASH = ("flash_attention_2", "flash_attention_3")
FLASH_PACKAGE = {  # kernel -> (module, what to pip install)
    "flash_attention_2": ("flash_attn", "flash-attn"),
    "flash_attention_3": ("flash_attn_interface", "flash-attn-3"),
}
CHOICES = ("auto", "eager", "sdpa", "flex_attention", *FLASH)


def has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


CPU_INSTEAD = "On a CPU drop it"


def device_problems(cfg: DictConfig) -> list[str]:
    """Every setting above that this machine cannot run, each with its fix. torch is imported
    only when one of them is set: config errors are reported before torch loads."""
    args = cfg.trainer.get("args") or {}
    model = cfg.get("model") or {}
    asked = [args.get(k) for k in ("fp16", "use_liger_kernel", "deepspeed", "fsdp")]
    kernel = model.get("attn_implementation")
    if not any(asked) and not model.get("quantization") and not str(kernel).startswith("flash"):
        return []
    gpu = _cuda_visible()
    problems = []
    if args.get("fp16") and not gpu:
        problems.append(
            "trainer.args.fp16=true needs a CUDA GPU and none is visible. Drop it, or use "
            "trainer.args.bf16=true (CPUs with bf16 support) instead."
        )
    if args.get("use_liger_kernel"):
        problems += _needs("trainer.args.use_liger_kernel=true (Liger's Triton kernels)", gpu,
                           "liger_kernel", "liger-kernel")  # fmt: skip
    if kernel in FLASH_PACKAGE:
        module, package = FLASH_PACKAGE[kernel]
        instead = "or model.attn_implementation=sdpa"
        problems += _needs(f"model.attn_implementation={kernel}", gpu, module, package, instead)
    if model.get("quantization"):
        problems += _needs("model.quantization (peft=qlora: a 4-bit base)", gpu, "bitsandbytes",
                           "bitsandbytes", "or peft=lora")  # fmt: skip
    if args.get("deepspeed"):
        problems += _needs("trainer.args.deepspeed (accelerate=deepspeed_*)", gpu, "deepspeed",
                           "deepspeed", "or accelerate=none")  # fmt: skip
    if args.get("fsdp") and not gpu:
        problems.append(
            "trainer.args.fsdp (accelerate=fsdp) shards the model over CUDA GPUs and none is "
            "visible. On a CPU use accelerate=none."
        )
    return problems


@functools.cache
def _cuda_visible() -> bool:
    import torch

    return torch.cuda.is_available()


def _needs(what: str, gpu: bool, module: str, package: str, instead: str = "") -> list[str]:
    missing = []
    if not gpu:
        missing.append("a CUDA GPU (none is visible)")
    if not has_module(module):
        missing.append(f"the {package} package (pip install {package})")
    if not missing:
        return []
    alternative = "" if gpu else f" {CPU_INSTEAD}{', ' + instead if instead else ''}."
    return [f"{what} needs {' and '.join(missing)}.{alternative}"]
