"""Bad input fails before training, in seconds, with one message naming the key and the fix."""

from __future__ import annotations

import json
import os
import time

import pytest
import torch

from conftest import FAST, MINILM, compose_config
from hydratune.compat.hub import hub_reachable
from hydratune.config.errors import HydratuneError
from hydratune.pipeline import run


@pytest.fixture
def files(tmp_path):
    """Small data files with one flaw each, written per test."""

    def write(name: str, text: str | bytes) -> str:
        path = tmp_path / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        return str(path)

    return write


GOOD_CSV = "text,label\ngood film,positive\nbad film,negative\nfine film,positive\n"
JSONL_OK = "".join(
    f'{{"text": "{t} film", "label": "{y}"}}\n'
    for t, y in (("good", "positive"), ("bad", "negative"), ("fine", "positive"))
)
SFT_NULL = '{"text": null}\n'
SFT_OK = '{"text": "Q: Sky?\\nA: Blue."}\n{"text": "Q: Grass?\\nA: Green."}\n'


def data_files(train: str, eval_: str | None = None) -> list[str]:
    extra = [f"data.eval_files={eval_}"] if eval_ else ["data.eval_size=1"]
    return ["data=files", f"data.train_files={train}", *extra]


def jsonl(*rows: dict) -> str:
    return "".join(json.dumps(row) + "\n" for row in rows)


def parquet(rows: list[dict]) -> bytes:
    import io

    import pandas as pd

    buffer = io.BytesIO()
    pd.DataFrame(rows).to_parquet(buffer)
    return buffer.getvalue()


def parquet_twice(name: str) -> bytes:
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = [pa.array(["a", "b"]), pa.array(["x", "y"]), pa.array(["c", "d"])]
    buffer = io.BytesIO()
    pq.write_table(pa.table(columns, names=[name, "label", name]), buffer)
    return buffer.getvalue()


GOOD_ROWS = [{"text": f"{t} film", "label": y} for t, y in (("good", "pos"), ("bad", "neg"))]
SFT_FILES = ["trainer=sft", "data=files", "data.eval_size=1"]
SEQ2SEQ = ["trainer=seq2seq", "trainer.args.max_steps=1"]
PAIRS = jsonl({"source": "a b", "target": "b a"}, {"source": "c d", "target": "  "})


