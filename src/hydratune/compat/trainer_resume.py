"""Resuming from a checkpoint where training had already ended.

Written against transformers 5.25. ``Trainer.train(resume_from_checkpoint=...)`` enters the
resumed epoch before it compares ``global_step`` with ``max_steps``: from a final checkpoint
that ends mid-epoch (``max_steps=20``, 6 steps per epoch) it trains step 21 and saves
``checkpoint-21``. A run killed after its last checkpoint (while saving the model or
evaluating) would then report a model one step past its schedule. Remove when Trainer trains
no step when resumed from a checkpoint with ``global_step >= max_steps``.
"""

from __future__ import annotations

import os
from pathlib import Path


def finished_state(checkpoint: Path | None):
    """The checkpoint's ``TrainerState`` when its training had reached ``max_steps``."""
    from transformers import TrainerState

    path = Path(checkpoint) / "trainer_state.json" if checkpoint else None
    if path is None or not path.exists():
        return None
    state = TrainerState.load_from_json(str(path))
    return state if state.max_steps and state.global_step >= state.max_steps else None


def load_finished(trainer, checkpoint: Path, state) -> None:
    """Put the trainer where ``train()`` would have left it: the final (or, with
    ``load_best_model_at_end``, the best) weights and the saved state, without a step."""
    trainer._load_from_checkpoint(str(checkpoint))
    trainer.state = state
    best = state.best_model_checkpoint
    if trainer.args.load_best_model_at_end and best and os.path.isdir(best):
        trainer._load_best_model()
