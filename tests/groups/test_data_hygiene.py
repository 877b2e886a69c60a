"""Label sets and file shapes that used to train a wrong task without a word (issue 22)."""

from __future__ import annotations

import json

import pytest

from conftest import compose_config
from hydratune.config.build import build
from hydratune.config.errors import DataError
from hydratune.groups.data import CLASSIFICATION, files


def rows_file(tmp_path, rows, name="t.jsonl") -> str:
    path = tmp_path / name
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return str(path)


def labelled(tmp_path, labels, name="t.jsonl") -> str:
    return rows_file(
        tmp_path, [{"text": f"row {i}", "label": y} for i, y in enumerate(labels)], name
    )


def every_label(data) -> list[int]:
    return data.splits["train"]["labels"][:] + data.splits["eval"]["labels"][:]


def test_ids_counting_from_one_become_contiguous_classes_named_by_their_ids(tmp_path):
    data = files(train_files=labelled(tmp_path, [1, 2, 3, 4, 4]), eval_size=1)
    assert data.label_names == ["1", "2", "3", "4"]  # no empty class 0
    every = sorted(every_label(data))
    assert every == [0, 1, 2, 3, 3]
    assert data.label_config()["id2label"] == {0: "1", 1: "2", 2: "3", 3: "4"}


def test_ids_with_gaps_keep_their_values_as_names(tmp_path):
    train = labelled(tmp_path, [0, 5, 2, 5])
    eval_ = labelled(tmp_path, [5, 0], "e.jsonl")
    data = files(train_files=train, eval_files=eval_)
    assert data.label_names == ["0", "2", "5"]
    assert data.splits["train"]["labels"][:] == [0, 2, 1, 2]
    assert data.splits["eval"]["labels"][:] == [2, 0]


def test_ids_from_zero_are_used_as_they_are(tmp_path):
    data = files(train_files=labelled(tmp_path, [0, 1, 2, 1]), eval_size=1)
    assert data.label_names == ["0", "1", "2"]


def test_label_names_as_a_mapping_name_each_id(tmp_path):
    names = {1: "World", 2: "Sports", 3: "Business", 4: "Sci/Tech"}
    data = files(train_files=labelled(tmp_path, [4, 1, 3, 2]), eval_size=1, label_names=names)
    assert data.label_names == ["World", "Sports", "Business", "Sci/Tech"]
    assert sorted(every_label(data)) == [0, 1, 2, 3]


def test_numeric_label_names_of_a_finished_run_match_ids_by_value(tmp_path):
    """from_run hands the model's names back (["1", "2", ...]): ids 1.. match them by value."""
    data = files(train_files=labelled(tmp_path, [1, 2, 2]), eval_size=1, label_names=["1", "2"])
    every = sorted(every_label(data))
    assert every == [0, 1, 1]


def test_named_label_names_still_index_integer_ids(tmp_path):
    data = files(train_files=labelled(tmp_path, [0, 1, 1]), eval_size=1, label_names=["neg", "pos"])
    assert sorted(every_label(data)) == [0, 1, 1]


def test_agnews_recipe_reads_ids_one_to_four_as_its_four_topics(tmp_path):
    rows = [f'"{i}","title {i}","text {i}"' for i in (1, 2, 3, 4, 3, 2, 1, 4, 2, 3)]
    path = tmp_path / "ag.csv"
    path.write_text("\n".join(rows) + "\n")
    cfg = compose_config("experiment=agnews_minilm", f"data.train_files={path}")
    data = build(cfg.data, kinds=CLASSIFICATION)
    assert data.label_names == ["World", "Sports", "Business", "Sci/Tech"]
    assert data.num_labels == 4
    assert set(every_label(data)) == {0, 1, 2, 3}


def test_given_column_names_replace_a_header_so_repeats_there_are_not_refused(tmp_path):
    path = tmp_path / "noheader.csv"
    path.write_text("a,pos\nb,neg\nc,pos\n")  # a data row: the same words twice are fine
    data = files(
        train_files=str(path), eval_size=1, read_options={"column_names": ["text", "label"]}
    )
    assert data.label_names == ["neg", "pos"]


def test_the_field_option_reads_the_rows_of_a_json_object(tmp_path):
    path = tmp_path / "squad_like.json"
    rows = [{"text": t, "label": y} for t, y in (("good", "pos"), ("bad", "neg"), ("ok", "pos"))]
    path.write_text(json.dumps({"version": "1.1", "data": rows}))
    with pytest.raises(DataError, match="read_options.field=data"):
        files(train_files=str(path), eval_size=1)
    data = files(train_files=str(path), eval_size=1, read_options={"field": "data"})
    assert len(data.splits["train"]) + len(data.splits["eval"]) == 3


def test_distinct_labels_that_only_look_alike_pass(tmp_path):
    data = files(train_files=labelled(tmp_path, ["pos", "neg", "neutral", "pos"]), eval_size=1)
    assert data.label_names == ["neg", "neutral", "pos"]


def test_look_alike_labels_listed_in_label_names_are_kept_apart(tmp_path):
    train = labelled(tmp_path, ["Apple", "apple", "Apple", "apple"])  # a company, a fruit
    data = files(train_files=train, eval_size=1, label_names=["Apple", "apple"])
    assert data.num_labels == 2
