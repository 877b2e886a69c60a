"""``trainer.args.do_predict=true``: predictions for ``data.test_files``, labelled or not.

Classification writes ``predictions.csv`` (row, text, predicted label, a probability per class,
and the true label when the file has one); multi-label writes the predicted label set
(``a|b``); SFT writes ``predictions.jsonl`` with greedy generations
(:func:`hydratune.steps.generate.predict_generations`).
The test split streams through the model ``batch_rows`` rows at a time, each chunk in batches
sorted by length, and rows are written back in file order as they come, so memory stays
bounded by one chunk (plus, on a labelled file, the logits kept for ``test_*`` metrics: one
float per class per row).
"""

from __future__ import annotations

import csv
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from hydratune.compat.transformers import sequential_eval
from hydratune.config.kinds import Kind
from hydratune.run.distributed import is_main_process
from hydratune.steps.generate import write_reports
from hydratune.training.length_batches import longest_first

LABEL_SEPARATOR = "|"  # between the labels of a multi-label prediction


def predict(trainer, data, tokenizer, run_dir: Path, *, batch_rows=1024, threshold=0.5,
            max_new_tokens=64) -> dict:  # fmt: skip
    """Write the run's predictions file; return ``test_*`` metrics (labelled data only)."""
    if data.kind == Kind.CAUSAL_LM:
        from hydratune.steps.generate import predict_generations

        return predict_generations(
            trainer, data, run_dir / "predictions.jsonl",
            batch_rows=min(batch_rows, 16), max_new_tokens=max_new_tokens,
        )  # fmt: skip
    if data.kind == Kind.SEQ2SEQ:
        from hydratune.steps.predict_pairs import predict_pairs

        return predict_pairs(trainer, data, run_dir / "predictions.jsonl", batch_rows=batch_rows)
    return predict_classes(trainer, data, tokenizer, run_dir, batch_rows, threshold)


def predict_classes(trainer, data, tokenizer, run_dir, batch_rows, threshold) -> dict:
    from datasets import Dataset
    from transformers.trainer_utils import EvalPrediction

    split = data.splits["test"]
    labelled = "labels" in split.column_names
    encode = data.encoder(tokenizer)
    kept, losses = [], []  # logits and (mean loss, rows) per chunk, for test_* metrics
    with _writer(run_dir / "predictions.csv") as write, _quiet(trainer) as bar:
        bar.reset(total=len(split))
        write(_header(data, labelled))
        for start in range(0, len(split), batch_rows):
            rows = split[start : start + batch_rows]
            inputs = dict(encode(rows), **({"labels": rows["labels"]} if labelled else {}))
            order = longest_first([len(ids) for ids in inputs["input_ids"]])  # less padding
            chunk = Dataset.from_dict(inputs).select(order)
            out = trainer.predict(chunk, metric_key_prefix="test")
            logits = out.predictions[0] if isinstance(out.predictions, tuple) else out.predictions
            logits = logits[np.argsort(order)]  # back in file order
            for offset, line in enumerate(_lines(data, rows, logits, threshold, labelled)):
                write([start + offset + 1, *line])
            if labelled:
                kept.append(logits)
                losses.append((out.metrics.get("test_loss"), len(logits)))
            bar.update(len(logits))
    if not labelled:
        return {}
    labels = np.asarray(split["labels"][:])
    scores = trainer.compute_metrics(EvalPrediction(np.concatenate(kept), labels)) or {}
    metrics = {f"test_{k}": v for k, v in scores.items()}
    if all(loss is not None for loss, _ in losses):  # Trainer's mean over rows, chunk-weighted
        metrics["test_loss"] = sum(loss * n for loss, n in losses) / len(labels)
    write_reports(trainer.compute_metrics, run_dir, "test")
    return metrics


def _header(data, labelled: bool) -> list[str]:
    texts = ["text"] + (["text_pair"] if data.text_pair_column else [])
    probabilities = [f"p_{name}" for name in data.label_names]
    return ["row", *texts, "predicted", *probabilities] + (["label"] if labelled else [])


def _lines(data, rows: dict, logits: np.ndarray, threshold: float, labelled: bool):
    """One CSV line per row (without its row number)."""
    from hydratune.groups.metrics import softmax

    names = data.label_names
    multi = data.kind == Kind.MULTILABEL
    probabilities = 1 / (1 + np.exp(-logits)) if multi else softmax(logits)
    texts = list(zip(*(rows[c] for c in data.text_columns()), strict=True))
    for i, p in enumerate(probabilities):
        if multi:
            chosen = [n for n, q in zip(names, p, strict=True) if q >= threshold]
            predicted = LABEL_SEPARATOR.join(chosen)
        else:
            predicted = names[int(p.argmax())]
        line = [*texts[i], predicted, *(f"{q:.6g}" for q in p)]
        if labelled:
            line.append(_label_name(rows["labels"][i], names, multi))
        yield line


def _label_name(label, names: list[str], multi: bool) -> str:
    if multi:
        return LABEL_SEPARATOR.join(n for n, on in zip(names, label, strict=True) if on)
    return names[int(label)]


@contextmanager
def _writer(path: Path):
    """``write(row)`` into a CSV file on the main process; other ranks only compute."""
    if not is_main_process():
        yield lambda row: None
        return
    with open(path, "w", newline="", encoding="utf-8") as handle:
        yield csv.writer(handle).writerow


@contextmanager
def _quiet(trainer):
    """One progress bar over all rows instead of Trainer's per-chunk bars; metrics are
    computed once over all chunks instead of per chunk.

    Each chunk comes sorted by length already (``longest_first``) and its logits are put
    back by that known order, so the eval sampler is sequential here instead of the run's
    length-sorted or grouped one (under DDP Trainer's own None: accelerate shards in order and
    gathers back).
    """
    from tqdm.auto import tqdm
    from transformers.trainer_callback import ProgressCallback

    progress = trainer.pop_callback(ProgressCallback)
    compute_metrics, trainer.compute_metrics = trainer.compute_metrics, None
    bar = tqdm(desc="Predicting", unit="rows", disable=trainer.args.disable_tqdm)
    try:
        with sequential_eval(trainer):
            yield bar
    finally:
        bar.close()
        trainer.compute_metrics = compute_metrics
        if progress is not None:
            trainer.add_callback(progress)
