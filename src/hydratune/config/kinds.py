"""Task kinds, declared once: the data's kind, the kinds each builder works on, and the trainer
family that trains each kind.

Every data object says its ``kind`` (a :class:`Kind`); every builder, ours or a user's, may say
which kinds it works on with :func:`works_on` (or a ``kinds`` attribute). Fit checks
(:mod:`hydratune.config.fits`) are derived from these declarations, so a user's builder is
checked the same way as ours. A builder that declares nothing works on every kind.
"""

from __future__ import annotations

import inspect
from enum import Enum
from typing import NamedTuple

from hydratune.config.errors import ConfigError

# The config groups a run composes, in the order they are checked (read by validation, fit
# checks and the layout test).
GROUPS = ("model", "data", "collator", "loss", "metrics", "trainer", "peft", "logger", "callbacks",
          "generation")  # fmt: skip


class Kind(str, Enum):
    """What a run trains. A ``str`` enum: ``data.kind == "causal_lm"`` still holds."""

    CLASSIFICATION = "classification"
    MULTILABEL = "multilabel"
    CAUSAL_LM = "causal_lm"  # SFT: chats, prompt/completion, plain text
    SEQ2SEQ = "seq2seq"  # translation, summarization
    TOKEN_CLASSIFICATION = "token_classification"
    REGRESSION = "regression"
    PREFERENCE = "preference"  # prompt, chosen, rejected

    def __str__(self) -> str:
        return self.value


CLASSIFIERS = (Kind.CLASSIFICATION, Kind.MULTILABEL)

# What to use instead when an option does not fit a kind (the fit checks' fix).
FOR_KIND = {
    Kind.CLASSIFICATION: {"collator": "padding", "metrics": "classification", "loss": "default",
                          "model": "tiny_bert or model=hf", "trainer": "plain"},
    Kind.MULTILABEL: {"collator": "padding", "metrics": "multilabel", "loss": "bce",
                      "model": "tiny_bert or model=hf", "trainer": "plain"},
    Kind.CAUSAL_LM: {"collator": "none", "metrics": "none", "loss": "default",
                     "model": "tiny_llama or model=hf with a causal LM", "trainer": "sft"},
    Kind.SEQ2SEQ: {"collator": "seq2seq", "metrics": "generation", "loss": "default",
                   "model": "tiny_t5 or model=hf with an encoder-decoder", "trainer": "seq2seq"},
}  # fmt: skip


def works_on(*kinds):
    """Declare the data kinds a builder works on: ``@works_on("classification")``."""

    def declare(builder):
        builder.kinds = tuple(Kind(kind) for kind in kinds)
        return builder

    return declare


def declared_kinds(builder) -> tuple[Kind, ...] | None:
    """The kinds a builder declares (None: it works on every kind)."""
    kinds = getattr(builder, "kinds", None)
    return tuple(Kind(kind) for kind in kinds) if kinds else None


class Family(NamedTuple):
    """A trainer class's family: its arguments dataclass and the kinds it trains."""

    trainer: str
    arguments: str
    kinds: tuple[Kind, ...]


# Found from the trainer class's MRO, so subclasses inherit both; most specific first.
FAMILIES = (
    Family("trl.SFTTrainer", "trl.SFTConfig", (Kind.CAUSAL_LM,)),
    Family("transformers.Seq2SeqTrainer", "transformers.Seq2SeqTrainingArguments", (Kind.SEQ2SEQ,)),
    Family("transformers.Trainer", "transformers.TrainingArguments", CLASSIFIERS),
)


def trainer_class(path: str) -> type:
    """The class ``trainer.cls`` names; it must be a ``transformers.Trainer``."""
    from hydra.utils import get_class
    from transformers import Trainer

    try:
        found = get_class(path)
    except Exception as err:  # Hydra wraps import errors in several types
        raise ConfigError(f"trainer.cls={path!r} cannot be imported: {err}") from None
    if not issubclass(found, Trainer):
        raise ConfigError(
            f"trainer.cls={path!r} is not a subclass of transformers.Trainer (Seq2SeqTrainer, "
            "trl.SFTTrainer)."
        )
    return found


def family_of(trainer_cls: type) -> Family:
    names = {f"{c.__module__.split('.')[0]}.{c.__name__}" for c in trainer_cls.__mro__}
    return next(family for family in FAMILIES if family.trainer in names)


def arguments_class(trainer_cls: type) -> type:
    """The arguments dataclass of a trainer class (its family's: SFTConfig for SFTTrainer)."""
    from hydra.utils import get_class

    return get_class(family_of(trainer_cls).arguments)


def data_kinds(trainer_cls: type) -> tuple[Kind, ...]:
    """The data kinds a trainer class trains."""
    return family_of(trainer_cls).kinds


def trainer_path(trainer) -> str | None:
    """The trainer class a ``trainer`` node names: its ``cls``, or its builder's default for it;
    None for a user's builder that names no trainer class."""
    from hydra.utils import get_object

    default = inspect.signature(get_object(trainer._target_)).parameters.get("cls")
    path = trainer.get("cls") or (default.default if default else None)
    return path if isinstance(path, str) else None


def trainer_family(trainer) -> Family | None:
    """The one place a ``trainer`` node's family is worked out."""
    path = trainer_path(trainer)
    return family_of(trainer_class(path)) if path else None


def node_data_kinds(trainer) -> tuple[Kind, ...] | None:
    """The data kinds a ``trainer`` config node trains (None: not known)."""
    family = trainer_family(trainer)
    return family.kinds if family else None
