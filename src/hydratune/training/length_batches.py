"""Length-aware batches: less padding in training, evaluation and prediction.

With ``train_sampling_strategy=group_by_length`` (conf/trainer/plain.yaml's default) Trainer
groups train batches by length and shuffles the groups. Two things it does not do well here:

- it finds the lengths by reading every row of the dataset once (``len(row["input_ids"])``
  row by row, seconds per 100k rows) because it drops the unused columns, ``length`` included,
  before the sampler sees the data. The lengths are already in the tokenized Arrow table, as
  the offsets of its ``input_ids`` lists, cached with the tokenization: :func:`row_lengths`
  reads them in one vectorised call.
- its eval batches are grouped in shuffled megabatches of a few hundred rows (pad share 0.28
  on SST-2 dev, batch 64). Evaluation order does not change any metric, so eval batches are
  sorted by length outright, longest first (an out-of-memory error then shows at once).
  Under DDP Trainer's own samplers stay: accelerate shards and gathers in their order.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch.utils.data import Sampler
from transformers.trainer_pt_utils import LengthGroupedSampler

GROUPED = "group_by_length"


def row_lengths(dataset, column: str = "input_ids") -> list[int] | None:
    """Tokens per row, from the Arrow list offsets (None: not an Arrow dataset with ``column``)."""
    try:
        import datasets
        import pyarrow.compute as pc
    except ImportError:
        return None
    if not isinstance(dataset, datasets.Dataset) or column not in dataset.column_names:
        return None
    values = dataset.with_format("arrow")[column]  # respects select()/shuffle() indices
    return pc.list_value_length(values).to_pylist()


def longest_first(lengths) -> list[int]:
    """Row indices sorted by length, longest first; ties keep file order (a stable sort)."""
    return sorted(range(len(lengths)), key=lambda i: -lengths[i])


class LongestFirst(Sampler):
    """The rows in :func:`longest_first` order."""

    def __init__(self, lengths: list[int]):
        self.order = longest_first(lengths)

    def __iter__(self) -> Iterator[int]:
        return iter(self.order)

    def __len__(self) -> int:
        return len(self.order)


class LengthAwareBatches:
    """Mixed into the run's trainer class (:func:`length_aware`): Trainer's own samplers, fed
    the cached lengths, and eval batches sorted by length on one process."""

    def _get_train_sampler(self, train_dataset=None):
        dataset = train_dataset if train_dataset is not None else self.train_dataset
        grouped = self.args.train_sampling_strategy == GROUPED
        lengths = row_lengths(dataset, self._length_input()) if grouped else None
        if lengths is None:
            return super()._get_train_sampler(train_dataset)
        batch = self.args.train_batch_size * self.args.gradient_accumulation_steps
        seed = self.args.data_seed if self.args.data_seed is not None else self.args.seed
        return SeededLengthGroupedSampler(batch, lengths, seed)

    def _get_eval_sampler(self, eval_dataset):
        grouped = self.args.train_sampling_strategy == GROUPED
        lengths = row_lengths(eval_dataset, self._length_input()) if grouped else None
        if lengths is None:
            return super()._get_eval_sampler(eval_dataset)
        if self.args.world_size > 1:
            return None  # Trainer's own choice under DDP: accelerate shards in order
        return LongestFirst(lengths)

    def _length_input(self) -> str:
        names = getattr(self.processing_class, "model_input_names", None)
        return names[0] if names else "input_ids"


class SeededLengthGroupedSampler(LengthGroupedSampler):
    """Trainer's LengthGroupedSampler with an order that is a function of (seed, epoch) alone.

    Trainer's own draws each epoch's order from the global torch RNG when the epoch starts; a
    run resumed mid-epoch restores that RNG as it was at the checkpoint, not at the epoch's
    start, so it trained on other batches than the uninterrupted run (eval_loss 0.710 vs 0.697
    after 20 steps). Trainer calls ``set_epoch`` on the sampler before every epoch.
    """

    def __init__(self, batch_size: int, lengths: list[int], seed: int):
        super().__init__(batch_size, lengths=lengths, generator=torch.Generator())
        self.seed = seed
        self.set_epoch(0)

    def set_epoch(self, epoch: int) -> None:
        self.generator.manual_seed(self.seed + epoch)


def length_aware(trainer_cls: type) -> type:
    """``trainer_cls`` with :class:`LengthAwareBatches` mixed in (same name; the user's
    overrides of the samplers, if any, still win as they come first in the MRO)."""
    own = {"_get_train_sampler", "_get_eval_sampler"} & set(_user_overrides(trainer_cls))
    if own:
        return trainer_cls
    namespace = {"__module__": trainer_cls.__module__, "__qualname__": trainer_cls.__qualname__}
    return type(trainer_cls.__name__, (LengthAwareBatches, trainer_cls), namespace)


def _user_overrides(trainer_cls: type) -> set[str]:
    """Methods a class below transformers' and trl's own defines itself."""
    names: set[str] = set()
    for klass in trainer_cls.__mro__:
        if klass.__module__.split(".")[0] in ("transformers", "trl", "builtins"):
            break
        names |= set(vars(klass))
    return names
