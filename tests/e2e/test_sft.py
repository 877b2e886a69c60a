"""trainer=sft: data formats, formatting functions, which tokens carry loss, packing, configs.

Expected loss-token counts are computed independently of trl, from the tokenizer: a completion
(or an assistant turn) followed by the end-of-turn token is exactly the span the loss must see.
"""

from __future__ import annotations

import pytest
import torch

from conftest import compose_config
from hydratune.config.errors import ConfigError, DataError
from hydratune.groups.data import SFTData, alpaca, sft_files
from hydratune.groups.model import tiny_llama
from hydratune.groups.trainer import device_defaults
from hydratune.groups.trainer import sft as sft_trainer
from hydratune.samples import sample_path

TINY = {"hidden_size": 32, "intermediate_size": 64, "vocab_size": 600}
EOS = "<|im_end|>"

CHATS = [
    {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "What is the capital of Peru?"},
            {"role": "assistant", "content": "The capital of Peru is Lima."},
            {"role": "user", "content": "And of Chile?"},
            {"role": "assistant", "content": "Santiago."},
        ],
        "id": 1,
    },
    {
        "messages": [
            {"role": "user", "content": "Say hello."},
            {"role": "assistant", "content": "Hello there!"},
        ],
        "id": 2,
    },
]
PAIRS = [
    {"prompt": "Question: what is 2 plus 3?\nAnswer:\n", "completion": "2 plus 3 is 5."},
    {"prompt": "Opposite of hot?\n", "completion": "The opposite of hot is cold."},
]
TEXTS = [{"text": "The cat sat on the mat."}, {"text": "A dog ran in the park today."}]


def to_text(row: dict) -> str:
    """A user formatting function, found by its dotted path (test_sft.to_text)."""
    return f"Q: {row['question']}\nA: {row['answer']}"


def trainer_for(data: SFTData, loss_on, tmp_path, collator=None, **args):
    model, tokenizer = tiny_llama(data, **TINY)
    defaults = {
        "output_dir": str(tmp_path / "checkpoints"),
        "report_to": "none",
        "disable_tqdm": True,
        "per_device_train_batch_size": 4,
        "max_length": 256,
        "bf16": None,
        "activation_checkpointing": None,
        "save_strategy": "no",
    }
    splits = data.tokenize(tokenizer)
    trainer = sft_trainer(
        args={**defaults, **args},
        loss_on=loss_on,
        data=data,
        model=model,
        tokenizer=tokenizer,
        train_dataset=splits["train"],
        eval_dataset=splits["eval"],
        data_collator=collator,
    )
    return trainer, tokenizer


def n_tokens(tokenizer, text: str) -> int:
    return len(tokenizer(text, add_special_tokens=False)["input_ids"])


def loss_tokens(trainer) -> list[int]:
    """Per row: tokens whose label is kept (not -100) after trl prepared the data."""
    return [sum(label != -100 for label in row) for row in trainer.train_dataset["labels"]]


def predicted_tokens(trainer) -> int:
    """Tokens the loss sees in a forward pass: labels shifted by one, masked ones dropped."""
    rows = [trainer.train_dataset[i] for i in range(len(trainer.train_dataset))]
    batch = trainer.data_collator(rows)
    with torch.no_grad():
        return int(trainer.model(**batch, fused_lm_head=True).label_mask.sum())


@pytest.fixture
def files(write_rows):
    def _files(rows, name="data.jsonl"):
        return write_rows(name, rows)

    return _files


# Formats -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "kind", "columns"),
    [
        (CHATS, "messages", ["messages"]),
        (PAIRS, "prompt_completion", ["prompt", "completion"]),
        (TEXTS, "text", ["text"]),
    ],
)
def test_the_format_is_read_from_the_columns(files, rows, kind, columns):
    path = files([{**row, "source": "x"} for row in rows])
    data = sft_files(train_files=path, eval_files=path)
    assert data.format == kind
    assert data.splits["train"].column_names == columns  # other columns dropped
    assert len(data.splits["eval"]) == len(rows)
    assert data.tokenize(None) is data.splits  # SFTTrainer tokenizes


