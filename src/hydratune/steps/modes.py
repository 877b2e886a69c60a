"""What a run does: ``trainer.args.do_train / do_eval / do_predict``.

They are TrainingArguments' own fields, the seed tutorial's habit; Trainer itself ignores them
("for scripts"), so the pipeline honours them here. ``do_eval: null`` means: evaluate when
there is an eval split.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from datasets import DatasetDict

from hydratune.config.errors import ConfigError
from hydratune.config.kinds import Kind


@dataclass(frozen=True)
class Modes:
    train: bool
    eval: bool
    predict: bool

    @property
    def name(self) -> str:
        """``train+evaluate``, ``evaluate``, ``predict``...: run.json's ``mode``."""
        done = [n for n, on in (("train", self.train), ("evaluate", self.eval),
                                ("predict", self.predict)) if on]  # fmt: skip
        return "+".join(done)


def run_modes(args, data) -> Modes:
    """The modes ``trainer.args`` ask for, checked against the splits the data has."""
    do_eval = args.get("do_eval")
    modes = Modes(
        train=bool(args.get("do_train", True)),
        eval="eval" in data.splits if do_eval is None else bool(do_eval),
        predict=bool(args.get("do_predict", False)),
    )
    if modes.train and "train" not in data.splits:
        raise ConfigError(
            "trainer.args.do_train=true needs a train split: set data.train_files (or "
            "trainer.args.do_train=false to evaluate or predict only)."
        )
    if not (modes.train or modes.eval or modes.predict):
        raise ConfigError(
            "trainer.args.do_train, do_eval and do_predict are all false: nothing to do."
        )
    if modes.predict and "test" not in data.splits:
        raise ConfigError(
            "trainer.args.do_predict=true needs a test split: set data.test_files=<file> "
            "(labelled or not)."
        )
    if modes.eval and "eval" not in data.splits:
        raise ConfigError("trainer.args.do_eval=true needs an eval split: set data.eval_files.")
    return modes


def as_args(modes: Modes) -> dict:
    """The resolved flags, for TrainingArguments (``do_eval`` null is not a bool). A run that
    does not train evaluates once, when asked: no eval or save schedule (Trainer refuses an
    eval schedule without an eval split, which a predict-only run may not read)."""
    flags = {"do_train": modes.train, "do_eval": modes.eval, "do_predict": modes.predict}
    if not modes.train:
        flags.update(eval_strategy="no", save_strategy="no", load_best_model_at_end=False)
    return flags


def splits_to_tokenize(data, modes: Modes):
    """The data with only the splits this run feeds the Trainer: no train split without
    training; the test split streams through :mod:`hydratune.steps.predict` when predicting."""
    keep = {name: data.splits[name] for name in data.splits if _needed(name, modes, data)}
    if not modes.train and data.kind == Kind.CAUSAL_LM:  # SFTTrainer refuses to exist without
        keep["train"] = placeholder_row(data)  # one: it gets one row
    return replace(data, splits=DatasetDict(keep))


def _needed(split: str, modes: Modes, data) -> bool:
    if split == "train":
        return modes.train
    if split == "test":  # test_* metrics without predictions need labels
        labelled = data.kind == Kind.CAUSAL_LM or "labels" in data.splits[split].column_names
        return modes.eval and not modes.predict and labelled
    return True  # eval: Trainer refuses eval_strategy != "no" without an eval dataset


def placeholder_row(data):
    """One row for an SFTTrainer that will not train: the first train row, else one made in the
    data's format (eval and test rows may be unlabelled prompts SFTTrainer cannot prepare)."""
    from datasets import Dataset

    if "train" in data.splits:
        return data.splits["train"].select(range(1))
    row = {
        "messages": {"messages": [{"role": "user", "content": "hi"},
                                  {"role": "assistant", "content": "hi"}]},
        "prompt_completion": {"prompt": "hi", "completion": "hi"},
        "text": {"text": "hi"},
    }[data.format]  # fmt: skip
    return Dataset.from_list([row])
