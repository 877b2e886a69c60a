"""Check the composed config before anything expensive runs, and report every problem at once.

Each group node is checked against its builder's signature (the torchtune way: the function is
the schema). Parameters before ``*`` are run-time inputs the pipeline passes (data, model,
tokenizer...); keyword-only parameters are the YAML keys, each value checked against its
annotation (int, float, bool, str, lists, dicts, ``Literal`` choices, ``None``). A user's own
builder gets the same checks; one without keyword-only parameters takes all its named ones from
YAML. ``trainer.args`` is checked against the arguments dataclass of ``trainer.cls`` (a user's
Trainer subclass too), and a few values no library checks early (accumulation steps, learning
rate, seed); GPU-only settings on a machine without one: :mod:`hydratune.config.device`.
"""

from __future__ import annotations

import dataclasses
import difflib
import inspect
import numbers
import typing
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from omegaconf import DictConfig, OmegaConf

from hydratune.config.arg_choices import field_choice_problems, field_choices
from hydratune.config.device import device_problems
from hydratune.config.errors import ConfigError
from hydratune.config.kinds import GROUPS
from hydratune.config.metric_keys import metric_name_problems
from hydratune.config.nodes import locate
from hydratune.config.ranges import AT_LEAST_ONE, NON_NEGATIVE, POSITIVE, Range, range_problem
from hydratune.config.renamed import renamed_message

ARG_RANGES = {  # TrainingArguments values that fail late, or silently, when out of range
    "gradient_accumulation_steps": POSITIVE, "per_device_train_batch_size": POSITIVE,
    "per_device_eval_batch_size": POSITIVE, "learning_rate": POSITIVE,
    "num_train_epochs": NON_NEGATIVE, "weight_decay": NON_NEGATIVE, "warmup_steps": NON_NEGATIVE,
    "max_grad_norm": NON_NEGATIVE, "logging_steps": POSITIVE, "save_steps": POSITIVE,
    "eval_steps": POSITIVE, "save_total_limit": AT_LEAST_ONE,
    "dataloader_num_workers": NON_NEGATIVE, "label_smoothing_factor": Range(ge=0, lt=1),
    # token limits: 0 would cut every row to nothing (null = no limit where the field allows it)
    "max_length": AT_LEAST_ONE, "generation_max_length": AT_LEAST_ONE,
    "generation_num_beams": AT_LEAST_ONE,
}  # fmt: skip
_UnionType = type(int | None)


class Spec(NamedTuple):
    """What validation reads of a builder: its YAML parameters (None: it takes any key), their
    annotations, and the trainer class it defaults to (``cls``), if any."""

    known: dict[str, inspect.Parameter] | None
    hints: dict
    cls: str | None = None


class ArgField(NamedTuple):
    """What validation reads of an arguments dataclass field: the plain types it takes and the
    flag value argparse accepts for it (``const``)."""

    types: tuple[type, ...]
    const: object = None
    choices: tuple[str, ...] | None = None  # the library's own list (an Enum arm or metadata)


class Live:
    """Signatures read from the imported builders and arguments classes (the slow path:
    importing them imports torch and transformers); :mod:`hydratune.config.early` caches them."""

    def builder(self, target: str) -> Spec:
        builder = locate(target)
        params = inspect.signature(builder).parameters
        cls = params["cls"].default if "cls" in params else None
        return Spec(
            yaml_parameters(builder), _type_hints(builder), cls if isinstance(cls, str) else None
        )

    def arguments(self, trainer: DictConfig) -> tuple[str, dict[str, ArgField]] | None:
        args_class = trainer_arguments_class(trainer)
        return None if args_class is None else (args_class.__name__, argument_fields(args_class))


LIVE = Live()


def validate(cfg: DictConfig, lookup=LIVE) -> DictConfig:
    """Raise one :class:`ConfigError` listing every problem found in ``cfg``."""
    problems = seed_problems(cfg.get("seed"))
    for group in GROUPS:
        if group in cfg and cfg[group] is not None:
            problems += node_problems(cfg[group], group, lookup)
    problems += trainer_args_problems(cfg.trainer, lookup)
    problems += metric_name_problems(cfg) + predict_problems(cfg.get("predict"))
    problems += device_problems(cfg)  # GPU-only settings on this machine
    raise_all(problems)
    return cfg


