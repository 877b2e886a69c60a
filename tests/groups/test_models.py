"""model group: the offline tiny BERT, loading a local checkpoint, failing fast offline."""

from __future__ import annotations

import time

import pytest
import torch
from transformers import AutoTokenizer

from hydratune.compat.hub import hub_reachable
from hydratune.config.errors import HubUnreachableError
from hydratune.groups.data import files as data_files
from hydratune.groups.model import hf, tiny_bert
from hydratune.groups.model.tokenizers import train_wordpiece
from hydratune.samples import sample_path


@pytest.fixture(scope="module")
def demo():
    return data_files(
        train_files=sample_path("demo_sentiment/train.csv"),
        eval_files=sample_path("demo_sentiment/eval.csv"),
    )


def test_tiny_bert_is_small_and_sized_to_the_labels(demo):
    model, tokenizer = tiny_bert(demo, hidden_size=32, intermediate_size=64)
    assert model.config.num_hidden_layers == 2
    assert model.config.id2label == {0: "negative", 1: "positive"}
    assert model.config.vocab_size == len(tokenizer) <= 2000
    batch = tokenizer(["great food", "awful service"], padding=True, return_tensors="pt")
    assert model(**batch).logits.shape == (2, 2)


def test_wordpiece_tokenizer_is_reproducible_and_bert_shaped():
    texts = ["the cat sat", "the dog ran", "a cat ran fast"] * 5
    first, second = train_wordpiece(texts, 60), train_wordpiece(texts, 60)
    assert first.get_vocab() == second.get_vocab()
    encoded = first("the cat", "cast tan")  # unseen words, known letters
    tokens = first.convert_ids_to_tokens(encoded["input_ids"])
    assert tokens[0] == "[CLS]" and tokens.count("[SEP]") == 2
    assert "[UNK]" not in tokens and "##s" in tokens  # unseen words fall back to pieces
    assert encoded["token_type_ids"][-1] == 1


def test_pretrained_loads_a_local_checkpoint_with_a_head_for_the_data(demo, tmp_path):
    from hydratune.groups.data import ClassificationData

    model, tokenizer = tiny_bert(demo, hidden_size=32, intermediate_size=64)
    model.save_pretrained(tmp_path / "ckpt")
    tokenizer.save_pretrained(tmp_path / "ckpt")
    three_labels = ClassificationData(demo.splits, "text", ["bad", "good", "meh"])
    loaded, loaded_tok = hf(
        three_labels, name_or_path=str(tmp_path / "ckpt"), ignore_mismatched_sizes=True
    )
    assert loaded.config.num_labels == 3
    assert loaded.config.label2id == {"bad": 0, "good": 1, "meh": 2}
    assert loaded_tok.get_vocab() == tokenizer.get_vocab()
    # the encoder weights are the saved ones; only the classifier head is new
    emb = "bert.embeddings.word_embeddings.weight"
    assert torch.equal(loaded.state_dict()[emb], model.state_dict()[emb])


def test_unreachable_hub_id_fails_fast_with_a_clear_message(demo, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens on port 9
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    hub_reachable.cache_clear()
    started = time.monotonic()
    with pytest.raises(HubUnreachableError, match="Hugging Face Hub cannot be reached"):
        hf(demo, name_or_path="some-org/some-model-that-is-not-cached")
    assert time.monotonic() - started < 10
    hub_reachable.cache_clear()


def test_custom_module_trains_saves_and_reloads(run_small):
    from hydratune.groups.model import load_custom

    run_dir, metrics = run_small("logger=none", "model=custom", "trainer.args.num_train_epochs=3")
    model = load_custom(str(run_dir / "model")).eval()
    tokenizer = AutoTokenizer.from_pretrained(run_dir / "model")
    rows = data_files(
        train_files=sample_path("demo_sentiment/train.csv"),
        eval_files=sample_path("demo_sentiment/eval.csv"),
        max_eval_samples=32,
    ).splits["eval"]
    batch = tokenizer(
        list(rows["text"]), padding=True, truncation=True, max_length=64, return_tensors="pt"
    )
    with torch.no_grad():
        predicted = model(**batch).logits.argmax(-1)
    accuracy = (predicted == torch.tensor(rows["labels"])).float().mean().item()
    # the reloaded module reproduces the run's own final evaluation
    assert accuracy == pytest.approx(metrics["eval_accuracy"])
    assert isinstance(model.module, torch.nn.Module)
