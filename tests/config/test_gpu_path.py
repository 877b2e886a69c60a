"""The GPU path's settings, checked where they can be without a GPU: the config composes, the
libraries accept it, and on a machine without CUDA (or the package) each says so, naming the
key and the fix, before anything loads. The runs themselves: tests/test_gpu.py (marked gpu)."""

from __future__ import annotations

import pytest
import torch

from conftest import compose_config
from hydratune.config.build import build
from hydratune.config.errors import ConfigError
from hydratune.config.validate import validate, yaml_parameters
from hydratune.groups.data import SFT
from hydratune.groups.model import hf, tiny_llama
from hydratune.groups.model.loading import attention, has_module, load_options
from hydratune.groups.peft import qlora

no_gpu = pytest.mark.skipif(torch.cuda.is_available(), reason="the messages of a CPU machine")


def problems_of(*overrides: str) -> str:
    with pytest.raises(ConfigError) as caught:
        validate(compose_config(*overrides))
    return str(caught.value)


@no_gpu
@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (["trainer.args.use_liger_kernel=true"],
         "trainer.args.use_liger_kernel=true (Liger's Triton kernels) needs a CUDA GPU"),
        (["model=hf", "model.name_or_path=x", "model.attn_implementation=flash_attention_2"],
         "model.attn_implementation=flash_attention_2 needs a CUDA GPU (none is visible) and the "
         "flash-attn package (pip install flash-attn). On a CPU drop it, or "
         "model.attn_implementation=sdpa."),
        (["trainer=sft", "model=hf", "model.name_or_path=x", "peft=qlora"],
         "model.quantization (peft=qlora: a 4-bit base) needs a CUDA GPU"),
        (["accelerate=deepspeed_zero2"], "trainer.args.deepspeed (accelerate=deepspeed_*) needs"),
        (["accelerate=fsdp"], "trainer.args.fsdp (accelerate=fsdp) shards the model over CUDA "
         "GPUs and none is visible. On a CPU use accelerate=none."),
    ],
)  # fmt: skip
def test_gpu_only_settings_are_refused_on_a_cpu_before_anything_loads(overrides, expected):
    message = problems_of(*overrides)
    assert expected in message
    assert "problems in the config" not in message  # the setting itself is valid: one problem


def test_accelerate_options_set_trainers_own_fsdp_and_deepspeed_fields():
    fsdp = compose_config("accelerate=fsdp").trainer.args
    assert fsdp.fsdp is True and fsdp.fsdp_config.version == 2
    zero2 = compose_config("accelerate=deepspeed_zero2").trainer.args.deepspeed
    zero3 = compose_config("accelerate=deepspeed_zero3").trainer.args.deepspeed
    assert (zero2.zero_optimization.stage, zero3.zero_optimization.stage) == (2, 3)
    assert zero3.zero_optimization.stage3_gather_16bit_weights_on_model_save is True
    assert zero2.train_micro_batch_size_per_gpu == "auto"  # Trainer fills it from trainer.args
    assert "fsdp" not in compose_config().trainer.args  # accelerate=none changes nothing


def test_qlora_composes_a_4bit_nf4_base_and_lora_keys():
    cfg = compose_config("trainer=sft", "model=hf", "model.name_or_path=x", "peft=qlora")
    assert cfg.model.quantization.load_in_4bit is True
    assert cfg.model.quantization.bnb_4bit_quant_type == "nf4"
    assert cfg.peft._target_ == "hydratune.groups.peft.qlora" and cfg.peft.r == 16
    assert set(yaml_parameters(qlora)) >= {"r", "lora_alpha", "target_modules"}
    options = load_options(None, "bfloat16", dict(cfg.model.quantization))
    config = options["quantization_config"]
    assert config.load_in_4bit and config.bnb_4bit_compute_dtype == torch.bfloat16
    assert options["dtype"] == "bfloat16"


def test_qlora_refuses_a_full_precision_base(causal_lm_without_template):
    data = build(compose_config("trainer=sft", "data.max_train_samples=16").data, kinds=SFT)
    model, _ = hf(data, name_or_path=causal_lm_without_template)
    with pytest.raises(ConfigError, match="peft=qlora needs a base quantized as it loads"):
        qlora(model)


def test_auto_attention_is_flash_only_where_it_is_installed():
    flash = torch.cuda.is_available() and has_module("flash_attn")
    assert attention("auto") == ("flash_attention_2" if flash else None)
    assert attention("eager") == "eager" and attention(None) is None


@pytest.mark.parametrize("kernel", ["eager", "sdpa"])
def test_the_attention_kernel_reaches_the_model(kernel, causal_lm_without_template):
    data = build(compose_config("trainer=sft", "data.max_train_samples=16").data, kinds=SFT)
    loaded, _ = hf(data, name_or_path=causal_lm_without_template, attn_implementation=kernel)
    built, _ = tiny_llama(data, hidden_size=32, intermediate_size=64, attn_implementation=kernel)
    assert loaded.config._attn_implementation == kernel == built.config._attn_implementation
