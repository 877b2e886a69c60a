"""run.json / metrics.json writing: atomic, valid JSON, no secrets."""

from __future__ import annotations

import json

import pytest

from hydratune.run.record import write_json
from hydratune.run.redact import is_secret_key, redact, redact_overrides


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("hub_token", True),
        ("WANDB_API_KEY", True),
        ("secret", True),
        ("db-password", True),
        ("tokenizer_name_or_path", False),
        ("max_new_tokens", False),
        ("monkey", False),
        ("pad_token_id", False),
        ("pad_token", False),
        ("eos_token", False),
        ("mask_token", False),
        ("num_key_value_heads", False),
        ("token_type_ids", False),
        ("hf_token", True),
        ("HF_TOKEN", True),
        ("access_token", True),
        ("api_key", True),
        ("key", True),
        ("authorization", True),
        ("logger.wandb_api", True),
    ],  # fmt: skip
)
def test_secret_keys_by_their_meaning(key, secret):
    assert is_secret_key(key) is secret


def test_redact_replaces_only_secret_values():
    config = {
        "model": {"tokenizer_name_or_path": "x", "pad_token": "<pad>", "pad_token_id": 0},
        "logger": {"api_key": "abc"},
        "trainer": {"args": {"hub_token": "hf_abc", "eos_token": "</s>"}},
    }
    assert redact(config) == {
        "model": {"tokenizer_name_or_path": "x", "pad_token": "<pad>", "pad_token_id": 0},
        "logger": {"api_key": "<redacted>"},
        "trainer": {"args": {"hub_token": "<redacted>", "eos_token": "</s>"}},
    }
    assert redact_overrides(["+model.pad_token=<pad>", "+trainer.args.hub_token=x"]) == [
        "+model.pad_token=<pad>",
        "+trainer.args.hub_token=<redacted>",
    ]
    assert redact_overrides(["seed=1", "+logger.api_key=abc"]) == [
        "seed=1",
        "+logger.api_key=<redacted>",
    ]


def test_write_json_is_atomic_and_standard(tmp_path):
    path = tmp_path / "metrics.json"
    write_json(path, {"eval_auroc": float("nan"), "eval_loss": 0.5})
    assert json.loads(path.read_text()) == {"eval_auroc": None, "eval_loss": 0.5}
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]  # no temp file left
