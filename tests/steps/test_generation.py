"""trainer=seq2seq end to end, and generated samples (generations.jsonl, W&B table) for seq2seq
and SFT + LoRA runs: the real Seq2SeqTrainer / SFTTrainer / PEFT / W&B paths on tiny models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from datasets import Dataset

from conftest import compose_config
from helpers.wandb_offline import history, summary
from hydratune.config.errors import ConfigError
from hydratune.steps.generate import GenerationSettings, sample_prompts, settings

TINY_T5 = ["model.d_model=32", "model.d_ff=64", "model.num_heads=2", "model.vocab_size=400"]
GENERATION_KEYS = {"eval_bleu", "eval_chrf", "eval_rouge1", "eval_rouge2", "eval_rougeL",
                   "eval_rougeLsum", "eval_gen_len"}  # fmt: skip


def read_jsonl(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_trainer_seq2seq_switches_the_defaults_unless_named():
    cfg = compose_config("trainer=seq2seq")
    assert cfg.trainer._target_ == "hydratune.groups.trainer.seq2seq"
    assert cfg.trainer.cls == "transformers.Seq2SeqTrainer"
    assert cfg.model._target_ == "hydratune.groups.model.tiny_t5"
    assert cfg.data.train_files.endswith("demo_seq2seq/train.jsonl")
    assert cfg.collator._target_ == "hydratune.groups.collator.seq2seq"
    assert cfg.metrics._target_ == "hydratune.groups.metrics.generation"
    assert cfg.trainer.args.predict_with_generate is True
    assert cfg.trainer.args.learning_rate == 3e-3  # tiny_t5's from-scratch rate
    named = compose_config("trainer=seq2seq", "metrics=none", "model=hf", "model.name_or_path=x")
    assert named.metrics._target_ == "hydratune.groups.metrics.none"
    assert named.trainer.args.learning_rate == 5e-5


def test_seq2seq_config_mistakes_are_named_before_training(tmp_path):
    from hydratune.config.validate import validate
    from hydratune.pipeline import run

    with pytest.raises(ConfigError, match="generation_num_beam"):
        validate(compose_config("trainer=seq2seq", "+trainer.args.generation_num_beam=4"))
    with pytest.raises(ConfigError, match="trainer=seq2seq"):  # seq2seq data, plain Trainer
        run(compose_config("data=demo_seq2seq", "logger=none"), run_dir=tmp_path / "a")
    no_generate = compose_config(
        "trainer=seq2seq", "logger=none", "trainer.args.predict_with_generate=false", *TINY_T5
    )
    with pytest.raises(ConfigError, match="predict_with_generate=true"):
        run(no_generate, run_dir=tmp_path / "b")


def test_seq2seq_run_scores_generations_and_counts_source_and_target_tokens(run_small):
    run_dir, metrics = run_small(
        "trainer=seq2seq", "logger=none", "trainer.args.num_train_epochs=1",
        "trainer.args.eval_strategy=no", "trainer.args.save_strategy=no", *TINY_T5,
    )  # fmt: skip
    assert set(metrics) >= GENERATION_KEYS
    assert 0 <= metrics["eval_bleu"] <= 100 and 0 <= metrics["eval_rougeL"] <= 1
    assert 0 < metrics["eval_gen_len"] <= 33  # at most max_target_length + the start token
    # source and target tokens both count; target padding is -100, inputs padded by the mask
    for split in ("train", "eval"):
        assert metrics[f"{split}_real_tokens_per_second"] > 0
        assert 0 < metrics[f"{split}_pad_share"] < 1
    rows = read_jsonl(run_dir / "generations.jsonl")
    assert len(rows) == 32  # every eval prediction (FAST keeps 32 eval rows)
    assert set(rows[0]) == {"prompt", "reference", "generated"}
    eval_file = Path(compose_config("trainer=seq2seq").data.eval_files)
    shipped = {pair["source"]: pair["target"] for pair in read_jsonl(eval_file)}
    for row in rows:  # the prompt is the decoded source; its reference is its own target
        assert shipped[row["prompt"]] == row["reference"]


@pytest.mark.slow
def test_default_seq2seq_run_learns(run_small):
    """The offline default (demo_seq2seq, tiny_t5) in short: BLEU and loss move the right way."""
    run_dir, _ = run_small("trainer=seq2seq", "logger=none", "data.max_train_samples=null",
                           "data.max_eval_samples=null", "trainer.args.num_train_epochs=20",
                           "trainer.args.save_strategy=no")  # fmt: skip
    logged = json.loads((run_dir / "log_history.json").read_text())
    evals = [row for row in logged if "eval_bleu" in row]
    assert evals[-1]["eval_loss"] < evals[0]["eval_loss"]
    assert evals[-1]["eval_bleu"] > evals[0]["eval_bleu"] + 10


def test_lora_on_tiny_t5_is_a_seq2seq_adapter():
    from hydratune.groups.data import seq2seq_files
    from hydratune.groups.model import tiny_t5
    from hydratune.groups.peft import lora
    from hydratune.samples import sample_path

    data = seq2seq_files(train_files=sample_path("demo_seq2seq/eval.jsonl"), eval_size=10)
    model, _ = tiny_t5(data, d_model=32, d_ff=64, num_heads=2, vocab_size=300)
    wrapped = lora(model, r=4)
    assert wrapped.peft_config["default"].task_type == "SEQ_2_SEQ_LM"


def test_model_hf_loads_an_encoder_decoder_and_refuses_a_decoder_only_one(tmp_path):
    from transformers import T5ForConditionalGeneration

    from hydratune.groups.data import seq2seq_files
    from hydratune.groups.model import hf, tiny_llama, tiny_t5
    from hydratune.samples import sample_path

    data = seq2seq_files(train_files=sample_path("demo_seq2seq/eval.jsonl"), eval_size=10)
    model, tokenizer = tiny_t5(data, d_model=32, d_ff=64, num_heads=2, vocab_size=300)
    model.save_pretrained(tmp_path / "t5")
    tokenizer.save_pretrained(tmp_path / "t5")
    loaded, _ = hf(data, name_or_path=str(tmp_path / "t5"))
    assert isinstance(loaded, T5ForConditionalGeneration)
    llama, llama_tokenizer = tiny_llama(data, hidden_size=32, intermediate_size=64)
    llama.save_pretrained(tmp_path / "llama")
    llama_tokenizer.save_pretrained(tmp_path / "llama")
    with pytest.raises(ConfigError, match="is_encoder_decoder is false"):
        hf(data, name_or_path=str(tmp_path / "llama"))


# SFT generations -------------------------------------------------------------------------------


def test_prompts_are_the_prompt_or_the_chat_before_the_last_assistant_turn():
    chats = Dataset.from_list([{"messages": [
        {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"},
        {"role": "user", "content": "Capital of Peru?"}, {"role": "assistant", "content": "Lima"},
    ]}] * 3)  # fmt: skip
    (row,) = sample_prompts(chats, "messages", 1)
    assert [turn["content"] for turn in row["prompt"]] == ["Hi", "Hello", "Capital of Peru?"]
    assert row["reference"] == "Lima"
    pairs = Dataset.from_list([{"prompt": "2+2=", "completion": "4"}] * 5)
    assert (
        sample_prompts(pairs, "prompt_completion", 9) == [{"prompt": "2+2=", "reference": "4"}] * 5
    )


def test_generation_settings_are_checked():
    assert settings().generate_kwargs() == {"max_new_tokens": 64, "do_sample": False}
    sampled = settings(do_sample=True, temperature=0.7, top_p=0.9).generate_kwargs()
    assert sampled["temperature"] == 0.7 and sampled["top_p"] == 0.9
    with pytest.raises(ConfigError, match="generation.temperature"):
        settings(do_sample=True, temperature=0)
    assert isinstance(settings(num_samples=0), GenerationSettings)


def test_sft_lora_run_writes_generations_and_a_wandb_table(run_small):
    run_dir, metrics = run_small(
        "trainer=sft", "peft=lora", "trainer.args.num_train_epochs=1",
        "generation.num_samples=3", "generation.max_new_tokens=8", "generation.every_eval=true",
    )  # fmt: skip
    rows = read_jsonl(run_dir / "generations.jsonl")
    assert len(rows) == 3
    assert all(isinstance(row["prompt"], list) and row["reference"] for row in rows)
    assert all(isinstance(row["generated"], str) for row in rows)
    assert 0 <= metrics["eval_gen_rougeL"] <= 1 and 0 <= metrics["eval_gen_bleu"] <= 100
    (wandb_file,) = (run_dir / "wandb").glob("offline-run-*/run-*.wandb")
    logged_summary = summary(wandb_file)["summary"]  # first: on main it waits for the last block
    logged = [row for row in history(wandb_file) if "generations/path" in row]
    assert len(logged) == 2  # at the evaluation during training (every_eval), after training
    assert [row["eval/gen_rougeL"] for row in logged][-1] == metrics["eval_gen_rougeL"]
    files = wandb_file.parent / "files"
    table = json.loads((files / logged[-1]["generations/path"]).read_text())
    assert table["columns"] == ["prompt", "reference", "generated"]
    assert [row[1:] for row in table["data"]] == [[r["reference"], r["generated"]] for r in rows]
    assert logged_summary["eval_gen_rougeL"] == metrics["eval_gen_rougeL"]


@pytest.mark.slow  # two SFT runs
def test_sft_generation_is_seeded_and_repeats(run_small, tmp_path):
    common = ("trainer=sft", "logger=none", "trainer.args.num_train_epochs=1",
              "generation.num_samples=2", "generation.max_new_tokens=6",
              "generation.do_sample=true", "generation.temperature=1.5")  # fmt: skip
    first, _ = run_small(*common, run_dir=tmp_path / "one")
    second, _ = run_small(*common, run_dir=tmp_path / "two")
    assert read_jsonl(first / "generations.jsonl") == read_jsonl(second / "generations.jsonl")


def test_seq2seq_dry_run_reports_source_and_target_lengths(tmp_path):
    from hydratune.pipeline import run

    run(compose_config("trainer=seq2seq", "dry_run=true", "logger=none"), run_dir=tmp_path)
    summary = json.loads((tmp_path / "dry_run.json").read_text())
    assert summary["rows"] == {"train": 500, "eval": 60}
    assert summary["token_lengths"]["train_target"]["max"] <= 32  # data.max_target_length
    assert summary["batch"]["labels"][0] == 32  # trainer=seq2seq's batch size
