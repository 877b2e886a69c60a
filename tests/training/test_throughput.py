"""Real (non-pad) tokens per second and the pad share, counted where batches are built."""

from __future__ import annotations

import json

import torch

from hydratune.training.throughput import Tally, TokenCounter, batch_tokens


def test_a_hand_made_batch_counts_its_real_and_padded_tokens():
    batch = {
        "input_ids": torch.tensor([[5, 6, 7, 0], [8, 9, 0, 0], [4, 0, 0, 0]]),
        "attention_mask": torch.tensor([[1, 1, 1, 0], [1, 1, 0, 0], [1, 0, 0, 0]]),
        "labels": torch.tensor([[3, 4, -100], [5, -100, -100], [6, 7, 8]]),
    }
    assert batch_tokens(batch) == Tally(real=6, total=12)
    assert batch_tokens(batch).pad_share() == 0.5
    assert batch_tokens(batch, with_targets=True) == Tally(real=6 + 6, total=12 + 9)
    packed = {"input_ids": torch.ones(1, 10, dtype=torch.long), "position_ids": torch.ones(1, 10)}
    assert batch_tokens(packed) == Tally(10, 10)  # padding-free rows: every token is real


def test_batches_are_booked_to_the_step_that_consumes_them():
    counter = TokenCounter()
    train_batch = {
        "input_ids": torch.zeros(2, 4),
        "attention_mask": torch.tensor([[1] * 4, [1, 1, 0, 0]]),
    }
    eval_batch = {"input_ids": torch.zeros(1, 3), "attention_mask": torch.tensor([[1, 1, 1]])}
    counter.collated(train_batch)
    counter.on_step_begin(None, None, None)
    counter.collated(eval_batch)
    counter.on_prediction_step(None, None, None)
    assert counter.train == Tally(6, 8) and counter.eval == Tally(3, 3)
    assert counter.metrics("train", 2.0) == {
        "train_real_tokens": 6, "train_real_tokens_per_second": 3.0, "train_pad_share": 0.25,
    }  # fmt: skip


def test_every_run_reports_real_tokens_and_pad_share(run_small):
    run_dir, metrics = run_small("logger=none")
    for split in ("train", "eval"):
        assert metrics[f"{split}_real_tokens_per_second"] > 0
        assert 0 <= metrics[f"{split}_pad_share"] < 1
    # the eval split's real tokens are exactly its attention masks' sum, once per final eval
    assert metrics["eval_real_tokens"] > 0
    assert (
        json.loads((run_dir / "metrics.json").read_text())["train_pad_share"]
        == metrics["train_pad_share"]
    )
