"""Task kinds declared once: builders say what they work on, and the fit checks follow from
that, for a user's builder exactly as for ours."""

from __future__ import annotations

import json
import sys
import textwrap

import pytest
from omegaconf import OmegaConf, open_dict

from conftest import compose_config
from hydratune.config.errors import HydratuneError
from hydratune.config.kinds import Kind, declared_kinds, node_data_kinds, works_on

USER_MODULE = '''
from hydratune.config.kinds import works_on
from hydratune.groups.data import files
from hydratune.samples import sample_path


@works_on("classification")
def reviews(kinds=None, *, max_train_samples: int = 64):
    """A user's own data option: the shipped reviews through our reader, declared as
    classification data (it takes no ``kinds``: it reads what it reads)."""
    return files(train_files=sample_path("demo_sentiment/train.csv"),
                 eval_files=sample_path("demo_sentiment/eval.csv"),
                 max_train_samples=max_train_samples)


class Rows:
    """A data object of the user's own that does not say its kind: the declaration does."""

    def __init__(self, splits):
        self.splits = splits


@works_on("classification")
def own_rows(*, rows: int = 8):
    from datasets import Dataset

    return Rows({"train": Dataset.from_dict({"text": ["good"] * rows, "label": [1] * rows})})
'''


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    (tmp_path / "kinds_user_data.py").write_text(textwrap.dedent(USER_MODULE))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "kinds_user_data"
    sys.modules.pop("kinds_user_data", None)


def refusal(cfg, run_dir) -> str:
    from hydratune.pipeline import run

    with pytest.raises(HydratuneError) as caught:
        run(cfg, run_dir=run_dir)
    record = json.loads((run_dir / "run.json").read_text())
    assert record["status"] == "failed"
    assert "load_model" not in record.get("timings_s", {})  # refused before the model loads
    assert not (run_dir / "model").exists()
    return str(caught.value)


def with_data(cfg, node: dict):
    with open_dict(cfg):
        cfg.data = OmegaConf.create(node)
    return cfg


def test_a_users_classification_builder_is_refused_by_sft_like_ours(user_module, tmp_path):
    ours = refusal(compose_config("trainer=sft", "data=demo_sentiment"), tmp_path / "ours")
    cfg = with_data(compose_config("trainer=sft"), {"_target_": f"{user_module}.reviews"})
    theirs = refusal(cfg, tmp_path / "theirs")
    assert theirs == ours
    assert "trainer=sft reads SFT data" in theirs and "Train it with trainer=plain" in theirs


def test_a_declared_kind_stands_for_a_data_object_that_says_none(user_module, tmp_path):
    cfg = with_data(compose_config("trainer=sft"), {"_target_": f"{user_module}.own_rows"})
    message = refusal(cfg, tmp_path / "run")
    assert "trainer=sft reads SFT data, and the train split has columns ['text', 'label']" in (
        message
    )


def test_a_users_metrics_builder_declaring_a_kind_is_checked_like_ours(tmp_path, monkeypatch):
    (tmp_path / "kinds_user_metrics.py").write_text(
        "from hydratune.config.kinds import works_on\n\n"
        "@works_on('multilabel')\n"
        "def exact(data=None):\n"
        "    return lambda eval_pred: {}\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    cfg = compose_config()
    with open_dict(cfg):
        cfg.metrics = OmegaConf.create({"_target_": "kinds_user_metrics.exact"})
    message = refusal(cfg, tmp_path / "run")
    assert message.startswith("metrics=kinds_user_metrics.exact works on multilabel data")
    assert "use metrics=classification" in message
    sys.modules.pop("kinds_user_metrics", None)


def test_builders_declare_their_kinds_once():
    from hydratune.groups import collator, loss, metrics, model

    assert declared_kinds(collator.seq2seq) == (Kind.SEQ2SEQ,)
    assert declared_kinds(metrics.multilabel) == (Kind.MULTILABEL,)
    assert declared_kinds(loss.focal) == (Kind.CLASSIFICATION,)
    assert declared_kinds(model.tiny_llama) == (Kind.CAUSAL_LM,)
    assert declared_kinds(model.hf) is None  # any kind: the head follows the data
    assert declared_kinds(works_on("regression")(lambda: None)) == (Kind.REGRESSION,)


def test_one_trainer_family_per_trainer_node():
    assert node_data_kinds(compose_config("trainer=sft").trainer) == (Kind.CAUSAL_LM,)
    assert node_data_kinds(compose_config("trainer=seq2seq").trainer) == (Kind.SEQ2SEQ,)
    assert Kind.CLASSIFICATION in node_data_kinds(compose_config().trainer)
    assert Kind("causal_lm") == "causal_lm"  # a str enum: kinds compare with their names
