"""One data=files for every task: the trainer's task decides how the columns are read."""

from __future__ import annotations

import pytest

from conftest import compose_config
from hydratune.config.build import build
from hydratune.config.errors import DataError
from hydratune.groups.data import data_inputs

TURNS = [("user", "hi {}"), ("assistant", "hello {}")]
CHATS = [{"messages": [{"role": r, "content": c.format(i)} for r, c in TURNS]} for i in range(12)]
ALPACA = [{"instruction": f"Add {i} and 1.", "input": "", "output": str(i + 1)} for i in range(12)]


def build_data(*overrides):
    cfg = compose_config(*overrides)
    return build(cfg.data, **data_inputs(cfg.data, cfg.trainer))


def test_sft_reads_chats_and_alpaca_from_data_files(write_rows):
    chats = build_data(
        "trainer=sft", "data=files", f"data.train_files={write_rows('c.jsonl', CHATS)}"
    )
    assert (chats.kind, chats.format) == ("causal_lm", "messages")
    assert chats.loss_flags("auto") == {"completion_only_loss": False, "assistant_only_loss": True}
    alpaca = build_data("trainer=sft", "data=files", "data.formatting=alpaca",
                        f"data.train_files={write_rows('a.json', ALPACA)}")  # fmt: skip
    assert alpaca.format == "prompt_completion"
    assert alpaca.loss_flags("auto")["completion_only_loss"] is True
    alias = build_data(
        "trainer=sft", "data=sft_files", f"data.train_files={write_rows('d.jsonl', CHATS)}"
    )
    assert alias.format == "messages"  # data=sft_files: an alias of data=files


def test_the_same_files_option_reads_classification_for_trainer_plain():
    data = build_data("data=files", "data.train_files=${hydratune.sample:demo_sentiment/train.csv}")
    assert data.kind == "classification" and data.label_names == ["negative", "positive"]


def test_a_file_that_fits_no_format_names_formats_and_columns(write_rows):
    chats = write_rows("c.jsonl", CHATS)
    with pytest.raises(DataError, match=r"columns \['messages'\]: messages data, for SFT\. Train "
                       "it with trainer=sft"):  # fmt: skip
        build_data("data=files", f"data.train_files={chats}")
    odd = write_rows("q.jsonl", [{"question": "q", "answer": "a"}] * 4)
    with pytest.raises(DataError, match=r"columns \['question', 'answer'\]; SFT data needs "
                       "'messages'"):  # fmt: skip
        build_data("trainer=sft", "data=files", f"data.train_files={odd}")
