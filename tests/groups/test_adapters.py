"""peft=lora: what trains, what stays frozen, and a saved adapter that reloads, generates and
merges into a standalone model (SFT causal LM and trainer=plain classification)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM, AutoTokenizer, set_seed

from conftest import FAST, REPO, compose_config
from hydratune.config.build import build
from hydratune.groups.data import data_inputs, sft_files
from hydratune.groups.data import files as data_files
from hydratune.groups.model import tiny_bert, tiny_llama
from hydratune.groups.peft import base_weights, lora
from hydratune.groups.trainer import sft
from hydratune.samples import sample_path

TINY = {"hidden_size": 32, "intermediate_size": 64}


@pytest.fixture(scope="module")
def chat():
    return sft_files(
        train_files=sample_path("demo_chat/train.jsonl"),
        eval_files=sample_path("demo_chat/eval.jsonl"),
        max_train_samples=64,
        max_eval_samples=8,
    )


def adapter_names(model) -> set[str]:
    return {name for name, p in model.named_parameters() if p.requires_grad}


def test_lora_on_a_causal_lm_from_scratch_trains_adapters_and_the_lm_head(chat):
    model, _ = tiny_llama(chat, **TINY)
    wrapped = lora(model, r=4)
    config = wrapped.peft_config["default"]
    assert config.task_type == "CAUSAL_LM"
    assert config.modules_to_save == ["lm_head"]  # auto: a random base needs its head trained
    trainable = adapter_names(wrapped)
    assert all(".lora_" in n or ".modules_to_save." in n for n in trainable)
    assert any("q_proj.lora_A" in n for n in trainable) and any("down_proj" in n for n in trainable)
    assert "base_model.model.lm_head.modules_to_save.default.weight" in trainable

    pretrained, _ = tiny_llama(chat, **TINY)
    pretrained.name_or_path = "some/checkpoint"  # as from_pretrained leaves it
    assert lora(pretrained, r=4).peft_config["default"].modules_to_save is None


def test_lora_on_a_classifier_is_seq_cls_with_its_head_trained():
    data = data_files(train_files=sample_path("demo_sentiment/train.csv"), max_train_samples=16)
    wrapped = lora(tiny_bert(data, **TINY)[0], r=4)
    assert wrapped.peft_config["default"].task_type == "SEQ_CLS"
    assert "base_model.model.classifier.modules_to_save.default.weight" in adapter_names(wrapped)


def test_sft_under_lora_changes_the_adapter_and_never_the_base(chat, tmp_path):
    set_seed(0)
    model, tokenizer = tiny_llama(chat, **TINY)
    original = {k: v.clone() for k, v in model.state_dict().items()}
    wrapped = lora(model, r=8)
    before = {n: p.detach().clone() for n, p in wrapped.named_parameters()}
    args = {
        "output_dir": str(tmp_path),
        "report_to": "none",
        "disable_tqdm": True,
        "max_steps": 12,
        "learning_rate": 1e-2,
        "logging_steps": 1,
        "per_device_train_batch_size": 8,
        "save_strategy": "no",
    }
    trainer = sft(chat, wrapped, tokenizer, chat.splits["train"], None, args=args)
    trainer.train()
    losses = [e["loss"] for e in trainer.state.log_history if "loss" in e]
    assert losses[-1] < losses[0] * 0.85
    after = dict(wrapped.named_parameters())
    for name, value in before.items():
        changed = not torch.equal(value, after[name].detach())
        assert changed is after[name].requires_grad, name  # trained <=> changed
    assert not torch.count_nonzero(
        before["base_model.model.model.layers.0.mlp.up_proj.lora_B.default.weight"]
    )
    # the base's own weights, read back out of the wrapped model, are the untouched originals
    assert base_weights(wrapped).keys() == original.keys()
    for key, value in base_weights(wrapped).items():
        assert torch.equal(value, original[key]), key


def test_sft_lora_run_saves_an_adapter_that_reloads_generates_and_merges(run_small, tmp_path):
    from peft import PeftModel, get_peft_model_state_dict

    overrides = ("trainer=sft", "peft=lora", "logger=none")
    run_dir, metrics = run_small(*overrides, "trainer.args.logging_steps=2")
    assert {"eval_loss", "eval_mean_token_accuracy", "train_loss"} <= set(metrics)
    history = json.loads((run_dir / "log_history.json").read_text())
    losses = [entry["loss"] for entry in history if "loss" in entry]
    assert losses[-1] < losses[0] * 0.9
    model_dir = run_dir / "model"
    assert {"adapter_config.json", "adapter_model.safetensors", "chat_template.jinja"} <= {
        p.name for p in model_dir.iterdir()
    }

    # the base is the seeded model the run built, saved untouched beside the adapter
    cfg = compose_config(*FAST, *overrides)
    set_seed(cfg.seed)
    rebuilt, _ = build(cfg.model, data=build(cfg.data, **data_inputs(cfg.data, cfg.trainer)))
    saved_base = load_file(model_dir / "base" / "model.safetensors")
    for key, value in rebuilt.state_dict().items():
        assert torch.equal(saved_base[key], value), key
    initial = get_peft_model_state_dict(build(cfg.peft, model=rebuilt))
    trained = load_file(model_dir / "adapter_model.safetensors")
    assert trained.keys() == initial.keys()
    for key, value in initial.items():
        assert not torch.equal(trained[key], value), f"{key} did not train"

    # reload onto its base and generate an answer
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    base = AutoModelForCausalLM.from_pretrained(model_dir / "base")
    reloaded = PeftModel.from_pretrained(base, model_dir).eval()
    question = [{"role": "user", "content": "What is the capital of France?"}]
    prompt = tokenizer.apply_chat_template(
        question, add_generation_prompt=True, return_tensors="pt", return_dict=True
    )
    generated = reloaded.generate(**prompt, max_new_tokens=8, do_sample=False)
    assert generated.shape[1] > prompt["input_ids"].shape[1]

    # merge with the script; the result loads alone and computes what base + adapter did
    merged_dir = tmp_path / "merged"
    script = [sys.executable, str(REPO / "scripts" / "merge_adapter.py"), str(model_dir)]
    done = subprocess.run([*script, str(merged_dir)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    merged = AutoModelForCausalLM.from_pretrained(merged_dir).eval()
    assert not any("lora" in name for name, _ in merged.named_parameters())
    with torch.no_grad():
        expected = reloaded(**prompt).logits
        assert torch.allclose(merged(**prompt).logits, expected, atol=1e-5)
    assert AutoTokenizer.from_pretrained(merged_dir).chat_template == tokenizer.chat_template


def test_lora_with_trainer_plain_classifies_and_merges(run_small, tmp_path):
    from peft import PeftModel
    from transformers import AutoModelForSequenceClassification

    from hydratune.groups.peft import merge_adapter

    run_dir, metrics = run_small("peft=lora", "logger=none", "trainer.args.num_train_epochs=1")
    assert "eval_accuracy" in metrics
    model_dir = run_dir / "model"
    assert json.loads((model_dir / "adapter_config.json").read_text())["task_type"] == "SEQ_CLS"
    merged_dir = merge_adapter(model_dir, tmp_path / "merged")
    merged = AutoModelForSequenceClassification.from_pretrained(merged_dir).eval()
    base = AutoModelForSequenceClassification.from_pretrained(model_dir / "base")
    reloaded = PeftModel.from_pretrained(base, model_dir).eval()
    batch = AutoTokenizer.from_pretrained(merged_dir)(["the soup was cold"], return_tensors="pt")
    assert merged.config.id2label == {0: "negative", 1: "positive"}
    with torch.no_grad():
        assert torch.allclose(merged(**batch).logits, reloaded(**batch).logits, atol=1e-5)


def test_sft_on_a_causal_lm_checkpoint_with_model_hf(run_small, chat, tmp_path):
    from hydratune.groups.peft import merge_adapter

    model, tokenizer = tiny_llama(chat, **TINY)
    model.save_pretrained(tmp_path / "ckpt")
    tokenizer.save_pretrained(tmp_path / "ckpt")
    overrides = ("trainer=sft", "model=hf", f"model.name_or_path={tmp_path / 'ckpt'}")
    run_dir, metrics = run_small(*overrides, "peft=lora", "logger=none", "peft.r=4")
    model_dir = run_dir / "model"
    adapter = json.loads((model_dir / "adapter_config.json").read_text())
    assert adapter["base_model_name_or_path"] == str(tmp_path / "ckpt")
    assert adapter["modules_to_save"] is None  # a checkpoint's head is not retrained
    assert not (model_dir / "base" / "model.safetensors").exists()  # the checkpoint holds it
    merged = AutoModelForCausalLM.from_pretrained(merge_adapter(model_dir, tmp_path / "merged"))
    assert merged.config.vocab_size == model.config.vocab_size
    assert metrics["eval_loss"] > 0
