"""Does the config fit the data? Checked once the data is loaded, before any weights load.

:mod:`hydratune.config.validate` checks the config alone; these checks need the data's ``kind``
(``classification``, ``multilabel``, ``causal_lm``, ``seq2seq``...): the trainer family, the
collator, the metrics and the loss each work on some kinds only, and ``model=hf`` under
``trainer=sft`` must name a causal LM (read from the checkpoint's config, no weights). Every
problem found is reported at once, each with its fix.

What each option works on is what its builder declares (:func:`hydratune.config.kinds.works_on`):
a user's builder that declares kinds is judged like ours; one that declares none fits every kind.
"""

from __future__ import annotations

from omegaconf import DictConfig

from hydratune.config.errors import ConfigError
from hydratune.config.kinds import CLASSIFIERS, FOR_KIND, GROUPS, Kind, declared_kinds
from hydratune.config.kinds import node_data_kinds as trainer_kinds
from hydratune.config.model_limits import length_problems
from hydratune.config.nodes import checkpoint_config, locate, option
from hydratune.config.validate import raise_all

JUDGED = ("collator", "metrics", "loss", "model")  # groups whose builders declare kinds


def group_nodes(cfg: DictConfig) -> dict:
    """The group nodes the fit checks read (not the rest of the run's config)."""
    return {group: cfg.get(group) for group in GROUPS}


def check_fits(nodes: dict, data) -> None:
    """Raise one :class:`ConfigError` naming every way the group ``nodes`` do not fit
    ``data``."""
    check_data_fits_trainer(nodes["trainer"], data, nodes.get("data"))  # the rest needs this
    problems = collator_problems(nodes.get("collator"), data)
    for group in ("metrics", "loss", "model"):
        problems += option_problems(group, nodes.get(group), data)
    problems += sft_model_problems(nodes.get("model"), data)
    problems += length_problems(nodes.get("model"), nodes["trainer"], data)
    raise_all(problems)


def builder_kinds(node) -> tuple[Kind, ...] | None:
    """The kinds a node's builder declares, ours or a user's (None: any, or not importable
    here: validation says so)."""
    target = (node or {}).get("_target_")
    if not target:
        return None
    try:
        return declared_kinds(locate(target))
    except Exception:  # noqa: BLE001  an unimportable target is validation's to report
        return None


def option_problems(group: str, node, data) -> list[str]:
    kinds = builder_kinds(node)
    if kinds is None or data_kind(data) in kinds:
        return []
    name = option(node, group) or node.get("_target_")
    return [f"{group}={name} works on {' or '.join(map(str, kinds))} data, and this data is "
            f"{data_kind(data)}{_columns(data)}: {_instead(group, data_kind(data))}"]  # fmt: skip


def data_kind(data) -> Kind:
    return Kind(data.kind)


def collator_problems(node, data) -> list[str]:
    name = option(node, "collator")
    problems = option_problems("collator", node, data)
    if problems or name != "default" or data_kind(data) not in CLASSIFIERS:
        return problems
    if not data.pad_to_max_length:  # rows of unequal length cannot be stacked
        return [
            "collator=default stacks rows as they are, so every row must have the same length: "
            "add data.pad_to_max_length=true, or use collator=padding (pads each batch, faster)."
        ]
    return []


def sft_model_problems(node, data) -> list[str]:
    """``model=hf`` on SFT data must be a causal LM: read from its config.json, no weights."""
    if data.kind != Kind.CAUSAL_LM or option(node, "model") != "hf":
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
    config = checkpoint_config(node)
    if config is None:
        return [], None
    return list(config.architectures or []), config.model_type


def check_data_fits_trainer(trainer: DictConfig, data, data_node=None) -> None:
    """Each trainer family trains some data kinds (SFTTrainer: causal_lm); said before any model
    is built, naming the columns the data has. The data's kind is what its object says, or what
    a user's builder declares."""
    kinds = trainer_kinds(trainer)
    kind = Kind(getattr(data, "kind", None) or _declared_data_kind(data_node))
    if kinds is None or kind in kinds:
        return
    columns = getattr(data, "source_columns", None) or next(iter(data.splits.values())).column_names
    raise ConfigError(kind_mismatch(kinds, kind, columns, getattr(data, "format", None), trainer))


def kind_mismatch(kinds, kind: Kind, columns, data_format=None, trainer=None) -> str:
    """What to say when a trainer that trains ``kinds`` gets ``kind`` data: one message for
    every data builder, ours (whose readers refuse as they read) or a user's."""
    if Kind.CAUSAL_LM in kinds and kind == Kind.CLASSIFICATION:
        return (
            f"trainer=sft reads SFT data, and the train split has columns {columns}: "
            "classification data (a text and a label). Train it with trainer=plain; for language "
            "modelling on its text, give a file without the label column. (trainer=sft needs "
            "SFT data: columns 'messages', 'prompt'/'completion' or 'text'.)"
        )
    if Kind.CAUSAL_LM in kinds:
        return (
            "trainer=sft needs SFT data (columns 'messages', 'prompt'/'completion' or 'text'); "
            f"this data has {columns}. Use data=demo_chat or data=files."
        )
    if kind == Kind.CAUSAL_LM:
        return f"This is SFT data ({data_format}, columns {columns}): train it with trainer=sft."
    if kind == Kind.SEQ2SEQ:
        return "This is seq2seq data (source/target pairs): train it with trainer=seq2seq."
    name = (trainer.get("cls") or trainer._target_) if trainer is not None else "this trainer"
    return (
        f"trainer={name} trains {', '.join(map(str, kinds))} data, and this data is {kind} "
        f"(columns {columns}): {_instead('trainer', kind)}"
    )


def _declared_data_kind(node) -> Kind | None:
    kinds = builder_kinds(node)
    return kinds[0] if kinds and len(kinds) == 1 else None


def _columns(data) -> str:
    return f" (columns {data.splits['train'].column_names})"


def _instead(group: str, kind: Kind) -> str:
    choice = FOR_KIND.get(kind, {}).get(group)
    return f"use {group}={choice}." if choice else f"choose a {group} option for {kind} data."
