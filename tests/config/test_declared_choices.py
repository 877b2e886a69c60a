"""Choice fields and metric names are checked against what the libraries and the metrics
group declare, so the declarations must stay true (issue 22)."""

from __future__ import annotations

import dataclasses
import typing

import numpy as np
import pytest
from transformers import EvalPrediction, TrainingArguments

from conftest import compose_config
from hydratune.config.arg_choices import choice_problems, field_choices
from hydratune.config.metric_keys import declared_keys
from hydratune.config.validate import validate
from hydratune.groups import metrics


def test_every_choice_the_library_lists_is_accepted():
    hints = typing.get_type_hints(TrainingArguments)
    for field in dataclasses.fields(TrainingArguments):
        for choice in field_choices(field, hints[field.name]) or []:
            assert choice_problems({field.name: choice}, TrainingArguments) == [], field.name


def test_free_text_fields_are_not_judged():
    assert choice_problems({"run_name": "anything", "output_dir": "x"}, TrainingArguments) == []


@pytest.mark.parametrize(
    ("builder", "logits", "labels"),
    [
        (metrics.classification, np.random.default_rng(0).normal(size=(8, 3)), np.arange(8) % 3),
        (
            metrics.multilabel,
            np.random.default_rng(0).normal(size=(8, 3)),
            np.eye(3)[np.arange(8) % 3],
        ),
    ],  # fmt: skip
)
def test_metrics_return_exactly_the_keys_they_declare(builder, logits, labels):
    computed = builder()(EvalPrediction(predictions=logits, label_ids=labels))
    assert set(computed) == set(declared_keys(builder))


def test_a_declared_metric_passes_with_or_without_its_eval_prefix():
    for name in ("eval_f1", "f1", "loss", "eval_runtime"):
        validate(compose_config(f"+trainer.args.metric_for_best_model={name}"))


def test_a_users_metrics_builder_without_declarations_is_not_judged():
    validate(
        compose_config(
            "metrics._target_=numpy.mean",
            "~metrics.average",
            "+trainer.args.metric_for_best_model=eval_mine",
        )  # fmt: skip
    )
