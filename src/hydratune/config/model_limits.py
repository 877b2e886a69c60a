"""Token limits against the model's: checked from its config alone, before weights load.

A ``data.max_length`` (SFT: ``trainer.args.max_length``; seq2seq: ``data.max_source_length`` /
``max_target_length``) above the model's ``max_position_embeddings`` lets a long row index past
the position table: a device-side error mid-epoch, after the model loaded. ``model=hf`` is read
from its config.json; the tiny models from their ``max_position_embeddings`` key. Models with
relative positions (T5) have no such limit.
"""

from __future__ import annotations

from hydratune.config.kinds import Kind

_LIMIT_KEYS = ("max_position_embeddings", "n_positions")  # BERT/Llama, GPT-2


def length_problems(model_node, trainer_node, data) -> list[str]:
    limit, source = position_limit(model_node)
    if limit is None:
        return []
    return [
        f"{key}={value} is above the model's position limit ({source}={limit}): longer rows "
        f"would fail mid-training. Set {key} to {limit} or less."
        for key, value in lengths(trainer_node, data).items()
        if isinstance(value, int) and value > limit
    ]


def lengths(trainer_node, data) -> dict[str, int | None]:
    """The token limits the run will tokenize to, by the key that sets each."""
    if data.kind == Kind.CAUSAL_LM:
        return {"trainer.args.max_length": (trainer_node.get("args") or {}).get("max_length")}
    if data.kind == Kind.SEQ2SEQ:
        return {
            "data.max_source_length": getattr(data, "max_source_length", None),
            "data.max_target_length": getattr(data, "max_target_length", None),
        }
    return {"data.max_length": getattr(data, "max_length", None)}


def position_limit(node) -> tuple[int | None, str]:
    """The model's absolute-position limit and where it was read (None: no such limit)."""
    from hydratune.config.nodes import checkpoint_config, option

    if node is None:
        return None, ""
    if option(node, "model") == "hf":
        config = checkpoint_config(node)
        found = [(k, getattr(config, k, None)) for k in _LIMIT_KEYS] if config else []
        where = f"config.json of {node.name_or_path}"
        return next(((v, f"{where}: {k}") for k, v in found if isinstance(v, int)), (None, ""))
    value = node.get("max_position_embeddings")
    return (value, "model.max_position_embeddings") if isinstance(value, int) else (None, "")
