"""``trainer.args`` fields with a fixed set of values, checked against the library's own list.

TrainingArguments types such fields as ``SomeEnum | str`` (``optim``, ``eval_strategy``,
``lr_scheduler_type``, ``save_strategy``...) or lists the choices in the field's metadata
(``log_level``, SFTConfig's ``loss_type``); it converts them only when the arguments object is
built, after the data and the model have loaded. Reading the choices from the dataclass keeps
the check in step with the installed library.
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
import typing

_SHOWN = 12  # list every choice up to this many; beyond it, the close matches only


def field_choices(field: dataclasses.Field, hint) -> list[str] | None:
    """The values a field accepts, from an Enum arm of its type or its metadata; None: free."""
    arms = typing.get_args(hint) or (hint,)
    enums = [a for a in arms if isinstance(a, type) and issubclass(a, enum.Enum)]
    if enums:
        return [str(member.value) for member in enums[0]]
    choices = field.metadata.get("choices")
    return [str(c) for c in choices] if choices else None


def choice_problems(args: dict, args_class: type) -> list[str]:
    """``trainer.args.<field>=<value>`` for each value outside the field's choices."""
    fields = {f.name: f for f in dataclasses.fields(args_class)}
    hints = typing.get_type_hints(args_class)
    problems = []
    for key, value in args.items():
        if key not in fields or not isinstance(value, str):
            continue  # unknown names and non-strings are the type check's to report
        choices = field_choices(fields[key], hints.get(key))
        if choices and value not in choices:
            problems.append(_problem(key, value, choices, args_class.__name__))
    return problems


def field_choice_problems(args: dict, owner: str, fields: dict) -> list[str]:
    """The same check on fields already read (``ArgField.choices``: the signature cache's)."""
    problems = []
    for key, value in args.items():
        choices = getattr(fields.get(key), "choices", None)
        if choices and isinstance(value, str) and value not in choices:
            problems.append(_problem(key, value, list(choices), owner))
    return problems


def _problem(key: str, value: str, choices: list[str], owner: str) -> str:
    close = difflib.get_close_matches(value, choices, n=3, cutoff=0.5)
    hint = f" Did you mean {close}?" if close else ""
    listed = f" Its choices are {choices}." if len(choices) <= _SHOWN else ""
    return f"trainer.args.{key}={value!r} is not a choice of {owner}.{key}.{hint}{listed}"