def raise_all(problems: list[str]) -> None:
    problems = list(dict.fromkeys(problems))  # a missing ??? key is found by two checks
    if len(problems) == 1:
        raise ConfigError(problems[0])
    if problems:
        listed = "\n".join(f"  - {problem}" for problem in problems)
        raise ConfigError(f"{len(problems)} problems in the config:\n{listed}")


def seed_problems(seed) -> list[str]:
    if not isinstance(seed, int) or isinstance(seed, bool):
        return [f"seed={seed!r} must be an integer, e.g. seed=42."]
    if not 0 <= seed < 2**32:  # numpy's seeds; set_seed(-1) fails after the data loads
        return [f"seed={seed} must be between 0 and 2**32 - 1, e.g. seed=42."]
    return []


def predict_problems(predict) -> list[str]:
    """``predict.*`` has no builder to read ranges from: sizes that would produce nothing."""
    return [
        f"predict.{key}={value} must be at least 1: set it to 1 or more."
        for key, value in (predict or {}).items()
        if key in ("batch_rows", "max_new_tokens") and isinstance(value, int) and value < 1
    ]


def yaml_parameters(builder) -> dict[str, inspect.Parameter] | None:
    """The parameters a builder takes from YAML (None: it takes any key)."""
    params = inspect.signature(builder).parameters
    if any(p.kind == p.VAR_KEYWORD for p in params.values()):
        return None
    keyword_only = {n: p for n, p in params.items() if p.kind == p.KEYWORD_ONLY}
    if keyword_only:
        return keyword_only
    return {n: p for n, p in params.items() if p.kind != p.VAR_POSITIONAL}


def node_problems(node: DictConfig, group: str, lookup=LIVE) -> list[str]:
    """Every key of a group's node must be a YAML parameter of its builder, of the right type."""
    target = node.get("_target_")
    if not target:
        return []
    try:
        known, hints, _ = lookup.builder(target)
    except ConfigError as err:
        return [f"{group}._target_: {err}"]
    if known is None:
        return []
    problems = []
    for key in node:
        if key.startswith("_") and key.endswith("_"):
            continue  # Hydra's own keys (_target_, _partial_, _recursive_)
        if key not in known:
            problems.append(
                f"{group}.{key} is not a parameter of {target}.{_close(key, known)} "
                f"Its parameters are {sorted(known)}."
            )
        elif OmegaConf.is_missing(node, key):
            problems.append(f"{group}.{key} is required: set {group}.{key}=<value>.")
        else:
            value = OmegaConf.to_container(node, resolve=True)[key]
            problem = value_problem(value, hints.get(key)) or range_problem(value, hints.get(key))
            if problem:
                problems.append(f"{group}.{key}={value!r} {problem}.")
    problems += [
        f"{group}.{name} is required: set {group}.{name}=<value>."
        for name, param in known.items()
        if param.kind == param.KEYWORD_ONLY and param.default is param.empty and name not in node
    ]
    return problems


def value_problem(value, hint) -> str | None:
    """Why ``value`` does not fit the annotation ``hint`` (None when it does or cannot tell)."""
    if hint is None or hint is typing.Any:
        return None
    if _accepts(value, hint):
        return None
    return f"must be {_describe(hint)}, not {type(value).__name__}"


def _accepts(value, hint) -> bool:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Annotated:  # Annotated[int, Range(...)]: the range is checked apart
        return _accepts(value, args[0])
    if hint is type(None):
        return value is None
    if origin in (typing.Union, _UnionType):
        return any(_accepts(value, arm) for arm in args)
    if origin is typing.Literal:
        return value in args
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    container = origin or hint
    if container in (list, tuple, Sequence, typing.Sequence):
        if not isinstance(value, (list, tuple)):
            return False
        return not args or all(_accepts(item, args[0]) for item in value)
    if container in (dict, Mapping, typing.Mapping):
        return isinstance(value, dict)
    return True  # classes, callables...: not ours to judge from YAML


def _describe(hint) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Annotated:
        return _describe(args[0])
    if origin in (typing.Union, _UnionType):
        return " or ".join(_describe(arm) for arm in args)
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if hint is type(None):
        return "null"
    if origin in (list, tuple, Sequence):
        return f"a list of {_describe(args[0])}" if args else "a list"
    if origin in (dict, Mapping):
        return "a mapping"
    return getattr(hint, "__name__", str(hint))


