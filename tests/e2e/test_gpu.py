"""The GPU path on a real CUDA GPU: bf16 and fp16 runs, packing with varlen attention, Liger
kernels, QLoRA and FSDP start-up. Every test is marked ``gpu`` and skips without CUDA (and,
where it needs one, without the package): ``pytest -m gpu`` on a GPU machine runs them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch

from conftest import FAST, REPO, compose_config
from hydratune.groups.model.loading import has_module
from hydratune.pipeline import run

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU"),
]
SFT_QUICK = ("trainer=sft", "data.max_train_samples=64", "data.max_eval_samples=8",
             "trainer.args.max_steps=20", "trainer.args.logging_steps=1", "logger=none",
             "generation.num_samples=0")  # fmt: skip


def run_to_metrics(tmp_path, *overrides: str) -> tuple[dict, list[dict]]:
    run_dir = tmp_path / "run"
    run(compose_config(*overrides), run_dir=run_dir)
    history = json.loads((run_dir / "log_history.json").read_text())
    return json.loads((run_dir / "metrics.json").read_text()), history


def losses(history: list[dict]) -> list[float]:
    return [entry["loss"] for entry in history if "loss" in entry]


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_classification_trains_in_half_precision(tmp_path, precision):
    if precision == "bf16" and not torch.cuda.is_bf16_supported():
        pytest.skip("this GPU has no bf16")
    metrics, history = run_to_metrics(tmp_path, *FAST, "logger=none",
                                      "trainer.args.logging_steps=1",
                                      f"trainer.args.{precision}=true")  # fmt: skip
    assert losses(history)[-1] < losses(history)[0]
    assert metrics["train_real_tokens_per_second"] > 0 and 0 <= metrics["train_pad_share"] < 1


@pytest.mark.parametrize("packing", [False, True])
def test_sft_trains_in_bf16_padded_and_packed(tmp_path, packing):
    metrics, history = run_to_metrics(tmp_path, *SFT_QUICK, "trainer.args.bf16=true",
                                      f"trainer.args.packing={str(packing).lower()}")  # fmt: skip
    assert losses(history)[-1] < losses(history)[0]
    assert metrics["train_real_tokens_per_second"] > 0
    if packing:
        assert metrics["train_pad_share"] == 0  # padding-free rows


@pytest.mark.skipif(not has_module("flash_attn"), reason="needs flash-attn")
def test_packing_with_flash_attention(tmp_path):
    metrics, history = run_to_metrics(tmp_path, *SFT_QUICK, "trainer.args.bf16=true",
                                      "trainer.args.packing=true",
                                      "model.attn_implementation=flash_attention_2")  # fmt: skip
    assert losses(history)[-1] < losses(history)[0]


@pytest.mark.skipif(not has_module("liger_kernel"), reason="needs liger-kernel")
def test_liger_kernels_train(tmp_path, causal_lm_without_template):
    _, history = run_to_metrics(tmp_path, *SFT_QUICK, "model=hf", "trainer.args.bf16=true",
                                f"model.name_or_path={causal_lm_without_template}",
                                "trainer.args.use_liger_kernel=true")  # fmt: skip
    assert losses(history)[-1] < losses(history)[0]


@pytest.mark.skipif(not has_module("bitsandbytes"), reason="needs bitsandbytes")
def test_qlora_trains_adapters_on_a_4bit_base(tmp_path, causal_lm_without_template):
    _, history = run_to_metrics(tmp_path, *SFT_QUICK, "model=hf", "peft=qlora",
                                f"model.name_or_path={causal_lm_without_template}")  # fmt: skip
    assert losses(history)[-1] < losses(history)[0]
    saved = json.loads((tmp_path / "run" / "model" / "adapter_config.json").read_text())
    assert saved["peft_type"] == "LORA"


def test_fsdp_starts_and_takes_a_few_steps_on_one_gpu(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=1",
         str(REPO / "scripts" / "run.py"), *SFT_QUICK, "accelerate=fsdp",
         "trainer.args.max_steps=3", "trainer.args.bf16=true", "hydra.run.dir=run"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    history = json.loads((tmp_path / "run" / "log_history.json").read_text())
    assert max(entry["step"] for entry in history) == 3
