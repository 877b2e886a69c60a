"""Every option of every group composes and builds with tiny real objects."""

from __future__ import annotations

import pytest
from datasets import Dataset
from transformers import Trainer

from conftest import CONF, compose_config
from hydratune.config.build import build, build_hook
from hydratune.config.errors import ConfigError
from hydratune.groups.data import SFT
from hydratune.groups.data import files as data_files
from hydratune.pipeline import RunContext, trainer_args
from hydratune.samples import sample_path

GROUPS = ["model", "data", "collator", "loss", "metrics", "trainer", "peft", "logger", "callbacks"]


def options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONF / group).glob("*.yaml"))


def test_every_group_has_the_foundation_options():
    expected = {
        "model": {"tiny_bert", "tiny_llama", "hf"},
        "data": {"demo_sentiment", "demo_chat", "files", "sft_files", "hub"},
        "collator": {"padding", "default", "none"},
        "loss": {"default"},
        "metrics": {"classification"},
        "trainer": {"plain", "sft"},
        "peft": {"none", "lora"},
        "logger": {"wandb", "tensorboard", "mlflow", "many", "none"},
    }
    for group, names in expected.items():
        assert names <= set(options(group)), group


@pytest.fixture(scope="module")
def demo():
    return data_files(
        train_files=sample_path("demo_sentiment/train.csv"),
        eval_files=sample_path("demo_sentiment/eval.csv"),
        max_train_samples=32,
        max_eval_samples=8,
    )


@pytest.fixture(scope="module")
def local_checkpoint(demo, tmp_path_factory):
    from hydratune.groups.model import tiny_bert

    path = tmp_path_factory.mktemp("ckpt")
    model, tokenizer = tiny_bert(demo, hidden_size=32, intermediate_size=64)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return str(path)


def multilabel_demo(demo):
    from dataclasses import replace

    tags = [[float(y), 1.0 - float(y), 1.0] for y in demo.splits["train"]["labels"]]
    train = demo.splits["train"].remove_columns("labels").add_column("labels", tags)
    splits = {"train": train, "eval": train}
    return replace(demo, splits=splits, label_names=["a", "b", "c"], multi_label=True)


SFT_DATA = ("demo_chat", "sft_files")
SEQ2SEQ_DATA = ("demo_seq2seq", "seq2seq_files", "seq2seq_hub")
REQUIRED = {  # values an option marks ??? and that a user must give
    ("model", "hf"): lambda ctx: [f"model.name_or_path={ctx['ckpt']}"],
    ("data", "files"): lambda ctx: [f"data.train_files={ctx['train']}"],
    ("data", "hub"): lambda ctx: [f"data.path={ctx['hub_dir']}", "data.eval_split=null"],
    ("data", "sft_files"): lambda ctx: [f"data.train_files={ctx['chat']}"],
    ("data", "seq2seq_files"): lambda ctx: [f"data.train_files={ctx['pairs']}"],
    ("data", "seq2seq_hub"): lambda ctx: [
        f"data.path={ctx['pairs_hub_dir']}",
        "data.eval_split=null",
    ],
}


