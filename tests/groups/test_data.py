"""data group: reading each file format, labels to ids, splits, clear errors, cached tokenize."""

from __future__ import annotations

import pytest

from hydratune.config.errors import DataError
from hydratune.groups.data import files as data_files
from hydratune.groups.model.tokenizers import train_wordpiece

ROWS = [
    {"text": "loved every minute of it", "label": "positive"},
    {"text": "a dull and tiring slog", "label": "negative"},
    {"text": "the staff were wonderful", "label": "positive"},
    {"text": "it broke after a week", "label": "negative"},
    {"text": "solid, would buy again", "label": "positive"},
    {"text": "never ordering here again", "label": "negative"},
]


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".json", ".jsonl", ".parquet"])
def test_every_format_reads_the_same_rows(write_rows, suffix):
    data = data_files(
        train_files=write_rows(f"train{suffix}", ROWS),
        eval_files=write_rows(f"eval{suffix}", ROWS[:2]),
    )
    assert data.splits["train"]["text"] == [r["text"] for r in ROWS]
    assert data.splits["eval"]["labels"] == [1, 0]


def test_string_labels_map_to_sorted_ids_and_reach_the_label_config(write_rows):
    names = ["zebra", "ant", "moth", "ant"]
    rows = [{"text": f"t{i}", "label": name} for i, name in enumerate(names)]
    data = data_files(
        train_files=write_rows("train.csv", rows), eval_files=write_rows("eval.csv", rows)
    )
    assert data.label_names == ["ant", "moth", "zebra"]
    assert data.splits["train"]["labels"] == [2, 0, 1, 0]
    assert data.label_config()["id2label"] == {0: "ant", 1: "moth", 2: "zebra"}
    assert data.label_config()["label2id"]["zebra"] == 2


def test_integer_labels_keep_their_ids(write_rows):
    rows = [{"text": f"row {i}", "label": i % 3} for i in range(6)]
    data = data_files(
        train_files=write_rows("train.jsonl", rows), eval_files=write_rows("eval.jsonl", rows[:3])
    )
    assert data.label_names == ["0", "1", "2"]
    assert data.splits["eval"]["labels"] == [0, 1, 2]


def test_no_eval_file_splits_with_the_seed(write_rows):
    rows = [{"text": f"row {i}", "label": i % 2} for i in range(40)]
    path = write_rows("train.csv", rows)
    first = data_files(train_files=path, eval_size=0.25, seed=7)
    again = data_files(train_files=path, eval_size=0.25, seed=7)
    other = data_files(train_files=path, eval_size=0.25, seed=8)
    assert len(first.splits["eval"]) == 10 and len(first.splits["train"]) == 30
    assert first.splits["eval"]["text"] == again.splits["eval"]["text"]
    assert first.splits["eval"]["text"] != other.splits["eval"]["text"]
    assert not set(first.splits["eval"]["text"]) & set(first.splits["train"]["text"])


def test_max_samples_take_the_first_rows(write_rows):
    data = data_files(
        train_files=write_rows("train.csv", ROWS),
        eval_files=write_rows("eval.csv", ROWS),
        max_train_samples=4,
        max_eval_samples=1,
    )
    assert data.splits["train"]["text"] == [r["text"] for r in ROWS[:4]]
    assert len(data.splits["eval"]) == 1


def test_test_split_is_kept_when_labelled(write_rows):
    data = data_files(
        train_files=write_rows("train.csv", ROWS),
        eval_files=write_rows("eval.csv", ROWS),
        test_files=write_rows("test.csv", ROWS[:3]),
    )
    assert data.splits["test"]["labels"] == [1, 0, 1]


@pytest.mark.parametrize(
    ("rows", "kwargs", "message"),
    [
        (
            ROWS,
            {"text_column": "sentence"},
            "Column 'sentence' not in the train split; its columns are ['text', 'label']",
        ),
        (ROWS, {"label_column": "target"}, "Label column 'target' not in the train split"),
        ([{"text": "a", "label": 0.5}, {"text": "b", "label": 1.5}], {}, "holds ['float'] values"),
        (
            [{"text": "a", "label": "x"}, {"text": "b", "label": None}],
            {},
            "empty at row 2 of the train split",
        ),
    ],
)
def test_bad_data_is_named(write_rows, rows, kwargs, message):
    with pytest.raises(DataError, match=message.replace("[", r"\[").replace("]", r"\]")):
        data_files(
            train_files=write_rows("train.jsonl", rows),
            eval_files=write_rows("eval.jsonl", ROWS),
            **kwargs,
        )


def test_eval_label_unknown_to_train_is_an_error(write_rows):
    bad_eval = [{"text": "fine", "label": "positive"}, {"text": "meh", "label": "neutral"}]
    with pytest.raises(DataError, match=r"'neutral' at row 2 of .*eval.csv \(data.eval_files"):
        data_files(
            train_files=write_rows("train.csv", ROWS), eval_files=write_rows("eval.csv", bad_eval)
        )


def test_missing_file_and_empty_file(write_rows, tmp_path):
    with pytest.raises(DataError, match="data.train_files: file not found: .*nope.csv"):
        data_files(train_files=str(tmp_path / "nope.csv"))
    empty = tmp_path / "empty.csv"
    empty.write_text("text,label\n")
    with pytest.raises(DataError, match="train split is empty"):
        data_files(train_files=str(empty), eval_files=write_rows("eval.csv", ROWS))


def test_tokenize_is_cached_for_an_identical_second_run(write_rows):
    train, dev = write_rows("train.csv", ROWS), write_rows("eval.csv", ROWS)
    fingerprints = []
    for _ in range(2):
        data = data_files(train_files=train, eval_files=dev, max_length=8)
        tokenizer = train_wordpiece(data.train_texts(), vocab_size=200)
        tokenized = data.tokenize(tokenizer)
        fingerprints.append(tokenized["train"]._fingerprint)
        assert tokenized["train"].column_names == [
            "labels",
            "input_ids",
            "token_type_ids",
            "attention_mask",
        ]
        assert max(len(ids) for ids in tokenized["train"]["input_ids"]) <= 8
    # Equal fingerprints mean datasets found the first run's cache file instead of re-mapping.
    assert fingerprints[0] == fingerprints[1]
    assert tokenized["train"].cache_files
