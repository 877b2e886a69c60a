"""Validation reads builder signatures: every problem at once, values against annotations."""

from __future__ import annotations

from typing import Literal

import pytest

from conftest import compose_config
from hydratune.config.errors import ConfigError
from hydratune.config.validate import validate, value_problem


def my_builder(data, *, size: int = 3, mode: Literal["a", "b"] = "a", names: list[str] = ()):
    """A user's own builder: run-time inputs before *, YAML keys after."""
    return None


def test_every_problem_is_reported_at_once():
    cfg = compose_config(
        "data.max_length=abc", "+data.text_colum=x", "trainer.args.num_train_epochs=many",
        "+trainer.args.learnin_rate=1",
    )  # fmt: skip
    with pytest.raises(ConfigError) as caught:
        validate(cfg)
    message = str(caught.value)
    assert message.startswith("4 problems in the config:")
    assert "data.max_length='abc' must be int or null, not str" in message
    assert "data.text_colum is not a parameter of hydratune.groups.data.files" in message
    assert "Did you mean ['text_column'" in message
    assert "trainer.args.num_train_epochs='many' must be float, not str" in message
    assert "trainer.args.learnin_rate is not a TrainingArguments field" in message


def test_literal_choices_and_required_values():
    with pytest.raises(ConfigError, match="trainer.loss_on='everything' must be one of"):
        validate(compose_config("trainer=sft", "trainer.loss_on=everything"))
    with pytest.raises(ConfigError, match=r"model.name_or_path is required"):
        validate(compose_config("model=hf"))


def test_a_users_own_builder_gets_the_same_checks():
    cfg = compose_config("model._target_=test_validate.my_builder", "~model.vocab_size")
    with pytest.raises(ConfigError) as caught:
        validate(compose_config("+model={_target_: test_validate.my_builder, size: big, mode: c}"))
    assert "model.size='big' must be int, not str" in str(caught.value)
    assert "model.mode='c' must be one of 'a', 'b'" in str(caught.value)
    assert cfg.model._target_ == "test_validate.my_builder"


def test_a_users_trainer_class_gets_the_argument_checks():
    cfg = compose_config("trainer.cls=trl.SFTTrainer", "+trainer.args.max_lenght=5")
    with pytest.raises(ConfigError, match="max_lenght is not a SFTConfig field"):
        validate(cfg)
    with pytest.raises(ConfigError, match="trainer.cls='builtins.dict' is not a subclass"):
        validate(compose_config("trainer.cls=builtins.dict"))


@pytest.mark.parametrize(
    ("value", "hint", "ok"),
    [(3, int, True), (True, int, False), (2, float, True), ("x", int | None, False),
     (None, int | None, True), ([1, 2], list[int], True), (["a"], list[int], False),
     ("auto", list[float] | str, True), ({"a": 1}, dict, True)],
)  # fmt: skip
def test_value_against_annotation(value, hint, ok):
    assert (value_problem(value, hint) is None) is ok