def sft(f, name: str, text: str) -> list[str]:
    return [*SFT_FILES, "data.train_files=" + f(name, text)]


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
        "The eval split has labels the train split does not have (['negative', 'positive']): "
        "'neutral' at row 1 of",
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
    # issue 15: the 19 bad inputs that were accepted or ended in a raw library error
    "no training rows asked for": (
        lambda f: ["data.max_train_samples=0"],
        "data.max_train_samples=0 must be at least 1 (null = every row): set it to 1 or more",
    ),
    "zero epochs": (
        lambda f: ["trainer.args.num_train_epochs=0"],
        "trainer.args.num_train_epochs=0 with trainer.args.max_steps=-1 would train zero steps",
    ),
    "negative focal gamma": (
        lambda f: ["loss=focal", "loss.gamma=-1"],
        "loss.gamma=-1 must be at least 0 (0 = cross-entropy): set it to 0 or more",
    ),
    "negative class weight": (
        lambda f: ["loss=weighted_ce", "loss.class_weights=[-1,1]"],
        "loss.class_weights=[-1, 1] each value must be at least 0 (a class weight; here -1)",
    ),
    "max_length not a number": (
        lambda f: ["data.max_length=abc"],
        "data.max_length='abc' must be int or null, not str",
    ),
    "null text in a jsonl row": (
        lambda f: data_files(f("null.jsonl", JSONL_OK + '{"text": null, "label": "positive"}\n')),
        "Text column 'text' is empty (null) at row 4 of the train split (1 = its first data row)",
    ),
    "malformed jsonl line": (
        lambda f: data_files(f("bad.jsonl", JSONL_OK + '{"text": "oops", "label": }\n')),
        "bad.jsonl line 4 is not valid JSON (Expecting value, column 27): fix or remove that line",
    ),
    "LoRA rank 0": (
        lambda f: ["peft=lora", "peft.r=0"],
        "peft.r=0 must be at least 1 (the LoRA rank): set it to 1 or more",
    ),
    "label_names that do not fit the labels": (
        lambda f: [
            *data_files(f("f.csv", "text,label\na,0.0\nb,1.0\nc,0.0\n")),
            "+data.label_names=[x,y,z]",
        ],  # fmt: skip
        "The train split has labels not in data.label_names ['x', 'y', 'z']: '0.0' at row 1, "
        "'1.0' at row 2 of",
    ),
    "eval_size neither fraction nor count": (
        lambda f: ["data.eval_files=null", "data.eval_size=1.5"],
        "data.eval_size=1.5 must be a fraction in (0, 1) or a whole number of rows",
    ),
    "zero batch size": (
        lambda f: ["trainer.args.per_device_train_batch_size=0"],
        "trainer.args.per_device_train_batch_size=0 must be greater than 0",
    ),
    "negative warmup": (
        lambda f: ["trainer.args.warmup_steps=-1"],
        "trainer.args.warmup_steps=-1 must be at least 0",
    ),
    "save_total_limit 0": (
        lambda f: ["trainer.args.save_total_limit=0"],
        "trainer.args.save_total_limit=0 must be at least 1",
    ),
    "LoRA dropout above 1": (
        lambda f: ["peft=lora", "peft.lora_dropout=1.5"],
        "peft.lora_dropout=1.5 must be at least 0 and less than 1 (a dropout probability)",
    ),
    "negative model dropout": (
        lambda f: ["model.hidden_dropout_prob=-0.1"],
        "model.hidden_dropout_prob=-0.1 must be at least 0 and less than 1",
    ),
    "zero layers": (
        lambda f: ["model.num_hidden_layers=0"],
        "model.num_hidden_layers=0 must be at least 1: set it to 1 or more",
    ),
    "no eval rows asked for": (
        lambda f: ["data.max_eval_samples=0"],
        "data.max_eval_samples=0 must be at least 1",
    ),
    "zero logging steps": (
        lambda f: ["trainer.args.logging_steps=0"],
        "trainer.args.logging_steps=0 must be greater than 0",
    ),
    "empty text cell in a csv": (
        lambda f: data_files(f("blank.csv", GOOD_CSV + ",positive\n")),
        "Text column 'text' is empty (null) at row 4 of the train split",
    ),
    # more of the same families
    "every range problem at once": (
        lambda f: [
            "data.max_train_samples=0",
            "loss=focal",
            "loss.gamma=-1",
            "peft=lora",
            "peft.r=0",
            "trainer.args.num_train_epochs=0",
        ],  # fmt: skip
        "4 problems in the config:\n  - data.max_train_samples=0",
    ),
    "unlabelled rows in train and eval": (
        lambda f: data_files(
            f("t.csv", GOOD_CSV + "odd film,\nmeh film,\n"), f("e.csv", "text,label\nmeh,\n")
        ),
        "Label column 'label' is empty in 2 rows of the train split (rows 4, 5) and 1 row of "
        "the eval split (row 1)",
    ),
    "malformed json array": (
        lambda f: data_files(f("bad.json", '[\n{"text": "a", "label": "x"},\n{"text": "b"\n]\n')),
        "bad.json line 4 is not valid JSON",
    ),
    "label_names missing a string label": (
        lambda f: ["+data.label_names=[negative]"],
        "The train split has labels not in data.label_names ['negative']: 'positive' at row",
    ),
    "zero LoRA alpha": (
        lambda f: ["peft=lora", "peft.lora_alpha=0"],
        "peft.lora_alpha=0 must be greater than 0",
    ),
    "negative focal class weight": (
        lambda f: ["loss=focal", "loss.class_weights=[1,-2]"],
        "loss.class_weights=[1, -2] each value must be at least 0 (a class weight; here -2)",
    ),
    "label smoothing of 1.5": (
        lambda f: ["+trainer.args.label_smoothing_factor=1.5"],
        "trainer.args.label_smoothing_factor=1.5 must be at least 0 and less than 1",
    ),
    "null text in SFT data": (
        lambda f: [
            "trainer=sft",
            "data=sft_files",
            "data.eval_size=1",
            "data.train_files=" + f("sft.jsonl", SFT_OK + SFT_NULL),
        ],  # fmt: skip
        "Row 3 of the train split (1 = its first data row): column 'text' is None, not text",
    ),
    "zero tokenizer processes": (
        lambda f: ["data.num_proc=0"],
        "data.num_proc=0 must be at least 1",
    ),
    # issue 22 (data): what the readers hid, for every format and task
    "duplicate column names in a csv": (
        lambda f: data_files(f("dup.csv", "text,label,text\na,pos,b\nc,neg,d\ne,pos,f\n")),
        "dup.csv line 1 names a column more than once: 'text' (columns 1, 3)",
    ),
    "duplicate column names in a tsv": (
        lambda f: data_files(f("dup.tsv", "label\ttext\ttext\npos\ta\tb\nneg\tc\td\n")),
        "dup.tsv line 1 names a column more than once: 'text' (columns 2, 3)",
    ),
    "duplicate keys in a jsonl row": (
        lambda f: data_files(f("k.jsonl", JSONL_OK + '{"text": "a", "label": "x", "text": "b"}\n')),
        "k.jsonl line 4 names the key 'text' twice",
    ),
    "duplicate column names in parquet": (
        lambda f: data_files(f("dup.parquet", parquet_twice("text"))),
        "dup.parquet schema names a column more than once: 'text' (columns 1, 3)",
    ),
    "blank text in jsonl": (
        lambda f: data_files(f("b.jsonl", JSONL_OK + jsonl({"text": "   ", "label": "pos"}))),
        "Text column 'text' is blank at row 4 of the train split",
    ),
    "empty text in a json array": (
        lambda f: data_files(f("b.json", json.dumps([*GOOD_ROWS, {"text": "", "label": "pos"}]))),
        "Text column 'text' is empty ('') at row 3 of the train split",
    ),
    "blank text in parquet": (
        lambda f: data_files(f("b.parquet", parquet([*GOOD_ROWS, {"text": " ", "label": "x"}]))),
        "Text column 'text' is blank at row 3 of the train split",
    ),
    "blank text in a csv": (
        lambda f: data_files(f("b.csv", GOOD_CSV + '"   ",positive\n')),
        "Text column 'text' is blank at row 4 of the train split",
    ),
    "blank text in a tsv": (
        lambda f: data_files(f("b.tsv", "text\tlabel\ngood\tpos\n  \tneg\nbad\tneg\n")),
        "Text column 'text' is blank at row 2 of the train split",
    ),
    "blank text in the eval file": (
        lambda f: data_files(
            f("t.csv", GOOD_CSV), f("e.jsonl", jsonl({"text": "\t", "label": "x"}))
        ),
        "Text column 'text' is blank at row 1 of the eval split",
    ),
    "blank SFT text": (
        lambda f: sft(f, "s.jsonl", SFT_OK + jsonl({"text": "  "})),
        "Row 3 of the train split (1 = its first data row): column 'text' is blank",
    ),
    "blank SFT completion": (
        lambda f: sft(
            f,
            "pc.jsonl",
            jsonl({"prompt": "Q?", "completion": "A"}, {"prompt": "Q2?", "completion": ""}),
        ),  # fmt: skip
        "Row 2 of the train split (1 = its first data row): column 'completion' is blank",
    ),
    "blank assistant turn": (
        lambda f: sft(
            f,
            "m.jsonl",
            jsonl(
                {
                    "messages": [
                        {"role": "user", "content": "hi"},
                        {"role": "assistant", "content": "yo"},
                    ]
                },
                {
                    "messages": [
                        {"role": "user", "content": "hi"},
                        {"role": "assistant", "content": " "},
                    ]
                },
            ),
        ),  # fmt: skip
        "Row 2 of the train split (1 = its first data row): column 'messages' has a blank "
        "assistant turn",
    ),
    "blank seq2seq target": (
        lambda f: [*SEQ2SEQ, "data.train_files=" + f("p.jsonl", PAIRS), "data.eval_size=1"],
        "Row 2 of the train split (1 = its first data row): 'target' is empty",
    ),
    "labels that differ by case and spaces": (
        lambda f: data_files(f("c.csv", 'text,label\na,Positive\nb,"positive "\nc,negative\n')),
        "spells one label in several ways that differ only by case or surrounding spaces: "
        "'Positive' vs 'positive '",
    ),
    "multi-label names that differ by case": (
        lambda f: data_files(
            f(
                "m.jsonl",
                jsonl(
                    {"text": "a", "label": ["Sports", "news"]}, {"text": "b", "label": ["sports"]}
                ),
            )
        ),  # fmt: skip
        "'Sports' vs 'sports'",
    ),
    "label column of mixed types": (
        lambda f: data_files(
            f(
                "x.jsonl",
                jsonl(
                    *({"text": f"t{i}", "label": i % 2} for i in range(9)),
                    {"text": "odd", "label": "one"},
                ),
            )
        ),  # fmt: skip
        "Label column 'label' mixes int, str values: row 10 of the train split (1 = its first "
        "data row) holds 'one' (str) where 9 rows hold int",
    ),
    "eval labels of mixed types": (
        lambda f: data_files(
            f("t.jsonl", jsonl({"text": "a", "label": 1}, {"text": "b", "label": 2})),
            f(
                "e.jsonl",
                jsonl(
                    {"text": "c", "label": 1},
                    {"text": "d", "label": 1},
                    {"text": "e", "label": "two"},
                ),
            ),
        ),  # fmt: skip
        "row 3 of the eval split (1 = its first data row) holds 'two' (str) where 2 rows hold int",
    ),
    "eval id that train lacks after remapping": (
        lambda f: data_files(
            f("t.jsonl", jsonl({"text": "a", "label": 1}, {"text": "b", "label": 4})),
            f("e.jsonl", jsonl({"text": "c", "label": 3})),
        ),  # fmt: skip
        "The eval split has labels the train split does not have (['1', '4']): '3' at row 1 of",
    ),
    "ragged csv line": (
        lambda f: data_files(f("r.csv", GOOD_CSV + "odd, film,positive\n")),
        "r.csv line 5 has 3 fields where the header has 2: quote cells that contain the "
        "delimiter (',')",
    ),
    "ragged tsv line": (
        lambda f: data_files(f("r.tsv", "text\tlabel\na\tpos\nb\tneg\textra\n")),
        "r.tsv line 3 has 3 fields where the header has 2",
    ),
    "json file holding an object": (
        lambda f: data_files(f("o.json", json.dumps({"version": "1", "data": GOOD_ROWS}))),
        "o.json holds one JSON object (keys ['version', 'data']), not a list of rows; its rows "
        "are under 'data'. Read them with +data.read_options.field=data",
    ),
    **{  # 0 meant "every row" / "no limit" here: refused like the classifier's
        f"seq2seq {key}=0": (
            lambda f, key=key: [*SEQ2SEQ, f"data.{key}=0"],
            f"data.{key}=0 must be at least 1 ({meaning})",
        )
        for key, meaning in (
            ("max_train_samples", "null = every row"),
            ("max_eval_samples", "null = every row"),
            ("max_source_length", "tokens; null = the tokenizer's limit"),
            ("max_target_length", "tokens; null = the tokenizer's limit"),
        )
    },
    "SFT max_length=0": (
        lambda f: ["trainer=sft", "trainer.args.max_length=0"],
        "trainer.args.max_length=0 must be at least 1",
    ),
    "seq2seq zero beams": (
        lambda f: [*SEQ2SEQ, "+trainer.args.generation_num_beams=0"],
        "trainer.args.generation_num_beams=0 must be at least 1",
    ),
    "one training row and no eval file": (
        lambda f: ["data=files", "data.train_files=" + f("one.csv", "text,label\ngood,pos\n")],
        "The train split has 1 row and no eval file, so data.eval_size=0.1 holds out 1, leaving "
        "nothing to train on: give an eval file (data.eval_files=...)",
    ),
    "eval_size count as large as the data": (
        lambda f: [*data_files(f("g.csv", GOOD_CSV)), "data.eval_size=3"],
        "The train split has 3 rows and no eval file, so data.eval_size=3 holds out 3",
    ),
    # issue 22 (config): accepted values that failed after the model loaded, or did nothing
    "negative seed": (lambda f: ["seed=-1"], "seed=-1 must be between 0 and 2**32 - 1"),
    "zero prediction chunk": (
        lambda f: ["predict.batch_rows=0"],
        "predict.batch_rows=0 must be at least 1",
    ),
    "zero prediction tokens": (
        lambda f: ["predict.max_new_tokens=0"],
        "predict.max_new_tokens=0 must be at least 1",
    ),
    "LoRA on no modules": (
        lambda f: ["peft=lora", "peft.target_modules=[]"],
        "peft.target_modules=[] must not be empty",
    ),
    "optimizer typo": (
        lambda f: ["trainer.args.optim=adamw_torch_fusd"],
        "trainer.args.optim='adamw_torch_fusd' is not a choice of TrainingArguments.optim. "
        "Did you mean ['adamw_torch_fused'",
    ),
    "eval_strategy typo": (
        lambda f: ["trainer.args.eval_strategy=epochs"],
        "trainer.args.eval_strategy='epochs' is not a choice of TrainingArguments.eval_strategy. "
        "Did you mean ['epoch', 'steps']? Its choices are ['no', 'steps', 'epoch'].",
    ),
    "scheduler typo": (
        lambda f: ["trainer.args.lr_scheduler_type=cosin"],
        "trainer.args.lr_scheduler_type='cosin' is not a choice",
    ),
    "save_strategy typo": (
        lambda f: ["trainer.args.save_strategy=epochz"],
        "trainer.args.save_strategy='epochz' is not a choice of TrainingArguments.save_strategy",
    ),
    "log level typo": (
        lambda f: ["+trainer.args.log_level=verbose"],
        "trainer.args.log_level='verbose' is not a choice of TrainingArguments.log_level",
    ),
    "SFT loss_type typo": (
        lambda f: ["trainer=sft", "+trainer.args.loss_type=nl"],
        "trainer.args.loss_type='nl' is not a choice of SFTConfig.loss_type. Did you mean ['nll']",
    ),
    "metric_for_best_model the run never produces": (
        lambda f: ["+trainer.args.metric_for_best_model=eval_f2"],
        "trainer.args.metric_for_best_model=eval_f2 is not a metric this run produces. Did you "
        "mean ['eval_f1'",
    ),
    "early stopping on a metric the run never produces": (
        lambda f: ["callbacks=early_stopping", "callbacks.metric=eval_acc"],
        "callbacks.metric=eval_acc is not a metric this run produces",
    ),
    "seq2seq selecting on accuracy": (
        lambda f: [*SEQ2SEQ, "+trainer.args.metric_for_best_model=accuracy"],
        "trainer.args.metric_for_best_model=accuracy is not a metric this run produces",
    ),
    "label smoothing on multi-label data": (
        lambda f: [
            *data_files(
                f(
                    "ml.jsonl",
                    jsonl(
                        {"text": "a", "label": ["x", "y"]},
                        {"text": "b", "label": ["y"]},
                        {"text": "c", "label": ["x"]},
                    ),
                )
            ),
            "loss=bce",
            "metrics=multilabel",
            "+trainer.args.label_smoothing_factor=0.1",
        ],
        "trainer.args.label_smoothing_factor=0.1 has no multi-label form",
    ),  # fmt: skip
    "label smoothing a custom loss would ignore": (
        lambda f: [
            "loss._target_=hydratune.groups.loss.bce_loss",
            "+trainer.args.label_smoothing_factor=0.1",
        ],  # fmt: skip
        "trainer.args.label_smoothing_factor=0.1 would have no effect: the loss hook bce_loss "
        "replaces the model's loss",
    ),
    "max_length above the position table": (
        lambda f: ["model.max_position_embeddings=64", "data.max_length=128"],
        "data.max_length=128 is above the model's position limit "
        "(model.max_position_embeddings=64)",
    ),
    "SFT max_length above the position table": (
        lambda f: ["trainer=sft", "trainer.args.max_length=1024"],
        "trainer.args.max_length=1024 is above the model's position limit "
        "(model.max_position_embeddings=512)",
    ),
    "max_length above a checkpoint's position table": (
        lambda f: ["model=hf", f"model.name_or_path={MINILM}", "data.max_length=1024"],
        "data.max_length=1024 is above the model's position limit (config.json of",
    ),
}


