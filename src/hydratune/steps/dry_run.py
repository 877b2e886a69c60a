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

from hydratune.config.errors import ConfigError
from hydratune.config.kinds import CLASSIFIERS, Kind
from hydratune.run.record import write_json
from hydratune.steps.first_example import (
    classification_example,
    format_example,
    sft_example,
    sft_row_ids,
)

log = logging.getLogger(__name__)
SAMPLE_ROWS = 256


def dry_run(data, hooks, run_dir: Path, *, model, collator, trainer) -> dict:
    """``model``, ``collator``, ``trainer``: the group nodes, built here without weights."""
    from hydratune.config.build import build

    model, tokenizer = build_model_skeleton(model, data)
    sample = data.head(SAMPLE_ROWS)
    collator = build(collator, tokenizer=tokenizer)
    batch_size = trainer.args.get("per_device_train_batch_size") or 8
    if data.kind == Kind.CAUSAL_LM:  # SFT data: SFTTrainer tokenizes and masks it itself
        summary = sft_summary(data, sample, tokenizer, trainer)
    elif data.kind == Kind.SEQ2SEQ:
        summary = seq2seq_summary(batch_size, data, sample, tokenizer, collator)
    else:
        summary = classification_summary(batch_size, data, sample, tokenizer, collator, hooks)
        check_against_model(model, tokenizer, data)
    write_json(Path(run_dir) / "dry_run.json", summary)
    print(format_summary(summary))
    return summary


def classification_summary(batch_size, data, sample, tokenizer, collator, hooks) -> dict:
    tokenized = sample.tokenize(tokenizer)
    example = classification_example(data, tokenized["train"], collator, batch_size, tokenizer)
    return {
        "rows": {name: len(split) for name, split in data.splits.items()},
        "labels": label_summary(data),
        "token_lengths": {
            name: length_stats(split, data.max_length) for name, split in tokenized.items()
        },  # fmt: skip
        "batch": batch_summary(collator, tokenized["train"], batch_size, tokenizer),
        "loss": getattr(hooks.compute_loss_func, "__name__", None)
        or getattr(getattr(hooks.compute_loss_func, "func", None), "__name__", "model's own"),
        "first_example": example,
    }


def seq2seq_summary(batch_size, data, sample, tokenizer, collator) -> dict:
    """Rows, source and target token lengths (the share cut by the max lengths), one batch."""
    tokenized = sample.tokenize(tokenizer)
    lengths = {}
    for name, split in tokenized.items():
        lengths[name] = length_stats(split, data.max_source_length)
        if "labels" in split.column_names:
            targets = {"input_ids": split["labels"]}
            lengths[f"{name}_target"] = length_stats(targets, data.max_target_length)
    return {
        "rows": {name: len(split) for name, split in data.splits.items()},
        "format": f"source -> target, prefix {data.source_prefix!r}",
        "loss_mask": "target tokens",
        "token_lengths": lengths,
        "batch": batch_summary(collator, tokenized["train"], batch_size, tokenizer),
        "loss": "model's own",
    }


def sft_summary(data, sample, tokenizer, trainer) -> dict:
    """Rows, token lengths and the tokens that carry loss under the chosen mask, counted the
    way SFTTrainer builds rows: chat template (assistant turns), or prompt + completion + EOS."""
    args = dict(trainer.args)
    args.update(data.loss_flags(trainer.get("loss_on")))
    max_length = args.get("max_length") or 1024
    counts = {
        name: [sft_row_tokens(row, data.format, tokenizer, args) for row in split]
        for name, split in sample.splits.items()
    }
    lengths = {name: [n for n, _ in rows] for name, rows in counts.items()}
    with_loss = sum(min(loss, max_length) for _, loss in counts["train"])
    total = sum(min(n, max_length) for n in lengths["train"])
    return {
        "rows": {name: len(split) for name, split in data.splits.items()},
        "format": data.format,
        "token_lengths": {
            name: length_stats({"input_ids": [[0] * n for n in ns]}, max_length)
            for name, ns in lengths.items()
        },
        "loss_mask": {
            k: bool(args.get(k)) for k in ("assistant_only_loss", "completion_only_loss")
        },
        "train_sample": {
            "tokens_with_loss": with_loss,
            "tokens": total,
            "share_with_loss": round(with_loss / max(total, 1), 4),
            "packing": bool(args.get("packing")),
        },  # fmt: skip
        "loss": "causal LM cross-entropy",
        "first_example": sft_example(data, tokenizer, args),
    }


def sft_row_tokens(row: dict, kind: str, tokenizer, args: dict) -> tuple[int, int]:
    """(tokens in the row, tokens whose label is kept) for one SFT row."""
    ids, loss = sft_row_ids(row, kind, tokenizer, args)
    return len(ids), sum(loss)


def build_model_skeleton(node, data):
    """The model builder with ``load_weights=False`` where it takes it (no checkpoint read)."""
    from hydra.utils import instantiate

    builder = instantiate(node, _partial_=True, _convert_="all")
    accepts = "load_weights" in inspect.signature(builder.func).parameters
    return builder(data=data, **({"load_weights": False} if accepts else {}))


def label_summary(data) -> dict:
    """Class counts in the train split."""
    counts = data.label_counts()
    return dict(zip(data.label_names, counts, strict=True))


def length_stats(split, max_length: int | None) -> dict:
    lengths = np.array([len(ids) for ids in split["input_ids"]])
    if lengths.size == 0:
        return {}
    p50, p90, p99 = np.percentile(lengths, [50, 90, 99])
    stats = {"p50": round(float(p50), 1), "p90": round(float(p90), 1), "p99": round(float(p99), 1)}
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
    classifies = data.kind in CLASSIFIERS
    if labels is not None and classifies and labels != data.num_labels:
        raise ConfigError(f"The model has {labels} labels but the data {data.num_labels}.")


def format_summary(summary: dict) -> str:
    lines = ["dry run: data, tokenizer and one batch are fine; nothing was trained"]
    lines.append(f"  rows          {summary['rows']}")
    if "labels" in summary:
        lines.append(f"  labels        {summary['labels']}")
    else:
        lines.append(f"  format        {summary['format']}, loss on {summary['loss_mask']}")
    for split, stats in summary["token_lengths"].items():
        lines.append(f"  tokens {split:<6} {stats}")
    if "batch" in summary:
        lines.append(f"  batch         {summary['batch']}")
    else:
        lines.append(f"  train sample  {summary['train_sample']}")
    lines.append(f"  loss          {summary['loss']}")
    if "first_example" in summary:  # classification and SFT show their first example
        lines += format_example(summary["first_example"])
    return "\n".join(lines)
