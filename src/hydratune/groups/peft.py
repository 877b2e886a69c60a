"""The ``peft`` group: wrap the model with a parameter-efficient adapter, or leave it alone.

A LoRA run saves only the adapter (and tokenizer) in ``model/``. A base that no checkpoint holds
(built from a config, like ``tiny_llama``) is saved beside it in ``model/base/``, so that the
adapter can always be reloaded onto its base or merged into it (:func:`merge_adapter`).
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

from hydratune.config.errors import ConfigError
from hydratune.config.ranges import DROPOUT, POSITIVE, NonEmpty, Range

BASE_DIR = "base"  # under model/: the base's config, and its weights when built from a config


def none(model):
    """Full fine-tuning: every parameter trains."""
    return model


def lora(
    model,
    *,
    r: Annotated[int, Range(ge=1, what="the LoRA rank")] = 16,
    lora_alpha: Annotated[float, POSITIVE] = 32,
    lora_dropout: Annotated[float, DROPOUT] = 0.05,
    target_modules: Annotated[
        str | Sequence[str], NonEmpty("an adapter on no layer trains nothing; e.g. all-linear")
    ] = "all-linear",
    modules_to_save: str | Sequence[str] | None = "auto",
    bias: str = "none",
    use_rslora: bool = False,
    task_type: str = "auto",
):
    """LoRA on ``target_modules``; the base weights freeze, only the adapter (and the
    ``modules_to_save``) train.

    ``task_type="auto"`` is SEQ_CLS for a classification head (PEFT then trains and saves the
    head too), SEQ_2_SEQ_LM for an encoder-decoder (T5, BART) and CAUSAL_LM otherwise.
    ``modules_to_save="auto"`` trains the ``lm_head`` of a
    causal LM built from a config, whose random weights low-rank updates alone barely move.
    """
    from peft import LoraConfig, get_peft_model

    check_target_modules(model, target_modules)
    task_type = adapter_task(model) if task_type == "auto" else task_type
    if modules_to_save == "auto":
        from_scratch = not model.name_or_path and task_type == "CAUSAL_LM"
        modules_to_save = ["lm_head"] if from_scratch else None
    config = LoraConfig(
        r=r,
        lora_alpha=lora_alpha,
        lora_dropout=lora_dropout,
        target_modules=target_modules,
        modules_to_save=modules_to_save,
        bias=bias,
        use_rslora=use_rslora,
        task_type=task_type,
    )
    with _no_checkpointing_deprecation():
        return get_peft_model(model, config)


def qlora(model, **lora_options):
    """QLoRA: LoRA (same options as :func:`lora`) on a base loaded in 4 bits by bitsandbytes
    (``model.quantization``, which conf/peft/qlora.yaml sets for ``model=hf``). PEFT's
    ``prepare_model_for_kbit_training`` first casts the norms to fp32 and lets the frozen 4-bit
    base pass gradients to the adapters."""
    if not getattr(model, "is_loaded_in_4bit", False) and not getattr(
        model, "is_loaded_in_8bit", False
    ):
        raise ConfigError(
            "peft=qlora needs a base quantized as it loads: model=hf with model.quantization "
            "(peft=qlora sets load_in_4bit). This model loaded in full precision; use peft=lora."
        )
    from peft import prepare_model_for_kbit_training

    checkpointing = bool(getattr(model, "is_gradient_checkpointing", False))
    model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=checkpointing)
    return lora(model, **lora_options)


qlora.__signature__ = inspect.signature(lora).replace()  # the same YAML keys as lora
qlora.__annotations__ = dict(lora.__annotations__)


@contextmanager
def _no_checkpointing_deprecation():
    """PEFT wraps a model by reading ``is_gradient_checkpointing``, which transformers 5 warns
    about on every call (its new name: ``is_activation_checkpointing``); nothing to act on."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "`is_gradient_checkpointing` is deprecated")
        yield