def test_demo_chat_is_shipped_conversations():
    data = sft_files(
        train_files=sample_path("demo_chat/train.jsonl"),
        eval_files=sample_path("demo_chat/eval.jsonl"),
    )
    assert data.format == "messages"
    assert (len(data.splits["train"]), len(data.splits["eval"])) == (240, 40)
    texts = list(data.train_texts())
    assert "assistant\nThe capital of France is Paris." in texts


def test_alpaca_rows_become_prompt_and_completion(files):
    rows = [
        {"instruction": "Add the numbers.", "input": "2 and 3", "output": "5"},
        {"instruction": "Name a color.", "input": "", "output": "Blue."},
    ]
    data = sft_files(train_files=files(rows), eval_size=1, formatting="alpaca")
    assert data.format == "prompt_completion"
    with_input = alpaca(rows[0])
    assert with_input["prompt"].endswith(
        "### Instruction:\nAdd the numbers.\n\n### Input:\n2 and 3\n\n### Response:\n"
    )
    assert with_input["completion"] == "5"
    assert "### Input" not in alpaca(rows[1])["prompt"]
    assert sorted([*data.splits["train"]["completion"], *data.splits["eval"]["completion"]]) == [
        "5",
        "Blue.",
    ]


def test_a_user_formatting_function_by_dotted_path(files):
    rows = [{"question": "Sky?", "answer": "Blue."}, {"question": "Grass?", "answer": "Green."}]
    data = sft_files(
        train_files=files(rows), eval_files=files(rows, "eval.jsonl"), formatting="test_sft.to_text"
    )
    assert data.format == "text"
    assert list(data.splits["train"]["text"]) == ["Q: Sky?\nA: Blue.", "Q: Grass?\nA: Green."]


def test_bad_sft_data_fails_with_the_key_or_row(files):
    with pytest.raises(DataError, match=r"columns \['question'\]; SFT data needs 'messages'"):
        sft_files(train_files=files([{"question": "q"}, {"question": "r"}]), eval_size=1)
    no_answer = [{"messages": [{"role": "user", "content": "hi"}]}] * 2
    with pytest.raises(DataError, match="Row 1 of the train split .*'messages' has no assistant"):
        sft_files(train_files=files(no_answer), eval_files=files(no_answer, "e.jsonl"))
    with pytest.raises(ConfigError, match="data.formatting='alpacca' is neither built in"):
        sft_files(train_files=files(PAIRS), formatting="alpacca")
    with pytest.raises(DataError, match=r"formatting=alpaca fails on row 0.*\['text'\].*'instr"):
        sft_files(train_files=files(TEXTS), formatting="alpaca")


# Which tokens carry loss -------------------------------------------------------------------------


def test_prompt_completion_loss_is_on_the_completion_and_eos_only(files, tmp_path):
    data = sft_files(train_files=files(PAIRS), eval_files=files(PAIRS, "eval.jsonl"))
    trainer, tok = trainer_for(data, "auto", tmp_path)
    assert trainer.args.completion_only_loss is True
    expected = [n_tokens(tok, row["completion"]) + 1 for row in PAIRS]  # + the EOS token
    whole = [
        n_tokens(tok, r["prompt"] + r["completion"] + EOS) - n_tokens(tok, r["prompt"])
        for r in PAIRS
    ]
    assert whole == expected  # the prompt ends on a token boundary
    assert loss_tokens(trainer) == expected
    assert predicted_tokens(trainer) == sum(expected)  # the prompt comes first: nothing lost
    first = trainer.train_dataset[0]
    completion = [
        t for t, label in zip(first["input_ids"], first["labels"], strict=True) if label != -100
    ]
    assert tok.decode(completion) == PAIRS[0]["completion"] + EOS

    # trainer.loss_on=null with completion_only_loss=false: every token carries loss
    full, _ = trainer_for(data, None, tmp_path, completion_only_loss=False)
    assert loss_tokens(full) == [n_tokens(tok, r["prompt"] + r["completion"]) + 1 for r in PAIRS]


