"""Command-line overrides the CLI adjusts before Hydra parses them.

Every field of the trainer's arguments dataclass (TrainingArguments, SFTConfig, a user's
``trainer.cls``'s) is settable as ``trainer.args.<field>=``, as the libraries name them, though
the YAML lists only the common ones. Hydra refuses a key its config lacks unless it is written
``++``; so the CLI writes it so (sweeps too: ``trainer.args.fp16=true,false``), and validation
then checks the names against the dataclass, with close matches for a typo, before anything
loads. Run names and run.json show the overrides as the user typed them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_TRAINER_ARG = re.compile(r"^trainer\.args\.[A-Za-z_][\w.]*=")


def force_trainer_args(argv: Iterable[str]) -> list[str]:
    """``trainer.args.x=v`` -> ``++trainer.args.x=v``; everything else as it is."""
    return [f"++{item}" if _TRAINER_ARG.match(item) else item for item in argv]


def as_typed(overrides: Iterable[str]) -> list[str]:
    """The overrides as the user typed them (``++trainer.args.x=v`` -> ``trainer.args.x=v``):
    both spell the same run, so run names, run.json and resume see one form."""
    return [item[2:] if _TRAINER_ARG.match(item[2:]) else item for item in overrides]