def check_target_modules(model, target_modules: str | Sequence[str]) -> None:
    """Names in ``target_modules`` that match no layer are an error listing the ones there are
    (PEFT's own message names none)."""
    if isinstance(target_modules, str):
        return  # "all-linear", or a regex PEFT matches itself
    import torch

    linear = sorted({name.rsplit(".", 1)[-1] for name, module in model.named_modules()
                     if isinstance(module, torch.nn.Linear)})  # fmt: skip
    names = {name.rsplit(".", 1)[-1] for name, _ in model.named_modules()}
    unknown = [t for t in target_modules if t not in names and not any(
        full.endswith(f".{t}") for full, _ in model.named_modules())]  # fmt: skip
    if unknown:
        raise ConfigError(
            f"peft.target_modules {unknown} match no module of {type(model).__name__}; its "
            f"linear layers are {linear}. Use some of those, or peft.target_modules=all-linear."
        )


def adapter_task(model) -> str:
    """PEFT's task type for a transformers model, from its class name and config."""
    name = type(model).__name__
    if name.endswith("ForSequenceClassification"):
        return "SEQ_CLS"
    encoder_decoder = getattr(getattr(model, "config", None), "is_encoder_decoder", False)
    return "SEQ_2_SEQ_LM" if encoder_decoder else "CAUSAL_LM"


def save_base(model, directory: str | Path, tokenizer=None) -> None:
    """Beside a saved adapter, write the base's config and, when no checkpoint holds the base
    (built from a config), its weights and tokenizer: ``<directory>/base/``."""
    from peft import PeftModel

    if not isinstance(model, PeftModel):
        return
    base, target = model.get_base_model(), Path(directory) / BASE_DIR
    if base.name_or_path:  # a checkpoint: adapter_config.json names it
        base.config.save_pretrained(target)  # labels for a new classification head
        return
    pristine = type(base)(base.config)
    pristine.load_state_dict(base_weights(model))  # strict: every base weight accounted for
    pristine.save_pretrained(target)
    if tokenizer is not None:
        tokenizer.save_pretrained(target)


def base_weights(model) -> dict:
    """The base's own weights under their original names: LoRA and ``modules_to_save`` keep
    the originals untouched (``base_layer``, ``original_module``) beside what they train."""
    weights = {}
    for key, value in model.get_base_model().state_dict().items():
        if ".lora_" in key or ".modules_to_save." in key:
            continue
        weights[key.replace(".base_layer.", ".").replace(".original_module.", ".")] = value
    return weights


def load_adapter(
    adapter_dir: str | Path, base_dir: str | Path | None = None, *, is_trainable: bool = False
):
    """A run's LoRA model back: its base (``base_dir``, default ``<adapter dir>/base/``, when the
    run saved the weights there, else the checkpoint that adapter_config.json names) with the
    adapter on top."""
    from peft import PeftConfig, PeftModel
    from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSequenceClassification

    from hydratune.compat.hub import local_only

    adapter_dir = Path(adapter_dir)
    peft_config = PeftConfig.from_pretrained(adapter_dir)
    saved = Path(base_dir) if base_dir else adapter_dir / BASE_DIR
    weights = saved if (saved / "model.safetensors").exists() else None
    weights = str(weights or peft_config.base_model_name_or_path)
    classify = peft_config.task_type == "SEQ_CLS"
    auto = AutoModelForSequenceClassification if classify else AutoModelForCausalLM
    options = {"local_files_only": local_only(weights)}
    if saved.is_dir():
        options["config"] = AutoConfig.from_pretrained(saved)  # the run's labels and sizes
    if classify:
        options["ignore_mismatched_sizes"] = True  # the adapter brings its own trained head
    base = auto.from_pretrained(weights, **options)
    with _no_checkpointing_deprecation():
        return PeftModel.from_pretrained(base, adapter_dir, is_trainable=is_trainable)


def merge_adapter(adapter_dir: str | Path, output_dir: str | Path) -> Path:
    """Fold a saved LoRA adapter into its base; save a standalone model with the tokenizer."""
    from transformers import AutoTokenizer

    output_dir = Path(output_dir)
    merged = load_adapter(adapter_dir).merge_and_unload()
    merged.save_pretrained(output_dir)
    AutoTokenizer.from_pretrained(adapter_dir).save_pretrained(output_dir)
    return output_dir
