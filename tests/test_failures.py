"""Bad input fails before training, in seconds, with one message naming the key and the fix."""

from __future__ import annotations

import json
import time

import pytest
import torch

from conftest import FAST, compose_config
from hydratune.errors import HydratuneError
from hydratune.pipeline import run
from hydratune.runtime.hub import hub_reachable


@pytest.fixture
def files(tmp_path):
    """Small data files with one flaw each, written per test."""

    def write(name: str, text: str | bytes) -> str:
        path = tmp_path / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        return str(path)

    return write


GOOD_CSV = "text,label\ngood film,positive\nbad film,negative\nfine film,positive\n"


def data_files(train: str, eval_: str | None = None) -> list[str]:
    extra = [f"data.eval_files={eval_}"] if eval_ else ["data.eval_size=1"]
    return ["data=files", f"data.train_files={train}", *extra]


CASES = {
    "misspelled text column": (
        lambda f: ["data.text_column=review"],
        "Column 'review' not in the train split; its columns are ['text', 'label']",
    ),
    "missing label column": (
        lambda f: ["data.label_column=sentiment"],
        "Label column 'sentiment' not in the train split",
    ),
    "missing file": (
        lambda f: data_files("/no/such/train.csv"),
        "data.train_files: file not found: /no/such/train.csv",
    ),
    "empty dataset": (
        lambda f: data_files(f("empty.csv", "text,label\n")),
        "The train split is empty",
    ),
    "empty label cell": (
        lambda f: data_files(f("nan.csv", GOOD_CSV + "odd film,\n")),
        "Label column 'label' is empty at row 4 of the train split (1 = its first data row)",
    ),
    "undecodable bytes": (
        lambda f: data_files(f("latin.csv", GOOD_CSV.encode() + b"caf\xe9 film,positive\n")),
        "latin.csv line 5 is not valid UTF-8",
    ),
    "float labels": (
        lambda f: data_files(f("float.csv", "text,label\na,0.5\nb,1.5\nc,0.5\n")),
        "holds ['float'] values; classification needs integer class ids or string class names",
    ),
    "eval label unknown to train": (
        lambda f: data_files(f("t.csv", GOOD_CSV), f("e.csv", "text,label\nmeh,neutral\n")),
        "The eval split has labels ['neutral'] outside the train split's",
    ),
    "class weights length": (
        lambda f: ["loss=weighted_ce", "loss.class_weights=[1,2,3]"],
        "loss.class_weights has 3 weights but the data has 2 classes",
    ),
    "fp16 without a GPU": (
        lambda f: ["trainer.args.fp16=true"],
        "trainer.args.fp16=true needs a CUDA GPU and none is visible",
    ),
    "unreachable hub id": (
        lambda f: ["model=hf", "model.name_or_path=some-org/not-cached-anywhere"],
        "the Hugging Face Hub cannot be reached from here",
    ),
    "zero accumulation steps": (
        lambda f: ["trainer.args.gradient_accumulation_steps=0"],
        "trainer.args.gradient_accumulation_steps=0 must be greater than 0",
    ),
    "negative learning rate": (
        lambda f: ["trainer.args.learning_rate=-0.001"],
        "trainer.args.learning_rate=-0.001 must be greater than 0",
    ),
    "seed not a number": (lambda f: ["seed=abc"], "seed='abc' must be an integer"),
    "unknown training argument": (
        lambda f: ["+trainer.args.learnin_rate=0.1"],
        "trainer.args.learnin_rate is not a TrainingArguments field. Did you mean ['learning_rate'",
    ),
    "wrong type for a training argument": (
        lambda f: ["trainer.args.num_train_epochs=many"],
        "trainer.args.num_train_epochs='many' must be float, not str",
    ),
    "unknown loss key": (
        lambda f: ["loss=focal", "+loss.gama=1"],
        "loss.gama is not a parameter of hydratune.groups.loss.focal. Did you mean ['gamma']",
    ),
    "unknown data key": (
        lambda f: ["+data.text_colum=text"],
        "data.text_colum is not a parameter of hydratune.groups.data.files",
    ),
    "LoRA target modules that match nothing": (
        lambda f: ["trainer=sft", "peft=lora", "peft.target_modules=[q_projx]"],
        "peft.target_modules ['q_projx'] match no module of LlamaForCausalLM; its linear layers "
        "are ['down_proj', 'gate_proj', 'k_proj', 'lm_head', 'o_proj', 'q_proj', 'up_proj'",
    ),
    "SFT trainer on classification data": (
        lambda f: ["trainer=sft", "data=demo_sentiment"],
        "trainer=sft reads SFT data, and the train split has columns ['text', 'label']: "
        "classification data (a text and a label). Train it with trainer=plain",
    ),
    "multi-label loss on single-label data": (
        lambda f: ["loss=bce"],
        "loss=bce is for multi-label data",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_fails_fast_and_clearly(case, files, tmp_path, monkeypatch):
    if case == "fp16 without a GPU" and torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # a hub that never answers
    hub_reachable.cache_clear()
    overrides, message = CASES[case]
    run_dir = tmp_path / "run"
    started = time.monotonic()
    with pytest.raises(HydratuneError) as caught:
        run(compose_config(*FAST, *overrides(files)), run_dir=run_dir)
    elapsed = time.monotonic() - started
    hub_reachable.cache_clear()
    assert message in str(caught.value)
    assert elapsed < 20, f"took {elapsed:.1f} s to fail"  # seconds, not a training run
    record = json.loads((run_dir / "run.json").read_text())
    assert record["status"] == "failed"
    assert message in record["error"]["message"]
    assert "train" not in record["timings_s"]  # nothing trained
    assert not (run_dir / "checkpoints").exists()


def test_dry_run_checks_everything_and_trains_nothing(tmp_path):
    started = time.monotonic()
    summary = run(compose_config("dry_run=true"), run_dir=tmp_path / "dry")
    assert time.monotonic() - started < 15
    assert summary["rows"] == {"train": 320, "eval": 80}
    assert summary["labels"] == {"negative": 160, "positive": 160}
    assert summary["batch"]["input_ids"][0] == 16
    assert summary["batch"]["loss_items"] == 16  # one label per row
    assert 0 < summary["batch"]["padding_share"] < 1
    assert summary["token_lengths"]["train"]["max"] <= 64
    assert json.loads((tmp_path / "dry" / "dry_run.json").read_text()) == json.loads(
        json.dumps(summary)
    )
    record = json.loads((tmp_path / "dry" / "run.json").read_text())
    assert record["status"] == "dry_run"
    assert not (tmp_path / "dry" / "model").exists()
    assert not (tmp_path / "dry" / "wandb").exists()


def test_sft_dry_run_counts_the_tokens_sfttrainer_trains_on(tmp_path):
    from hydratune.groups.data import sft_files
    from hydratune.groups.model import tiny_llama
    from hydratune.groups.trainer import sft
    from hydratune.samples import sample_path

    started = time.monotonic()
    summary = run(
        compose_config("trainer=sft", "peft=lora", "dry_run=true"), run_dir=tmp_path / "d"
    )
    assert time.monotonic() - started < 15
    assert summary["rows"] == {"train": 240, "eval": 40} and summary["format"] == "messages"
    assert summary["loss_mask"]["assistant_only_loss"] is True
    # the same rows through the real SFTTrainer: its labels keep exactly that many tokens
    data = sft_files(
        train_files=sample_path("demo_chat/train.jsonl"),
        eval_files=sample_path("demo_chat/eval.jsonl"),
    )
    model, tokenizer = tiny_llama(data)
    trainer = sft(
        data, model, tokenizer, data.splits["train"], data.splits["eval"],
        args={"output_dir": str(tmp_path / "c"), "report_to": "none", "max_length": 512},
    )  # fmt: skip
    kept = sum(sum(label != -100 for label in row) for row in trainer.train_dataset["labels"])
    assert summary["train_sample"]["tokens_with_loss"] == kept


def test_dry_run_reads_no_pretrained_weights(tmp_path):
    from hydratune.groups.data import files as data_files
    from hydratune.groups.model import tiny_bert
    from hydratune.samples import sample_path

    data = data_files(train_files=sample_path("demo_sentiment/train.csv"))
    model, tokenizer = tiny_bert(data)
    model.save_pretrained(tmp_path / "ckpt")
    tokenizer.save_pretrained(tmp_path / "ckpt")
    (tmp_path / "ckpt" / "model.safetensors").write_bytes(b"not weights")  # would fail to load
    summary = run(
        compose_config("dry_run=true", "model=hf", f"model.name_or_path={tmp_path / 'ckpt'}"),
        run_dir=tmp_path / "dry",
    )
    assert summary["rows"]["train"] == 320