@pytest.mark.parametrize(
    ("group", "option"), [(g, o) for g in GROUPS for o in options(g) if g != "logger"]
)
def test_each_option_builds(group, option, demo, local_checkpoint, tmp_path):
    from datasets import DatasetDict

    hub_dir = tmp_path / "hub_ds"
    DatasetDict({"train": demo.splits["train"].rename_column("labels", "label")}).save_to_disk(
        hub_dir
    )
    ctx = {
        "ckpt": local_checkpoint,
        "train": sample_path("demo_sentiment/train.csv"),
        "hub_dir": str(hub_dir),
        "chat": sample_path("demo_chat/train.jsonl"),
        "pairs": sample_path("demo_seq2seq/eval.jsonl"),
        "pairs_hub_dir": str(tmp_path / "pairs_ds"),
    }
    if option == "seq2seq_hub":
        Dataset.from_json(ctx["pairs"]).save_to_disk(ctx["pairs_hub_dir"])
    extra = REQUIRED.get((group, option), lambda _: [])(ctx)
    cfg = compose_config(f"{group}={option}", *extra)
    node = cfg[group]
    if group == "data":
        built = build(node, **({"kinds": SFT} if option in SFT_DATA else {}))  # trainer=sft's
        if option in SEQ2SEQ_DATA:
            assert built.kind == "seq2seq" and built.splits["eval"].column_names == [
                "source",
                "target",
            ]
        else:
            assert built.format == "messages" if option in SFT_DATA else built.num_labels == 2
    elif group == "model" and option == "tiny_t5":  # an encoder-decoder for seq2seq data
        model, tokenizer = build(node, data=build(compose_config("trainer=seq2seq").data))
        assert model.config.is_encoder_decoder and tokenizer.pad_token_id == 0
    elif group == "model":
        model, tokenizer = build(node, data=demo)
        config = getattr(model, "config", None)
        num_labels = config.num_labels if config else model.spec["sizes"]["num_labels"]
        assert num_labels == 2 and tokenizer.pad_token is not None
    elif group == "collator" and option == "none":  # the trainer builds its own
        assert build(node, tokenizer=None) is None
    elif group == "collator":
        _, tokenizer = build(compose_config().model, data=demo)
        collate = build(node, tokenizer=tokenizer)
        enc = tokenizer("a fine day", padding="max_length", truncation=True, max_length=6)
        labels = {"seq2seq": {"labels": [5, 6]}}.get(option, {"labels": 1})
        rows = [enc | labels] * 2  # each collator's kind of labels
        assert collate(rows)["input_ids"].shape == (2, 6)
    elif group in ("loss", "metrics"):
        multi = option in ("bce", "multilabel")
        built = build_hook(node, multilabel_demo(demo) if multi else demo)
        assert built is None or callable(built)
    elif group == "peft" and option == "qlora":  # a 4-bit base needs model=hf on a GPU
        model, _ = build(compose_config().model, data=demo)
        with pytest.raises(ConfigError, match="peft=qlora needs a base quantized as it loads"):
            build(node, model=model)  # tests/test_gpu.py trains one on a GPU
    elif group == "peft":
        model, _ = build(compose_config().model, data=demo)
        assert build(node, model=model) is not None
    elif group == "callbacks":
        args = dict(cfg.trainer.args)
        built = build(node, args=args)  # early stopping completes the args it needs
        assert isinstance(built, list) and (built == []) == (option == "none")
        assert args.get("load_best_model_at_end", False) == (option == "early_stopping")
    elif group == "trainer":
        small = {"max_train_samples": 16, "max_eval_samples": 8}
        own = option in ("sft", "seq2seq")  # their own samples: chats, source/target pairs
        kinds = {"kinds": SFT} if option == "sft" else {}
        data = build(cfg.data, **kinds, **small) if own else demo
        model, tokenizer = build(cfg.model, data=data)
        context = RunContext(tmp_path, [])
        tokenized = data.tokenize(tokenizer)
        trainer = build(
            node,
            args=trainer_args(cfg.trainer.args, context, "none"),
            data=data,
            model=model,
            tokenizer=tokenizer,
            train_dataset=tokenized["train"],
            eval_dataset=tokenized["eval"],
            data_collator=build(cfg.collator, tokenizer=tokenizer),
        )
        assert isinstance(trainer, Trainer)
        assert trainer.args.output_dir == str(tmp_path / "checkpoints")


LOGGERS = [
    pytest.param(o, marks=pytest.mark.slow) if o == "mlflow" else o for o in options("logger")
]
REPORTS_TO = {"wandb": "wandb", "none": "none", "tensorboard": "tensorboard", "mlflow": "mlflow",
              "many": ["wandb", "tensorboard"]}  # fmt: skip


@pytest.mark.parametrize("option", LOGGERS)  # mlflow: creating its sqlite store takes ~10 s
def test_each_logger_opens_and_finishes(option, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # mlflow's local store: outputs/ under the current directory
    cfg = compose_config(f"logger={option}")
    tracker = build(cfg.logger, run_dir=str(tmp_path), config={"a": 1}, default_name="t")
    tracker.log_summary({"eval_accuracy": 0.5})
    tracker.finish(exit_code=0)
    assert tracker.report_to == REPORTS_TO[option]