def test_chat_loss_is_on_the_assistant_turns_only(files, tmp_path):
    data = sft_files(train_files=files(CHATS), eval_files=files(CHATS, "eval.jsonl"))
    trainer, tok = trainer_for(data, "auto", tmp_path)
    assert trainer.args.assistant_only_loss is True
    answers = [[m["content"] for m in row["messages"] if m["role"] == "assistant"] for row in CHATS]
    expected = [sum(n_tokens(tok, text) + 1 for text in row) for row in answers]  # + <|im_end|>
    assert loss_tokens(trainer) == expected
    assert predicted_tokens(trainer) == sum(expected)
    first = trainer.train_dataset[0]
    trained = [
        t for t, label in zip(first["input_ids"], first["labels"], strict=True) if label != -100
    ]
    assert tok.decode(trained) == "".join(text + EOS for text in answers[0])

    # trainer.loss_on=null keeps trl's default for messages: the whole conversation
    full, _ = trainer_for(data, None, tmp_path)
    rendered = [tok.apply_chat_template(row["messages"], tokenize=False) for row in CHATS]
    assert loss_tokens(full) == [n_tokens(tok, text) for text in rendered]


def test_text_loss_is_on_every_token(files, tmp_path):
    data = sft_files(train_files=files(TEXTS), eval_files=files(TEXTS, "eval.jsonl"))
    trainer, tok = trainer_for(data, "auto", tmp_path)
    expected = [n_tokens(tok, row["text"]) + 1 for row in TEXTS]
    assert loss_tokens(trainer) == expected
    assert predicted_tokens(trainer) == sum(expected) - len(TEXTS)  # the first is never predicted


def test_demo_chat_loss_token_count_is_fixed(tmp_path):
    """Regression value: the shipped sample, its tokenizer and the template are deterministic."""
    data = sft_files(
        train_files=sample_path("demo_chat/train.jsonl"),
        eval_files=sample_path("demo_chat/eval.jsonl"),
        max_train_samples=32,
    )
    trainer, tok = trainer_for(data, "auto", tmp_path)
    answers = [
        m["content"]
        for row in data.splits["train"]["messages"]
        for m in row
        if m["role"] == "assistant"
    ]
    assert sum(loss_tokens(trainer)) == sum(n_tokens(tok, a) + 1 for a in answers) == 420


def test_packing_trains_on_cpu_and_keeps_every_loss_token(tmp_path):
    data = sft_files(
        train_files=sample_path("demo_chat/train.jsonl"),
        eval_files=sample_path("demo_chat/eval.jsonl"),
        max_train_samples=64,
        max_eval_samples=8,
    )
    plain, _ = trainer_for(data, "auto", tmp_path)
    packed, _ = trainer_for(
        data,
        "auto",
        tmp_path,
        packing=True,
        max_length=256,
        learning_rate=1e-2,
        max_steps=10,
        logging_steps=1,
        per_device_train_batch_size=2,
    )
    assert packed.padding_free
    assert len(packed.train_dataset) < len(plain.train_dataset)  # rows share blocks
    assert sum(loss_tokens(packed)) == sum(loss_tokens(plain))  # bfd cuts nothing here
    batch = packed.data_collator([packed.train_dataset[0], packed.train_dataset[1]])
    assert "attention_mask" not in batch and batch["input_ids"].shape[0] == 1  # one flat row
    packed.train()
    losses = [entry["loss"] for entry in packed.state.log_history if "loss" in entry]
    assert losses[-1] < losses[0] * 0.8
    # padding-free on CPU: position_ids restart per row and the rows do not attend to each other
    rows = [plain.train_dataset[i] for i in range(2)]
    flat = packed.data_collator(rows)
    model = packed.model.eval()
    with torch.no_grad():
        ids, positions = flat["input_ids"], flat["position_ids"]
        together = model(input_ids=ids, position_ids=positions, use_cache=False).logits[0]
        alone = [model(input_ids=torch.tensor([row["input_ids"]])).logits[0] for row in rows]
    assert torch.allclose(together, torch.cat(alone), atol=1e-5)


