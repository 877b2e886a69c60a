"""Issue 12 parts: seq2seq data, the offline tiny T5 and its tokenizer, generation metrics, the
demo_seq2seq sample. Exact values where they are deterministic."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from datasets import Dataset
from transformers import EvalPrediction

from hydratune.config.errors import ConfigError, DataError
from hydratune.groups.data.seq2seq import Seq2SeqData, seq2seq_splits
from hydratune.groups.metrics import GenerationMetrics, generation_scores
from hydratune.groups.model import tiny_t5
from hydratune.groups.model.tokenizers import train_metaspace_bpe
from hydratune.samples import sample_path

PAIRS = [
    {"source": "The big dog sees a cat.", "target": "La vaku grana un mirelo vidas."},
    {"source": "Two boys like the king.", "target": "Du puerój la rexo amas."},
    {"source": "A girl does not call the doctor.", "target": "Un pula la mediko ne vokas."},
    {"source": "The old horse is happy.", "target": "La kavalo veja estas fela."},
]


def pairs_data(**options) -> Seq2SeqData:
    splits = {"train": Dataset.from_list(PAIRS * 3), "eval": Dataset.from_list(PAIRS)}
    return seq2seq_splits(splits, **options)


# Metrics on hand-made pairs ---------------------------------------------------------------------


def test_perfect_predictions_score_100_bleu_and_1_rouge():
    references = ["the cat sat on the mat", "a dog runs in the park today"]
    scores = generation_scores(references, references)
    assert scores == {
        "bleu": 100.0,
        "chrf": 100.0,
        "rouge1": 1.0,
        "rouge2": 1.0,
        "rougeL": 1.0,
        "rougeLsum": 1.0,
        "gen_len": 6.5,
    }


def test_empty_predictions_score_0():
    scores = generation_scores(["", ""], ["the cat sat on the mat", "a dog runs in the park"])
    assert scores == dict.fromkeys(scores, 0.0)
    assert set(scores) == {"bleu", "chrf", "rouge1", "rouge2", "rougeL", "rougeLsum", "gen_len"}


def test_partial_prediction_has_the_hand_computed_scores():
    scores = generation_scores(["the cat sat on the mat"], ["the cat sat on a mat"])
    # n-gram precisions 5/6, 3/5, 2/4, 1/3 (the second "the" is clipped), equal lengths: BP = 1
    assert scores["bleu"] == round(100 * (5 / 6 * 3 / 5 * 2 / 4 * 1 / 3) ** 0.25, 4) == 53.7285
    assert scores["rouge1"] == round(5 / 6, 4)  # 5 of 6 unigrams shared both ways
    assert scores["rouge2"] == 0.6  # 3 of 5 bigrams
    short = generation_scores(["the cat sat"], ["the cat sat on the mat"])
    assert short["rouge1"] == round(2 * 1 * 0.5 / 1.5, 4)  # precision 1, recall 1/2


def test_rouge_stems_and_rougelsum_splits_sentences_on_newlines():
    assert generation_scores(["cats running"], ["cat runs"])["rouge1"] == 1.0
    swapped = generation_scores(["a b c\nd e f"], ["d e f\na b c"])
    assert swapped["rougeL"] == 0.5  # one longest common subsequence over the whole text
    assert swapped["rougeLsum"] == 1.0  # sentence by sentence, every sentence is matched


@pytest.fixture(scope="module")
def tokenizer():
    return train_metaspace_bpe([p["source"] for p in PAIRS] + [p["target"] for p in PAIRS], 300)


def test_compute_metrics_decodes_after_replacing_minus_100(tokenizer):
    references = [p["target"] for p in PAIRS[:3]]
    ids = [tokenizer(text_target=text)["input_ids"] for text in references]  # each ends in </s>
    width = max(map(len, ids)) + 2  # room for the start token and some padding
    pad = tokenizer.pad_token_id
    # Labels padded with -100 (DataCollatorForSeq2Seq); generations start with the decoder
    # start token (pad) and are padded with pad, then with -100 where Trainer joins batches.
    labels = np.array([row + [-100] * (width - len(row)) for row in ids])
    generated = np.array([[pad] + row + [pad] * (width - 1 - len(row)) for row in ids])
    generated[0, -1] = -100
    scores = GenerationMetrics(tokenizer)(EvalPrediction(generated, labels))
    assert scores["bleu"] == 100.0 and scores["rougeL"] == 1.0 and scores["chrf"] == 100.0
    assert scores["gen_len"] == round(np.mean([len(row) for row in ids]), 4)  # tokens + </s>


def test_compute_metrics_keeps_the_decoded_texts_and_refuses_logits(tokenizer):
    metrics = GenerationMetrics(tokenizer)
    labels = np.array([tokenizer(text_target=PAIRS[0]["target"])["input_ids"]])
    empty = np.full_like(labels, tokenizer.pad_token_id)
    scores = metrics(EvalPrediction(empty, labels))
    assert scores["bleu"] == 0.0 and scores["gen_len"] == 0.0
    assert metrics.last == ([""], [PAIRS[0]["target"]], None)
    with pytest.raises(ConfigError, match="predict_with_generate=true"):
        metrics(EvalPrediction(np.zeros((1, 4, 9), dtype=np.float32), labels))


# Seq2SeqData -----------------------------------------------------------------------------------


def test_columns_become_source_and_target():
    splits = {"train": Dataset.from_list([{"en": "Hello.", "es": "Hola.", "id": 1}] * 4)}
    data = seq2seq_splits(splits, source_column="en", target_column="es", eval_size=1)
    assert data.kind == "seq2seq"
    assert {len(split) for split in data.splits.values()} == {3, 1}
    assert data.splits["eval"].column_names == ["source", "target"]
    assert data.splits["eval"][0] == {"source": "Hello.", "target": "Hola."}


def test_translation_dicts_are_picked_by_language():
    rows = [{"translation": {"en": "Good morning.", "ro": "Bună dimineața."}}] * 2
    splits = {"train": Dataset.from_list(rows), "eval": Dataset.from_list(rows)}
    forward = seq2seq_splits(splits, source_lang="en", target_lang="ro")
    assert forward.splits["train"][0] == {"source": "Good morning.", "target": "Bună dimineața."}
    backward = seq2seq_splits(splits, source_lang="ro", target_lang="en")
    assert backward.splits["eval"][0] == {"source": "Bună dimineața.", "target": "Good morning."}
    with pytest.raises(DataError, match=r"translation\['fr'\].*languages \['en', 'ro'\]"):
        seq2seq_splits(splits, source_lang="en", target_lang="fr")
    with pytest.raises(DataError, match="set data.source_lang and data.target_lang"):
        seq2seq_splits(splits)  # no source/target columns, but translation dicts
    with pytest.raises(ConfigError, match="both"):
        seq2seq_splits(splits, source_lang="en")


def test_translation_without_the_language_in_one_row_names_the_row():
    rows = [{"translation": {"en": "One.", "ro": "Unu."}}, {"translation": {"en": "Two."}}]
    with pytest.raises(DataError, match=r"Row 2 of the train split .*translation\['ro'\]"):
        seq2seq_splits({"train": Dataset.from_list(rows * 2)}, source_lang="en", target_lang="ro")


def test_list_cells_join_sources_and_take_the_first_target():
    row = {
        "source": [" First sentence. ", "", "Second sentence."],  # SciTLDR: sentences
        "target": ["The author's TLDR.", "A reviewer's TLDR."],  # several references
    }
    splits = {"train": Dataset.from_list([row] * 2), "eval": Dataset.from_list([row])}
    first = seq2seq_splits(splits).splits["eval"][0]
    assert first == {"source": "First sentence. Second sentence.", "target": "The author's TLDR."}
    joined = seq2seq_splits(splits, target_list="join").splits["eval"][0]
    assert joined["target"] == "The author's TLDR. A reviewer's TLDR."
    splits["eval"] = Dataset.from_list([row, {**row, "source": [" ", ""]}])
    with pytest.raises(DataError, match=r"Row 2 of the eval split .*'source' is empty"):
        seq2seq_splits(splits)


@pytest.mark.parametrize(
    ("split", "row", "column", "value"),
    [
        ("train", 3, "target", ""),
        ("eval", 2, "source", None),
        ("eval", 1, "target", "   "),
    ],
)
def test_empty_or_missing_cells_name_split_row_and_column(split, row, column, value):
    splits = {"train": list(PAIRS), "eval": list(PAIRS)}
    splits[split][row - 1] = {**splits[split][row - 1], column: value}
    datasets = {name: Dataset.from_list(rows) for name, rows in splits.items()}
    expected = rf"Row {row} of the {split} split \(1 = its first data row\): '{column}' is empty"
    with pytest.raises(DataError, match=expected):
        seq2seq_splits(datasets)


def test_missing_column_and_non_text_cells_are_named():
    with pytest.raises(DataError, match=r"Column 'target' not in the train split.*\['source'\]"):
        seq2seq_splits({"train": Dataset.from_list([{"source": "a"}] * 3)})
    rows = [{"source": "a", "target": 1}, {"source": "b", "target": 2}]
    with pytest.raises(DataError, match=r"Row 1 of the train split.*'target' holds 1 \(int\)"):
        seq2seq_splits({"train": Dataset.from_list(rows)})


def test_tokenize_prefixes_sources_and_ends_labels_with_eos(tokenizer):
    data = pairs_data(source_prefix="translate: ")
    tokenized = data.tokenize(tokenizer)
    assert tokenized["eval"].column_names == ["input_ids", "attention_mask", "labels"]
    row = tokenized["eval"][1]
    source = tokenizer("translate: " + PAIRS[1]["source"])["input_ids"]
    assert row["input_ids"] == source and source[-1] == tokenizer.eos_token_id
    assert row["labels"] == tokenizer(text_target=PAIRS[1]["target"])["input_ids"]
    assert row["labels"][-1] == tokenizer.eos_token_id
    assert next(data.train_texts()) == "translate: " + PAIRS[0]["source"]


def test_tokenize_truncates_to_the_lengths_keeping_eos(tokenizer):
    row = pairs_data(max_source_length=5, max_target_length=3).tokenize(tokenizer)["eval"][0]
    assert len(row["input_ids"]) == 5 and len(row["labels"]) == 3
    assert row["labels"][-1] == row["input_ids"][-1] == tokenizer.eos_token_id


def test_tokenize_is_cached_for_an_identical_second_run(tmp_path):
    import datasets

    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps(pair) + "\n" for pair in PAIRS * 3))
    fingerprints = []
    for _ in range(2):
        raw = datasets.load_dataset("json", data_files={"train": str(path)}, split="train")
        data = seq2seq_splits({"train": raw}, eval_size=2, source_prefix="translate: ")
        tokenized = data.tokenize(tiny_t5(data)[1])
        fingerprints.append(tokenized["train"]._fingerprint)
    # Equal fingerprints mean datasets found the first run's cache file instead of re-mapping.
    assert fingerprints[0] == fingerprints[1]
    assert tokenized["train"].cache_files


def test_unlabelled_test_split_and_head():
    splits = {
        "train": Dataset.from_list(PAIRS * 2),
        "eval": Dataset.from_list(PAIRS),
        "test": Dataset.from_list([{"source": p["source"]} for p in PAIRS]),
    }
    data = seq2seq_splits(splits).head(2)
    assert {name: len(split) for name, split in data.splits.items()} == {
        "train": 2,
        "eval": 2,
        "test": 2,
    }
    assert data.splits["test"].column_names == ["source"]


# tiny_t5 and its tokenizer ---------------------------------------------------------------------


def test_tokenizer_ids_and_round_trip(tokenizer):
    assert (tokenizer.pad_token_id, tokenizer.eos_token_id, tokenizer.unk_token_id) == (0, 1, 2)
    ids = tokenizer(PAIRS[1]["target"])["input_ids"]
    assert ids[-1] == 1
    assert tokenizer.decode(ids, skip_special_tokens=True) == PAIRS[1]["target"]


def test_two_builds_give_the_same_tokenizer_here_and_in_a_fresh_process():
    from datasets.fingerprint import Hasher

    data = pairs_data()
    first, second = (tiny_t5(data)[1] for _ in range(2))
    assert first.get_vocab() == second.get_vocab()
    assert Hasher.hash(first) == Hasher.hash(second)  # datasets' cache key for tokenize()
    code = (
        "import json, sys; from datasets import Dataset; from datasets.fingerprint import Hasher;"
        "from hydratune.groups.model.tokenizers import train_metaspace_bpe;"
        "texts = json.loads(sys.argv[1]);"
        "print(Hasher.hash(train_metaspace_bpe(texts, 300)))"
    )
    texts = list(data.train_texts())
    fresh = subprocess.run(
        [sys.executable, "-c", code, json.dumps(texts)], capture_output=True, text=True, check=True
    )
    assert fresh.stdout.strip() == Hasher.hash(train_metaspace_bpe(texts, 300))


def test_tiny_t5_is_sized_from_its_tokenizer_and_generates():
    import torch

    data = pairs_data(max_target_length=12)
    model, tokenizer = tiny_t5(data, d_model=32, d_ff=64, num_layers=1, num_heads=2, d_kv=16)
    config = model.config
    assert config.vocab_size == len(tokenizer) < 2000  # a small corpus: fewer tokens
    assert config.decoder_start_token_id == config.pad_token_id == 0
    assert config.eos_token_id == 1
    assert model.generation_config.max_length == 13  # the target length + the start token
    batch = tokenizer([PAIRS[0]["source"]], return_tensors="pt")
    labels = tokenizer(text_target=[PAIRS[0]["target"]], return_tensors="pt")["input_ids"]
    assert torch.isfinite(model(**batch, labels=labels).loss)
    generated = model.generate(**batch, max_new_tokens=5, do_sample=False)
    assert generated[0, 0] == 0 and generated.shape[1] <= 6


# The shipped sample ----------------------------------------------------------------------------


def test_demo_seq2seq_is_regenerated_byte_for_byte(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "generate", sample_path("demo_seq2seq/generate.py")
    )
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    generate.main(tmp_path)
    for name in ("train.jsonl", "eval.jsonl"):
        shipped = sample_path(f"demo_seq2seq/{name}")
        assert (tmp_path / name).read_bytes() == Path(shipped).read_bytes()


def test_demo_seq2seq_reads_as_seq2seq_data_with_unseen_eval_sources():
    import datasets

    splits = {
        name: datasets.load_dataset(
            "json", data_files={name: sample_path(f"demo_seq2seq/{name}.jsonl")}, split=name
        )
        for name in ("train", "eval")
    }
    data = seq2seq_splits(splits)
    assert (len(data.splits["train"]), len(data.splits["eval"])) == (500, 60)
    assert not set(data.splits["train"]["source"]) & set(data.splits["eval"]["source"])
