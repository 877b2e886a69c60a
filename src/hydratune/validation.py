"""Check the composed config before anything expensive runs.

Each group node is checked against its builder's signature (the torchtune way: the function is
the schema), ``trainer.args`` against the TrainingArguments / SFTConfig fields and their types,
and a few values no library checks early (accumulation steps, learning rate, seed, fp16 on a
machine without CUDA). Every error names the key and the fix; the first one found is raised.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import inspect
import numbers
import typing

from omegaconf import DictConfig, OmegaConf

from hydratune.errors import ConfigError

GROUPS = ("model", "data", "collator", "loss", "metrics", "trainer", "peft", "logger")
# Keys filled in at run time rather than from YAML, per group.
RUNTIME_KEYS = {
    "model": {"data", "load_weights"},
    "data": set(),
    "collator": {"tokenizer"},
    "loss": {"data"},
    "metrics": {"data"},
    "trainer": {
        "model",
        "tokenizer",
        "train_dataset",
        "eval_dataset",
        "data_collator",
        "compute_loss_func",
        "compute_metrics",
        "callbacks",
    },  # fmt: skip
    "peft": {"model"},
    "logger": {
        "run_dir",
        "config",
        "default_name",
        "default_group",
        "default_job_type",
        "resume_id",
    },  # fmt: skip
}
ARGS_CLASSES = {  # trainer builder -> the dataclass its ``args`` must fit
    "hydratune.trainers.plain": ("transformers", "TrainingArguments"),
    "hydratune.trainers.sft": ("trl", "SFTConfig"),
}
POSITIVE_ARGS = ("gradient_accumulation_steps", "per_device_train_batch_size",
                 "per_device_eval_batch_size", "learning_rate")  # fmt: skip


def validate(cfg: DictConfig) -> None:
    """Raise :class:`ConfigError` for the first problem found in ``cfg``."""
    check_seed(cfg.get("seed"))
    for group in GROUPS:
        if group in cfg and cfg[group] is not None:
            check_node(cfg[group], group)
    check_trainer_args(cfg.trainer)
    check_device(cfg.trainer.get("args") or {})


def check_seed(seed) -> None:
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ConfigError(f"seed={seed!r} must be an integer, e.g. seed=42.")


def check_node(node: DictConfig, group: str) -> None:
    """Every key of a group's node must be a parameter of the builder its ``_target_`` names."""
    target = node.get("_target_")
    if not target:
        return
    builder = _locate(target, f"{group}._target_")
    params = inspect.signature(builder).parameters
    if any(p.kind == p.VAR_KEYWORD for p in params.values()):
        return  # the builder takes anything
    known = set(params) - RUNTIME_KEYS.get(group, set())
    for key in node:
        if key.startswith("_") and key.endswith("_"):
            continue  # Hydra's own keys (_target_, _partial_, _recursive_)
        if key not in known:
            raise ConfigError(
                f"{group}.{key} is not a parameter of {target}.{_close(key, known)} "
                f"Its parameters are {sorted(known)}."
            )


def check_trainer_args(trainer: DictConfig) -> None:
    """``trainer.args``: known field names, values of the field's type, positive sizes."""
    args = OmegaConf.to_container(trainer.get("args") or {}, resolve=True)
    spec = ARGS_CLASSES.get(trainer.get("_target_", ""))
    if spec:
        args_class = getattr(importlib.import_module(spec[0]), spec[1])
        fields = {f.name: f for f in dataclasses.fields(args_class)}
        for key, value in args.items():
            if key not in fields:
                raise ConfigError(
                    f"trainer.args.{key} is not a {args_class.__name__} field.{_close(key, fields)}"
                )
            _check_type(f"trainer.args.{key}", value, fields[key], args_class)
    for key in POSITIVE_ARGS:
        value = args.get(key)
        if isinstance(value, numbers.Number) and value <= 0:
            raise ConfigError(f"trainer.args.{key}={value} must be greater than 0.")


def check_device(args) -> None:
    """fp16 on a CPU silently trains in fp32; say so before any weights load."""
    if not args.get("fp16"):
        return
    import torch

    if not torch.cuda.is_available():
        raise ConfigError(
            "trainer.args.fp16=true needs a CUDA GPU and none is visible. Drop it, or use "
            "trainer.args.bf16=true (CPUs with bf16 support) instead."
        )


def _check_type(key: str, value, field: dataclasses.Field, owner: type) -> None:
    if value is None:
        return
    expected = _scalar_types(field, owner)
    if not expected or isinstance(value, expected):
        return
    if float in expected and isinstance(value, int) and not isinstance(value, bool):
        return  # 1 is a fine float
    names = " or ".join(t.__name__ for t in expected)
    raise ConfigError(f"{key}={value!r} must be {names}, not {type(value).__name__}.")


def _scalar_types(field: dataclasses.Field, owner: type) -> tuple[type, ...]:
    """The plain types a field accepts (int, float, bool, str); empty when it is not plain."""
    hint = typing.get_type_hints(owner).get(field.name, field.type)
    options = (
        typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, _UnionType) else (hint,)
    )
    plain = tuple(t for t in options if t in (int, float, bool, str))
    others = [t for t in options if t not in plain and t is not type(None)]
    return () if others else plain


_UnionType = type(int | None)


def _locate(target: str, key: str):
    from hydra.utils import get_object

    try:
        return get_object(target)
    except Exception as err:
        raise ConfigError(f"{key}={target!r} cannot be imported: {err}") from err


def _close(key: str, known) -> str:
    close = difflib.get_close_matches(key, list(known), n=3)
    return f" Did you mean {close}?" if close else ""


def check_data_fits_trainer(trainer: DictConfig, data) -> None:
    """SFT data goes with trainer=sft and classification data with the other trainers; said
    before any model is built, naming the columns the data has."""
    sft_trainer = trainer.get("_target_") == "hydratune.trainers.sft"
    sft_data = hasattr(data, "format")
    columns = data.splits["train"].column_names
    if sft_trainer and not sft_data:
        raise ConfigError(
            "trainer=sft needs SFT data (columns 'messages', 'prompt'/'completion' or 'text'); "
            f"this data has {columns}. Use data=demo_chat or data=sft_files."
        )
    if sft_data and not sft_trainer:
        raise ConfigError(
            f"This is SFT data ({data.format}, columns {columns}): train it with trainer=sft."
        )