# Checked on the built model (its layer names), which a tiny model builds from a config.
NEEDS_THE_MODEL = {"LoRA target modules that match nothing"}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_fails_fast_and_clearly(case, files, tmp_path, monkeypatch):
    if case == "fp16 without a GPU" and torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # a hub that never answers
    hub_reachable.cache_clear()
    overrides, message = CASES[case]
    run_dir = tmp_path / "run"
    other = other_run(tmp_path)  # a finished run beside it: a refusal must not touch it
    before = snapshot(other)
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
    if case not in NEEDS_THE_MODEL:  # nor loaded: failed before any weights
        assert "load_model" not in record["timings_s"]
    assert not (run_dir / "checkpoints").exists() and not (run_dir / "model").exists()
    assert snapshot(other) == before
    table = os.environ.get("HYDRATUNE_FAILURE_TABLE")  # the note's table: case, time, message
    if table:
        with open(table, "a") as rows:
            rows.write(json.dumps([case, round(elapsed, 2), str(caught.value)]) + "\n")


def other_run(tmp_path):
    """A finished run's files, as a sweep sibling or an earlier run would leave them."""
    other = tmp_path / "other"
    (other / ".hydra").mkdir(parents=True)
    (other / ".hydra" / "config.yaml").write_text("seed: 1\n")
    (other / "run.json").write_text('{"status": "completed"}')
    (other / "metrics.json").write_text('{"eval_accuracy": 0.8}')
    return other


