"""``dry_run=true``: everything up to the first batch, nothing after.

Composes and validates (done by the caller), loads the data, builds the tokenizer and the
model's config without loading pretrained weights, tokenizes a sample of each split, collates
one batch, checks the shapes against the model config, prints a short summary and writes it
to ``dry_run.json``. A bad column, label or length shows up here in seconds.
"""

from __future__ import annotations

import inspect
import logging
from pathlib import Path

import numpy as np

from hydratune.errors import ConfigError
from hydratune.manifest import write_json

log = logging.getLogger(__name__)
SAMPLE_ROWS = 256


def dry_run(cfg, data, hooks, run_dir: Path) -> dict:
    from hydra.utils import instantiate

    model, tokenizer = build_model_skeleton(cfg.model, data)
    sample = data.head(SAMPLE_ROWS)
    tokenized = sample.tokenize(tokenizer)
    collator = instantiate(cfg.collator, _partial_=True, _convert_="all")(tokenizer=tokenizer)
    batch_size = cfg.trainer.args.get("per_device_train_batch_size") or 8
    summary = {
        "rows": {name: len(split) for name, split in data.splits.items()},
        "labels": label_summary(data),
        "token_lengths": {
            name: length_stats(split, data.max_length) for name, split in tokenized.items()
        },  # fmt: skip
        "batch": batch_summary(collator, tokenized["train"], batch_size, tokenizer),
        "loss": getattr(hooks.compute_loss_func, "__name__", None)
        or getattr(getattr(hooks.compute_loss_func, "func", None), "__name__", "model's own"),
    }
    check_against_model(model, tokenizer, data)
    write_json(Path(run_dir) / "dry_run.json", summary)
    print(format_summary(summary))
    return summary


def build_model_skeleton(node, data):
    """The model builder with ``load_weights=False`` where it takes it (no checkpoint read)."""
    from hydra.utils import instantiate

    builder = instantiate(node, _partial_=True, _convert_="all")
    accepts = "load_weights" in inspect.signature(builder.func).parameters
    return builder(data=data, **({"load_weights": False} if accepts else {}))


def label_summary(data) -> dict:
    counts = data.label_counts()
    return dict(zip(data.label_names, counts, strict=True))


def length_stats(split, max_length: int | None) -> dict:
    lengths = np.array([len(ids) for ids in split["input_ids"]])
    if lengths.size == 0:
        return {}
    p50, p90, p99 = np.percentile(lengths, [50, 90, 99])
    stats = {"p50": round(p50, 1), "p90": round(p90, 1), "p99": round(p99, 1)}
    stats["max"] = int(lengths.max())
    if max_length:
        stats["truncated_share"] = float((lengths >= max_length).mean())
    return stats


def batch_summary(collator, split, batch_size: int, tokenizer) -> dict:
    if not callable(collator):
        return {"note": "the trainer builds its own collator"}
    rows = [split[i] for i in range(min(batch_size, len(split)))]
    batch = collator(rows)
    ids = batch["input_ids"]
    mask = batch.get("attention_mask")
    padding = 1 - float(mask.float().mean()) if mask is not None else 0.0
    labels = batch.get("labels")
    return {
        "input_ids": list(ids.shape),
        "labels": list(labels.shape) if labels is not None else None,
        "padding_share": round(padding, 4),
        # what the loss is averaged over: rows (classification) or tokens not set to -100
        "loss_items": int((labels != -100).sum()) if labels is not None else None,
    }


def check_against_model(model, tokenizer, data) -> None:
    config = getattr(model, "config", None)
    if config is None:
        return
    positions = getattr(config, "max_position_embeddings", None)
    if positions and data.max_length and data.max_length > positions:
        raise ConfigError(
            f"data.max_length={data.max_length} is longer than the model's "
            f"max_position_embeddings={positions}: lower data.max_length."
        )
    vocab = getattr(config, "vocab_size", None)
    if vocab and len(tokenizer) > vocab:
        raise ConfigError(
            f"The tokenizer has {len(tokenizer)} tokens but the model only {vocab} embeddings: "
            "use the checkpoint's own tokenizer (model.tokenizer_name_or_path=null)."
        )
    labels = getattr(config, "num_labels", None)
    if labels is not None and hasattr(data, "label_names") and labels != data.num_labels:
        raise ConfigError(f"The model has {labels} labels but the data {data.num_labels}.")


def format_summary(summary: dict) -> str:
    lines = ["dry run: data, tokenizer and one batch are fine; nothing was trained"]
    lines.append(f"  rows          {summary['rows']}")
    lines.append(f"  labels        {summary['labels']}")
    for split, stats in summary["token_lengths"].items():
        lines.append(f"  tokens {split:<6} {stats}")
    lines.append(f"  batch         {summary['batch']}")
    lines.append(f"  loss          {summary['loss']}")
    return "\n".join(lines)