# Trainer, device and config ----------------------------------------------------------------------


def test_precision_and_checkpointing_follow_the_device():
    filled = device_defaults({"bf16": None, "activation_checkpointing": None})
    gpu = torch.cuda.is_available()
    assert filled["activation_checkpointing"] is gpu
    assert filled["bf16"] is (gpu and torch.cuda.is_bf16_supported())
    given = {"bf16": False, "activation_checkpointing": True}
    assert device_defaults(given) == given
    assert device_defaults({"gradient_checkpointing": True})["gradient_checkpointing"] is True


def test_collators_that_do_not_fit_are_refused(files, tmp_path):
    from transformers import DataCollatorWithPadding

    from hydratune.config.fits import check_data_fits_trainer
    from hydratune.groups.data import files as data_files

    def demo_classification():
        return data_files(train_files=sample_path("demo_sentiment/train.csv"))

    data = sft_files(train_files=files(TEXTS), eval_files=files(TEXTS, "eval.jsonl"))
    model, tok = tiny_llama(data, **TINY)
    with pytest.raises(ConfigError, match="trainer=sft masks labels itself.*collator=none"):
        trainer_for(data, "auto", tmp_path, DataCollatorWithPadding(tok))
    with pytest.raises(ConfigError, match="trainer=sft needs SFT data"):
        check_data_fits_trainer(compose_config("trainer=sft").trainer, demo_classification())
    with pytest.raises(ConfigError, match="This is SFT data .*: train it with trainer=sft"):
        check_data_fits_trainer(compose_config().trainer, data)


def test_trainer_sft_switches_the_defaults_unless_named():
    cfg = compose_config("trainer=sft")
    assert cfg.trainer._target_ == "hydratune.groups.trainer.sft"
    assert cfg.model._target_ == "hydratune.groups.model.tiny_llama"
    assert cfg.data.train_files.endswith("demo_chat/train.jsonl")
    assert cfg.collator._target_ == "hydratune.groups.collator.none"
    assert cfg.trainer.loss_on == "auto"
    assert cfg.metrics._target_ == "hydratune.groups.metrics.none"
    assert cfg.trainer.args.learning_rate == 5e-3  # tiny_llama's from-scratch rate
    assert cfg.trainer.args.eval_strategy == "epoch"  # shared with trainer=plain
    named = compose_config("trainer=sft", "model=hf", "model.name_or_path=x", "collator=padding")
    assert named.model._target_ == "hydratune.groups.model.hf"
    assert named.collator._target_ == "hydratune.groups.collator.padding"
    assert named.trainer.args.learning_rate == 5e-5  # a checkpoint's fine-tuning rate
    default = compose_config()
    assert default.model._target_ == "hydratune.groups.model.tiny_bert"
    assert default.trainer.args.learning_rate == 1e-3  # tiny_bert's own rate still applies


def test_model_hf_loads_a_causal_lm_for_sft_data(files, tmp_path):
    from transformers import LlamaForCausalLM

    from hydratune.groups.model import hf

    data = sft_files(train_files=files(CHATS), eval_files=files(CHATS, "eval.jsonl"))
    model, tok = tiny_llama(data, **TINY)
    model.save_pretrained(tmp_path / "ckpt")
    tok.save_pretrained(tmp_path / "ckpt")
    loaded, loaded_tok = hf(data, name_or_path=str(tmp_path / "ckpt"))
    assert isinstance(loaded, LlamaForCausalLM)
    assert loaded_tok.chat_template == tok.chat_template
    assert torch.equal(loaded.lm_head.weight, model.lm_head.weight)
    with pytest.raises(ConfigError, match="model.task='seq2seq'"):
        hf(data, name_or_path=str(tmp_path / "ckpt"), task="seq2seq")
