"""Length-aware batches: lengths from the tokenized Arrow lists, eval batches sorted by length
(metrics unchanged), train batches grouped from those lengths, user samplers left alone."""

from __future__ import annotations

import pytest
from datasets import Dataset
from transformers import DataCollatorWithPadding, Trainer
from transformers.trainer_pt_utils import LengthGroupedSampler

from hydratune.groups.data import files as data_files
from hydratune.groups.model import tiny_bert
from hydratune.groups.trainer import plain
from hydratune.samples import sample_path
from hydratune.training.length_batches import LongestFirst, length_aware, row_lengths
from hydratune.training.throughput import Tally, batch_tokens


def test_row_lengths_come_from_the_arrow_lists_and_follow_select():
    rows = Dataset.from_dict({"input_ids": [[1, 2, 3], [4], [5, 6]], "label": [0, 1, 0]})
    assert row_lengths(rows) == [3, 1, 2]
    assert row_lengths(rows.select([2, 0])) == [2, 3]  # an indices mapping, not the table order
    assert row_lengths(rows.remove_columns("input_ids")) is None  # Trainer's own way then
    assert row_lengths([{"input_ids": [1]}]) is None  # not an Arrow dataset


def test_longest_first_is_a_stable_sort():
    assert list(LongestFirst([2, 5, 2, 7, 5])) == [3, 1, 4, 0, 2]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    data = data_files(
        train_files=sample_path("demo_sentiment/train.csv"),
        eval_files=sample_path("demo_sentiment/eval.csv"),
        max_train_samples=256,
        max_eval_samples=200,
    )
    model, tokenizer = tiny_bert(data, hidden_size=32, intermediate_size=64)
    return data, model, tokenizer, data.tokenize(tokenizer), tmp_path_factory.mktemp("out")


def build(tiny_run, sampling: str):
    data, model, tokenizer, datasets, out = tiny_run
    args = dict(output_dir=str(out), per_device_train_batch_size=16, per_device_eval_batch_size=16,
                train_sampling_strategy=sampling, report_to="none", use_cpu=True)  # fmt: skip
    return plain(data, model, tokenizer, datasets["train"], datasets["eval"],
                 DataCollatorWithPadding(tokenizer), args=args)  # fmt: skip


def pad_share(dataloader) -> float:
    tally = Tally()
    for batch in dataloader:
        tally.add(batch_tokens(batch))
    return tally.pad_share()


def test_eval_batches_sorted_by_length_pad_less_and_score_the_same(tiny_run):
    grouped, shuffled = build(tiny_run, "group_by_length"), build(tiny_run, "random")
    lengths = row_lengths(tiny_run[3]["eval"])
    sampler = grouped._get_eval_sampler(grouped.eval_dataset)
    assert [lengths[i] for i in sampler] == sorted(lengths, reverse=True)
    sorted_pad, file_order_pad = (pad_share(t.get_eval_dataloader()) for t in (grouped, shuffled))
    assert sorted_pad < file_order_pad / 2  # Sequential pads far more
    sorted_metrics, file_order_metrics = grouped.evaluate(), shuffled.evaluate()
    for key in ("eval_loss", "eval_accuracy", "eval_f1", "eval_auroc"):
        if key in file_order_metrics:
            assert sorted_metrics[key] == pytest.approx(file_order_metrics[key], abs=1e-5), key


def test_train_batches_are_grouped_from_the_cached_lengths(tiny_run):
    trainer = build(tiny_run, "group_by_length")
    sampler = trainer._get_train_sampler()
    assert isinstance(sampler, LengthGroupedSampler)
    assert sampler.lengths == row_lengths(tiny_run[3]["train"])
    assert sorted(sampler) == list(range(256))  # every row once per epoch
    shuffled = build(tiny_run, "random")
    assert pad_share(trainer.get_train_dataloader()) < pad_share(shuffled.get_train_dataloader())


def test_a_subclass_with_its_own_sampler_is_left_alone():
    class OwnSampler(Trainer):
        def _get_eval_sampler(self, eval_dataset):
            return None

    assert length_aware(OwnSampler) is OwnSampler
    mixed = length_aware(Trainer)
    assert mixed.__name__ == "Trainer" and issubclass(mixed, Trainer) and mixed is not Trainer
