"""Honest throughput: real (non-pad) tokens per second and the pad share of the batches.

Trainer reports samples per second, which hides how much of every batch is padding. The
collator is the one place every batch passes through (train and eval, ours or the trainer's
own), so :class:`CountingCollator` counts each batch's real and padded tokens there, and
:class:`TokenCounter` (a callback) books them to training or evaluation by the step that
consumes them: ``on_step_begin`` follows the train batches of one optimizer step,
``on_prediction_step`` follows each eval batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from transformers import TrainerCallback


@dataclass
class Tally:
    real: int = 0  # tokens that are not padding
    total: int = 0  # tokens in the padded batches

    def add(self, other: Tally) -> None:
        self.real += other.real
        self.total += other.total

    def pad_share(self) -> float:
        return round(1 - self.real / self.total, 4) if self.total else 0.0


def batch_tokens(batch, with_targets: bool = False) -> Tally:
    """Real and total tokens of one collated batch: the attention mask marks real tokens;
    a batch without one (packed, padding-free rows) is all real. ``with_targets`` (seq2seq,
    whose targets are a sequence of their own) adds the target tokens: labels other than -100."""
    ids = batch.get("input_ids")
    if ids is None:
        return Tally()
    mask = batch.get("attention_mask")
    tally = Tally(int(mask.sum()) if mask is not None else ids.numel(), ids.numel())
    labels = batch.get("labels")
    if with_targets and labels is not None:
        tally.add(Tally(int((labels != -100).sum()), labels.numel()))
    return tally


@dataclass
class TokenCounter(TrainerCallback):
    """Counts real and padded tokens for training and for the latest evaluation."""

    with_targets: bool = False
    train: Tally = field(default_factory=Tally)
    eval: Tally = field(default_factory=Tally)
    pending: Tally = field(default_factory=Tally)
    pending_batches: int = 0
    latest: Tally = field(default_factory=Tally)  # the batch collated last
    ahead: Tally = field(default_factory=Tally)  # booked to train before its step

    def collated(self, batch) -> None:
        self.latest = batch_tokens(batch, self.with_targets)
        self.pending.add(self.latest)
        self.pending_batches += 1

    def on_step_begin(self, args, state, control, **kwargs):
        # accelerate's loader collates one batch ahead: more batches than a step takes means
        # the newest is the next step's (what a checkpoint saved now has not trained on)
        accumulation = getattr(args, "gradient_accumulation_steps", 1)
        self.ahead = self.latest if self.pending_batches > accumulation else Tally()
        self._book(self.train)

    def on_prediction_step(self, args, state, control, **kwargs):
        self._book(self.eval)

    def _book(self, tally: Tally) -> None:
        tally.add(self.pending)
        self.pending, self.pending_batches = Tally(), 0

    def trained(self) -> Tally:
        """Train tokens of the steps taken so far (without the batch collated ahead)."""
        return Tally(self.train.real - self.ahead.real, self.train.total - self.ahead.total)

    def start_eval(self) -> None:
        self.eval, self.pending, self.pending_batches = Tally(), Tally(), 0

    def metrics(self, prefix: str, runtime: float | None) -> dict:
        """``<prefix>_real_tokens_per_second`` and ``<prefix>_pad_share``."""
        tally = self.train if prefix == "train" else self.eval
        if not tally.total:
            return {}
        speed = round(tally.real / runtime, 2) if runtime else None
        return {
            f"{prefix}_real_tokens": tally.real,
            f"{prefix}_real_tokens_per_second": speed,
            f"{prefix}_pad_share": tally.pad_share(),
        }


class CountingCollator:
    """Wraps a collator; tells the counter about every batch it builds."""

    def __init__(self, collator, counter: TokenCounter):
        self.collator = collator
        self.counter = counter

    def __call__(self, rows):
        batch = self.collator(rows)
        self.counter.collated(batch)
        return batch


def count_tokens(trainer, with_targets: bool = False) -> TokenCounter:
    """Attach a counter to a built trainer: its collator and its callbacks."""
    counter = TokenCounter(with_targets)
    trainer.data_collator = CountingCollator(trainer.data_collator, counter)
    trainer.add_callback(counter)
    return counter
