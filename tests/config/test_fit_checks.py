"""Config-vs-data checks (fit_checks.py): refused with the fix, before any weights load."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from conftest import MINILM, compose_config
from hydratune.config.build import build
from hydratune.config.errors import ConfigError
from hydratune.config.fits import check_fits
from hydratune.groups.data import data_inputs

SMALL = ["data.max_train_samples=32", "data.max_eval_samples=8"]


def fits(*overrides: str, data=None):
    cfg = compose_config(*SMALL, *overrides)
    check_fits(
        cfg, data if data is not None else build(cfg.data, **data_inputs(cfg.data, cfg.trainer))
    )


def multilabel(data):
    tags = [[float(y), 1.0 - float(y)] for y in data.splits["train"]["labels"]]
    train = data.splits["train"].remove_columns("labels").add_column("labels", tags)
    return replace(data, splits={"train": train, "eval": train}, multi_label=True)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["collator=seq2seq"], "collator=seq2seq works on seq2seq data.*use collator=padding"),
        (["collator=default"], "add data.pad_to_max_length=true, or use collator=padding"),
        (["metrics=multilabel"], "metrics=multilabel works on multilabel data, and this data is "
                                 "classification.*use metrics=classification"),
        (["trainer=sft", "model=tiny_bert"], "model=tiny_bert works on classification or "
                                             "multilabel data.*use model=tiny_llama"),
        (["trainer=sft", "collator=padding"], "collator=padding .* causal_lm.*use collator=none"),
        (["trainer=sft", "metrics=classification"], "use metrics=none"),
        (["trainer=sft", "model=hf", f"model.name_or_path={MINILM}"],
         "is a BertModel \\(bert\\), not a causal language model.*ForCausalLM checkpoint"),
    ],
)  # fmt: skip
def test_a_combination_that_cannot_train_is_refused_with_its_fix(overrides, message):
    with pytest.raises(ConfigError, match=message):
        fits(*overrides)


def test_every_problem_is_listed_at_once():
    with pytest.raises(ConfigError, match="3 problems") as caught:
        fits("collator=seq2seq", "metrics=multilabel", "model=tiny_llama")
    assert "collator=seq2seq" in str(caught.value) and "model=tiny_llama" in str(caught.value)


def test_fitting_combinations_pass(causal_lm_without_template):
    fits()
    fits("collator=default", "data.pad_to_max_length=true")
    fits("trainer=sft")
    fits("trainer=sft", "model=hf", f"model.name_or_path={causal_lm_without_template}")
    labelled = build(compose_config(*SMALL).data)
    fits("metrics=multilabel", "loss=bce", data=multilabel(labelled))
    with pytest.raises(ConfigError, match="metrics=classification works on classification"):
        fits(data=multilabel(labelled))
    with pytest.raises(ConfigError, match="loss=focal works on classification data.*use loss=bce"):
        fits("metrics=multilabel", "loss=focal", data=multilabel(labelled))


def test_the_sft_model_check_reads_only_the_config():
    started = time.perf_counter()
    with pytest.raises(ConfigError, match="not a causal language model"):
        fits("trainer=sft", "model=hf", f"model.name_or_path={MINILM}")
    assert time.perf_counter() - started < 15  # config.json only, no 90 MB of weights


def test_a_tokenizer_without_chat_template_gets_the_chatml_one(causal_lm_without_template):
    from hydratune.groups.model import hf
    from hydratune.groups.model.tokenizers import CHAT_TEMPLATE

    sft = compose_config("trainer=sft", *SMALL)
    data = build(sft.data, **data_inputs(sft.data, sft.trainer))
    _, tokenizer = hf(data, name_or_path=causal_lm_without_template)
    assert tokenizer.chat_template == CHAT_TEMPLATE
    text = tokenizer.apply_chat_template(data.splits["train"][0]["messages"], tokenize=False)
    assert text.startswith("<|im_start|>") and "<|im_start|>assistant\n" in text
    _, own = hf(data, name_or_path=causal_lm_without_template, chat_template="{{ 'x' }}")
    assert own.chat_template == "{{ 'x' }}"  # model.chat_template wins
