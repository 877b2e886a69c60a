"""dry_run=true shows the first training example as the tokenizer sees it, in dry_run.json."""

from __future__ import annotations

import json
import unicodedata

from conftest import compose_config
from hydratune.pipeline import run


def letters(text: str) -> str:
    """Lowercase letters and digits without accents: what survives BERT's normalizer."""
    plain = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in plain if c.isalnum() and not unicodedata.combining(c))


def test_classification_example_marks_specials_padding_and_mask(tmp_path):
    run(compose_config("dry_run=true", "logger=none"), run_dir=tmp_path / "d")
    example = json.loads((tmp_path / "d" / "dry_run.json").read_text())["first_example"]
    tokens, special, mask = example["tokens"], example["special"], example["attention_mask"]
    assert (tokens[0], special[0]) == ("[CLS]", 1)
    assert tokens[mask.index(0) - 1] == "[SEP]" if 0 in mask else tokens[-1] == "[SEP]"
    assert example["padding_tokens"] == mask.count(0) == tokens.count("[PAD]")
    assert len(tokens) == len(example["ids"]) == len(mask)
    assert example["label"]["name"] in ("negative", "positive")
    pieces = [t.removeprefix("##") for t, s in zip(tokens, special, strict=True) if not s]
    assert letters("".join(pieces)) == letters(example["text"]["text"])  # this row's text


def test_sft_example_shows_which_tokens_carry_loss(tmp_path, capsys):
    run(compose_config("trainer=sft", "dry_run=true", "logger=none"), run_dir=tmp_path / "d")
    example = json.loads((tmp_path / "d" / "dry_run.json").read_text())["first_example"]
    assert example["format"] == "messages"
    loss = example["loss_mask"]
    assert 0 < sum(loss) == example["tokens_with_loss"] < len(loss)  # assistant turns only
    answer = next(m["content"] for m in example["text"]["messages"] if m["role"] == "assistant")
    assert (
        example["text_with_loss"].startswith(answer) and "<|im_end|>" in example["text_with_loss"]
    )
    assert "<|im_start|>" in example["tokens"]
    assert example["special"][example["tokens"].index("<|im_start|>")] == 1
    assert "carry loss" in capsys.readouterr().out
