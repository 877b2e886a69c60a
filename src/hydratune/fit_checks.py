"""Does the config fit the data? Checked once the data is loaded, before any weights load.

:mod:`hydratune.validate` checks the config alone; these checks need the data's ``kind``
(``classification``, ``multilabel``, ``causal_lm``, ``seq2seq``...): the trainer family, the
collator, the metrics and the loss each work on some kinds only, and ``model=hf`` under
``trainer=sft`` must name a causal LM (read from the checkpoint's config, no weights). Every
problem found is reported at once, each with its fix.

Options of ours are known by their builder's path; a user's own ``_target_`` is not judged.
"""

from __future__ import annotations

import inspect

from omegaconf import DictConfig

from hydratune.errors import ConfigError
from hydratune.validate import locate, raise_all

CLASSIFIERS = ("classification", "multilabel")
_ANY = None  # works on every data kind
# Our options -> the data kinds they work on (None: any). Options missing here (a user's own,
# ones another module adds) are not judged.
COLLATOR_KINDS = {
    "padding": CLASSIFIERS,
    "default": CLASSIFIERS,
    "seq2seq": ("seq2seq",),
    "none": _ANY,
}
METRICS_KINDS = {"classification": ("classification",), "multilabel": ("multilabel",)}
LOSS_KINDS = {  # loss=bce refuses single-label data itself, before the model too
    "weighted_ce": ("classification",),
    "focal": ("classification",),
}
MODEL_KINDS = {
    "tiny_bert": CLASSIFIERS,
    "custom": CLASSIFIERS,
    "tiny_llama": ("causal_lm",),
}
_FOR_KIND = {  # what to use instead, per data kind
    "classification": {"collator": "padding", "metrics": "classification", "loss": "default",
                       "model": "tiny_bert or model=hf"},
    "multilabel": {"collator": "padding", "metrics": "multilabel", "loss": "bce",
                   "model": "tiny_bert or model=hf"},
    "causal_lm": {"collator": "none", "metrics": "none", "loss": "default",
                  "model": "tiny_llama or model=hf with a causal LM"},
}  # fmt: skip


def check_fits(cfg: DictConfig, data) -> None:
    """Raise one :class:`ConfigError` naming every way ``cfg`` does not fit ``data``."""
    check_data_fits_trainer(cfg.trainer, data)  # the rest only makes sense once this holds
    problems = collator_problems(cfg.collator, data)
    for group, table in (("metrics", METRICS_KINDS), ("loss", LOSS_KINDS), ("model", MODEL_KINDS)):
        problems += option_problems(group, cfg.get(group), table, data)
    problems += sft_model_problems(cfg.model, data)
    raise_all(problems)


def option(node: DictConfig | None, group: str) -> str | None:
    """The option of ours a node builds (``hydratune.groups.<group>.<name>``), else None."""
    target = (node or {}).get("_target_") or ""
    module, _, name = target.rpartition(".")
    return name if module == f"hydratune.groups.{group}" else None


def option_problems(group: str, node, table: dict, data) -> list[str]:
    name = option(node, group)
    kinds = table.get(name, _ANY)
    if kinds is _ANY or data.kind in kinds:
        return []
    return [f"{group}={name} works on {' or '.join(kinds)} data, and this data is "
            f"{data.kind}{_columns(data)}: {_instead(group, data.kind)}"]  # fmt: skip


def collator_problems(node, data) -> list[str]:
    name = option(node, "collator")
    problems = option_problems("collator", node, COLLATOR_KINDS, data)
    if problems or name != "default" or data.kind not in CLASSIFIERS:
        return problems
    if not data.pad_to_max_length:  # rows of unequal length cannot be stacked
        return [
            "collator=default stacks rows as they are, so every row must have the same length: "
            "add data.pad_to_max_length=true, or use collator=padding (pads each batch, faster)."
        ]
    return []


def sft_model_problems(node, data) -> list[str]:
    """``model=hf`` on SFT data must be a causal LM: read from its config.json, no weights."""
    if data.kind != "causal_lm" or option(node, "model") != "hf":
        return []
    if node.get("task", "auto") not in ("auto", "causal_lm"):
        return [f"model.task={node.task} cannot train SFT data: use model.task=auto."]
    architectures, model_type = _checkpoint_architectures(node)
    if model_type is None:
        return []  # unreadable here: loading the model says why
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    causal = set(MODEL_FOR_CAUSAL_LM_MAPPING_NAMES.values())
    is_causal = (
        any(a in causal or a.endswith(("ForCausalLM", "LMHeadModel")) for a in architectures)
        if architectures
        else model_type in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES
    )
    if is_causal:
        return []
    shown = ", ".join(architectures) or model_type
    return [
        f"model.name_or_path={node.name_or_path} is a {shown} ({model_type}), not a causal "
        "language model, so trainer=sft cannot train it (it generates text token by token). "
        "Use a *ForCausalLM checkpoint (e.g. a Llama, Qwen or GPT-2 directory), or "
        "model=tiny_llama; for classification drop trainer=sft."
    ]


def _checkpoint_architectures(node) -> tuple[list[str], str | None]:
    from transformers import AutoConfig

    from hydratune.runtime.hub import local_only

    path = str(node.name_or_path)
    try:
        config = AutoConfig.from_pretrained(
            path, local_files_only=local_only(path), revision=node.get("revision"),
            trust_remote_code=bool(node.get("trust_remote_code")),
        )  # fmt: skip
    except Exception:  # noqa: BLE001  missing or unreachable: model loading reports it clearly
        return [], None
    return list(config.architectures or []), config.model_type


def check_data_fits_trainer(trainer: DictConfig, data) -> None:
    """Each trainer family trains some data kinds (SFTTrainer: causal_lm); said before any model
    is built, naming the columns the data has."""
    from hydratune.groups.trainer import data_kinds, trainer_class

    path = trainer.get("cls") or inspect.signature(locate(trainer._target_)).parameters.get("cls")
    if path is None:
        return  # a user's builder that names no trainer class: its own business
    path = path if isinstance(path, str) else path.default
    kinds = data_kinds(trainer_class(path))
    if data.kind in kinds:
        return
    columns = data.splits["train"].column_names
    if "causal_lm" in kinds:
        raise ConfigError(
            "trainer=sft needs SFT data (columns 'messages', 'prompt'/'completion' or 'text'); "
            f"this data has {columns}. Use data=demo_chat or data=files."
        )
    if data.kind == "causal_lm":
        raise ConfigError(
            f"This is SFT data ({data.format}, columns {columns}): train it with trainer=sft."
        )
    if data.kind == "seq2seq":
        raise ConfigError(
            "This is seq2seq data (source/target pairs): train it with trainer=seq2seq."
        )
    raise ConfigError(
        f"{path} trains {list(kinds)} data, and this data is {data.kind} (columns {columns})."
    )


def _columns(data) -> str:
    return f" (columns {data.splits['train'].column_names})"


def _instead(group: str, kind: str) -> str:
    choice = _FOR_KIND.get(kind, {}).get(group)
    return f"use {group}={choice}." if choice else f"choose a {group} option for {kind} data."
