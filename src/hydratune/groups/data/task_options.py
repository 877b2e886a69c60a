"""Which ``data`` options each task reads, and the refusal of a set one it does not read.

``data=files`` (and ``data=hub``) takes every task's options (the classifier's columns and
lengths, seq2seq's columns, languages, prefix and lengths); the trainer's task reads its own. An
option another task reads, set to other than its default, would be silently ignored: it is
refused, naming what this task reads instead (SFT's length is ``trainer.args.max_length``).
"""

from __future__ import annotations

import inspect

from hydratune.config.errors import ConfigError
from hydratune.config.kinds import FOR_KIND, Kind
from hydratune.groups.data.classification import classification_splits
from hydratune.groups.data.seq2seq import seq2seq_splits

SHARED = ("eval_size", "seed", "max_train_samples", "max_eval_samples")  # every task's
TASK_BUILDERS = {Kind.CLASSIFICATION: classification_splits, Kind.SEQ2SEQ: seq2seq_splits}
_INSTEAD = {  # (task, option) -> what to set instead
    (Kind.CAUSAL_LM, "max_length"): "SFTTrainer cuts rows at trainer.args.max_length: set that",
    (Kind.CAUSAL_LM, "num_proc"): "SFTTrainer tokenizes with trainer.args.dataset_num_proc: "
    "set that",
    (Kind.SEQ2SEQ, "max_length"): "seq2seq cuts at data.max_source_length / data.max_target_length",
    (Kind.SEQ2SEQ, "text_column"): "seq2seq reads data.source_column / data.target_column",
    (Kind.SEQ2SEQ, "label_column"): "seq2seq reads data.source_column / data.target_column",
}
_READS = {  # what each task reads, for the message
    Kind.CLASSIFICATION: "data.text_column, data.label_column and data.max_length",
    Kind.CAUSAL_LM: "the columns messages, prompt/completion or text (data.formatting maps others)",
    Kind.SEQ2SEQ: "data.source_column / data.target_column (or source_lang / target_lang), "
    "data.source_prefix, data.max_source_length / data.max_target_length",
}


def keyword_options(*builders) -> dict[str, inspect.Parameter]:
    """The YAML options (keyword-only parameters) of ``builders``, the first one's first."""
    found = {}
    for builder in builders:
        for name, param in inspect.signature(builder).parameters.items():
            if param.kind is param.KEYWORD_ONLY:
                found.setdefault(name, param)
    return found


def options_for(builder, options: dict) -> dict:
    """The options ``builder`` takes."""
    return {k: v for k, v in options.items() if k in keyword_options(builder)}


def refuse_unread(task: Kind, options: dict) -> None:
    """Every option set (not its default) that ``task`` does not read, in one message."""
    reads = set(SHARED) if task == Kind.CAUSAL_LM else set(keyword_options(TASK_BUILDERS[task]))
    defaults = keyword_options(*TASK_BUILDERS.values())
    unread = [
        key for key, value in options.items()
        if key not in reads and key in defaults and not _same(value, defaults[key].default)
    ]  # fmt: skip
    if not unread:
        return
    said = "; ".join(_one(task, key, options[key]) for key in unread)
    keys = ", ".join(f"data.{k}" for k in unread)
    raise ConfigError(
        f"trainer={FOR_KIND[task]['trainer']} does not read {keys}: {said}. "
        f"It reads {_READS[task]}. Drop {'them' if len(unread) > 1 else 'it'}, or pick the "
        "trainer whose task reads it."
    )


def _one(task: Kind, key: str, value) -> str:
    instead = _INSTEAD.get((task, key))
    return f"data.{key}={value!r} ({instead})" if instead else f"data.{key}={value!r}"


def _same(value, default) -> bool:
    if hasattr(value, "items") or isinstance(value, list | tuple):
        return False if default is None else list(value) == list(default)
    return value == default