def trainer_args_problems(trainer: DictConfig, lookup=LIVE) -> list[str]:
    """``trainer.args``: known field names, values of the field's type, positive sizes."""
    args = OmegaConf.to_container(trainer.get("args") or {}, resolve=True)
    problems = []
    try:
        found = lookup.arguments(trainer)
    except ConfigError as err:
        return [str(err)]
    if found is not None:
        class_name, fields = found
        for key, value in args.items():
            if key not in fields:
                unknown = f"is not a {class_name} field.{_close(key, fields)}"
                problems.append(
                    renamed_message(f"trainer.args.{key}") or f"trainer.args.{key} {unknown}"
                )
            elif not _plain_type_fits(value, fields[key]):
                names = " or ".join(t.__name__ for t in fields[key].types)
                problems.append(
                    f"trainer.args.{key}={value!r} must be {names}, not {type(value).__name__}."
                )
        problems += field_choice_problems(args, class_name, fields)
    for key, bounds in ARG_RANGES.items():
        value = args.get(key)
        problem = bounds.problem(value) if isinstance(value, numbers.Number) else None
        if problem:
            problems.append(f"trainer.args.{key}={value} {problem}.")
    return problems + zero_steps_problems(args)


def zero_steps_problems(args: dict) -> list[str]:
    """``num_train_epochs=0`` with no ``max_steps`` trains nothing and still says completed."""
    epochs, steps = args.get("num_train_epochs"), args.get("max_steps")
    if not all(isinstance(v, numbers.Number) for v in (epochs, steps)):
        return []  # a type problem, reported above
    if epochs <= 0 and steps <= 0:
        return [
            f"trainer.args.num_train_epochs={epochs} with trainer.args.max_steps={steps} would "
            "train zero steps: set num_train_epochs above 0 or max_steps to 1 or more."
        ]
    return []


def trainer_arguments_class(trainer: DictConfig) -> type | None:
    """The arguments dataclass of the trainer class the node names (``cls``, or the builder's
    default for it); None for a builder of the user's that names no trainer class."""
    from hydratune.config.kinds import arguments_class, trainer_class

    builder = locate(trainer._target_)
    params = inspect.signature(builder).parameters
    path = trainer.get("cls") or (params["cls"].default if "cls" in params else None)
    if path:
        return arguments_class(trainer_class(path))
    annotation = _type_hints(builder).get("args")
    return annotation if dataclasses.is_dataclass(annotation) else None


def argument_fields(args_class: type) -> dict[str, ArgField]:
    """Each field of an arguments dataclass with its plain types and flag value. A field typed
    ``str`` may also take ``True`` as a bare flag (``fsdp=True``, the library's own advice):
    argparse's ``const`` in its metadata says so."""
    hints = typing.get_type_hints(args_class)
    fields = {}
    for f in dataclasses.fields(args_class):
        hint = hints.get(f.name, f.type)
        choices = field_choices(f, hint)
        fields[f.name] = ArgField(
            _scalar_types(hint), f.metadata.get("const"), tuple(choices) if choices else None
        )
    return fields


def _plain_type_fits(value, field: ArgField) -> bool:
    """Arguments fields: only plain scalar types are checked (others are the library's job)."""
    expected, const = field.types, field.const
    if value is None or not expected or isinstance(value, expected):
        return True
    if const is not None and type(value) is type(const) and value == const:
        return True
    return float in expected and isinstance(value, int) and not isinstance(value, bool)


def _scalar_types(hint) -> tuple[type, ...]:
    """The plain types a field accepts (int, float, bool, str); empty when it is not plain."""
    options = (
        typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, _UnionType) else (hint,)
    )
    plain = tuple(t for t in options if t in (int, float, bool, str))
    others = [t for t in options if t not in plain and t is not type(None)]
    return () if others else plain


def _type_hints(builder) -> dict:
    try:
        return typing.get_type_hints(builder, include_extras=True)
    except Exception:  # noqa: BLE001  an annotation that does not evaluate: check nothing
        return {}


def _close(key: str, known) -> str:
    close = difflib.get_close_matches(key, list(known), n=3)
    return f" Did you mean {close}?" if close else ""
