"""Cache keys computed without pickling: equal for identical work (the second run hits the
cache), different whenever the tokenizer, the settings or the labels' names differ."""

from __future__ import annotations

from dataclasses import replace

from hydratune.groups.data import files as data_files
from hydratune.groups.data.fingerprints import tokenizer_identity
from hydratune.groups.model.tokenizers import train_wordpiece
from hydratune.samples import sample_path


def demo(**options):
    return data_files(train_files=sample_path("demo_sentiment/train.csv"),
                      eval_files=sample_path("demo_sentiment/eval.csv"), **options)  # fmt: skip


def test_identical_work_has_one_key_and_hits_the_cache(tmp_path, monkeypatch):
    texts = list(demo().train_texts())
    tokenizer = train_wordpiece(texts, 300)
    first, second = demo().tokenize(tokenizer), demo().tokenize(train_wordpiece(texts, 300))
    assert first["train"]._fingerprint == second["train"]._fingerprint
    assert first["train"].cache_files == second["train"].cache_files  # read, not recomputed
    assert first["train"]["input_ids"] == second["train"]["input_ids"]


def test_keys_change_with_the_tokenizer_the_settings_and_the_label_names():
    texts = list(demo().train_texts())
    small, large = train_wordpiece(texts, 200), train_wordpiece(texts, 400)
    assert tokenizer_identity(small) != tokenizer_identity(large)
    data = demo()
    base = data.tokenize(small)["train"]._fingerprint
    assert data.tokenize(large)["train"]._fingerprint != base
    assert replace(data, max_length=8).tokenize(small)["train"]._fingerprint != base
    shorter = replace(data, max_length=8).tokenize(small)["train"]
    assert max(len(ids) for ids in shorter["input_ids"]) == 8  # not the cached 128-token rows
    renamed = demo(label_names=["positive", "negative"]).splits["train"]  # other ids
    assert renamed._fingerprint != data.splits["train"]._fingerprint


def test_string_labels_map_to_ids_and_int_labels_are_renamed(write_rows):
    rows = [{"text": f"row {i}", "label": ["b", "a"][i % 2]} for i in range(6)]
    strings = data_files(train_files=write_rows("s.csv", rows), eval_size=2)
    assert strings.label_names == ["a", "b"]
    assert sorted(set(strings.splits["train"]["labels"])) == [0, 1]
    ids = data_files(train_files=write_rows("i.csv", [{**r, "label": i % 2} for i, r in
                                                       enumerate(rows)]), eval_size=2)  # fmt: skip
    assert "label" not in ids.splits["train"].column_names
    assert set(ids.splits["train"]["labels"]) <= {0, 1}