def snapshot(root) -> dict:
    return {str(p): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_dry_run_checks_everything_and_trains_nothing(tmp_path):
    started = time.monotonic()
    summary = run(compose_config("dry_run=true"), run_dir=tmp_path / "dry")
    assert time.monotonic() - started < 15
    assert summary["rows"] == {"train": 2400, "eval": 600}
    assert summary["labels"] == {"negative": 1200, "positive": 1200}
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
    assert summary["rows"]["train"] == 2400


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["data.max_length=1"], "data.max_length=1 leaves no room for text: this tokenizer adds 2"),
        (["data.max_length=2", "dry_run=true"], "data.max_length=2 leaves no room for text"),
        (
            ["trainer=seq2seq", "data.max_target_length=1"],
            "data.max_target_length=1 leaves no room for text: this tokenizer adds 1",
        ),
    ],
)
def test_a_token_limit_shorter_than_the_special_tokens_is_refused(overrides, message, tmp_path):
    """Shorter than its special tokens, a tokenizer does not truncate at all (BERT keeps every
    row whole at max_length=1 while the dry run counted them all truncated). The tokenizer is
    the model builder's, so this fails once it exists, before anything trains."""
    run_dir = tmp_path / "run"
    with pytest.raises(HydratuneError, match=message):
        run(compose_config(*FAST, *overrides), run_dir=run_dir)
    record = json.loads((run_dir / "run.json").read_text())
    assert "train" not in record["timings_s"] and not (run_dir / "checkpoints").exists()
