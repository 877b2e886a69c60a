"""The ``metrics`` group: builders return Trainer's ``compute_metrics(eval_pred)``.

Classification scores come from scikit-learn; generation scores (``metrics=generation``) from
sacrebleu and rouge-score, not the ``evaluate`` library, which fetches metric scripts from the
hub and so fails offline. AUROC is computed from probabilities (softmax, or sigmoid for
multi-label), never from argmax predictions. The classification metrics keep the last
predictions so the run can write a per-class report and a confusion matrix after the final
evaluation (:meth:`ClassificationMetrics.write_report`).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from hydratune.config.errors import ConfigError
from hydratune.config.kinds import Kind, works_on


class ClassificationMetrics:
    """``compute_metrics`` for single-label classification."""

    def __init__(self, label_names: list[str] | None = None, average: str = "auto"):
        self.label_names = label_names
        self.average = average
        self.last: tuple[np.ndarray, np.ndarray] | None = None

    def __call__(self, eval_pred) -> dict[str, float]:
        logits, labels = _arrays(eval_pred)
        self.last = (logits, labels)
        return classification_scores(logits, labels, self.average)

    def write_report(self, run_dir: Path, prefix: str) -> None:
        """``<prefix>_classification_report.json`` and ``<prefix>_confusion_matrix.png``."""
        if self.last is None:
            return
        from sklearn.metrics import classification_report, confusion_matrix

        logits, labels = self.last
        ids = list(range(logits.shape[-1]))
        names = self.label_names or [str(i) for i in ids]
        predictions = logits.argmax(-1)
        report = classification_report(
            labels, predictions, labels=ids, target_names=names,
            output_dict=True, zero_division=0,
        )  # fmt: skip
        matrix = confusion_matrix(labels, predictions, labels=ids)
        (run_dir / f"{prefix}_classification_report.json").write_text(json.dumps(report, indent=2))
        plot_confusion_matrix(matrix, names, run_dir / f"{prefix}_confusion_matrix.png")


class MultiLabelMetrics:
    """``compute_metrics`` for multi-label classification (sigmoid outputs, a threshold)."""

    def __init__(self, threshold: float = 0.5):
        self.threshold = threshold

    def __call__(self, eval_pred) -> dict[str, float]:
        logits, labels = _arrays(eval_pred)
        return multilabel_scores(logits, labels, self.threshold)


@works_on(Kind.CLASSIFICATION)
def classification(data=None, *, average: str = "auto") -> ClassificationMetrics:
    """Accuracy, F1, precision, recall (binary for 2 classes, else macro) and AUROC."""
    return ClassificationMetrics(data.label_names if data is not None else None, average)


@works_on(Kind.MULTILABEL)
def multilabel(data=None, *, threshold: float = 0.5) -> MultiLabelMetrics:
    """Micro/macro F1, micro precision/recall, exact match and macro AUROC over labels."""
    return MultiLabelMetrics(threshold)


def generation(data=None, *, use_stemmer: bool = True) -> GenerationMetrics:
    """BLEU, chrF (sacrebleu, 0-100), ROUGE-1/2/L/Lsum (rouge-score, 0-1) and ``gen_len`` of
    generated token ids (trainer=seq2seq with ``predict_with_generate``); Trainer adds the
    ``eval_`` prefix. The tokenizer that decodes them is attached by the trainer builder."""
    return GenerationMetrics(use_stemmer=use_stemmer)


def none(data=None) -> None:
    """No metrics beyond the eval loss (language modelling, or to save eval time)."""
    return None


# Generation (trainer=seq2seq) ----------------------------------------------------------------

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")
TABLE_ROWS = 100  # eval predictions shown in the W&B table (generations.jsonl has all)
DIGITS = 4  # scores are rounded: 100.00000000000004 BLEU reads as 100.0


def generation_scores(
    predictions: list[str], references: list[str], use_stemmer: bool = True
) -> dict[str, float]:
    """Corpus scores of ``predictions`` against one reference each.

    - ``bleu``, ``chrf``: sacrebleu corpus scores, 0-100 (its default 13a tokenization). BLEU
      needs 4-grams: a corpus of sentences shorter than four words scores 0 even when exact.
    - ``rouge1``, ``rouge2``, ``rougeL``, ``rougeLsum``: rouge-score F-measures, 0-1, averaged
      over the examples, with Porter stemming (``use_stemmer``). ``rougeLsum`` splits summaries
      into sentences on newlines (without any, it equals ``rougeL``). rouge-score's tokenizer
      keeps only ASCII letters and digits: scripts without them (Chinese, Cyrillic) score 0.
    - ``gen_len``: mean number of whitespace-separated words in the predictions.
    """
    import sacrebleu
    from rouge_score import rouge_scorer

    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions for {len(references)} references.")
    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=use_stemmer)
    pairs = [scorer.score(ref, pred) for pred, ref in zip(predictions, references, strict=True)]
    rouge = {key: _mean([pair[key].fmeasure for pair in pairs]) for key in ROUGE_TYPES}
    scores = {
        "bleu": sacrebleu.corpus_bleu(predictions, [references]).score,
        "chrf": sacrebleu.corpus_chrf(predictions, [references]).score,
        **rouge,
        "gen_len": _mean([len(prediction.split()) for prediction in predictions]),
    }
    return {key: round(float(value), DIGITS) for key, value in scores.items()}


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else 0.0


class GenerationMetrics:
    """Trainer's ``compute_metrics`` for generated token ids (``predict_with_generate=True``).

    Predictions and labels are decoded after -100 (the label padding that the loss ignores,
    and the padding Trainer adds when it joins batches) is replaced by the pad id. ``last``
    keeps the decoded (predictions, references) of the latest call, for ``generations.jsonl``.
    """

    def __init__(self, tokenizer=None, use_stemmer: bool = True):
        self.tokenizer = tokenizer  # set by trainer=seq2seq: the model's tokenizer comes later
        self.use_stemmer = use_stemmer
        self.last: tuple[list[str], list[str], list[str] | None] | None = None

    def __call__(self, eval_pred) -> dict[str, float]:
        generated = self._ids(eval_pred.predictions)
        labels = self._ids(eval_pred.label_ids)
        predictions, references = self.decode(generated), self.decode(labels)
        inputs = getattr(eval_pred, "inputs", None)  # with trainer.args.include_for_metrics
        sources = self.decode(self._ids(inputs)) if inputs is not None else None
        self.last = (predictions, references, sources)
        scores = generation_scores(predictions, references, self.use_stemmer)
        pad = self.tokenizer.pad_token_id  # the decoder start token is pad: not counted
        scores["gen_len"] = round(float(np.count_nonzero(generated != pad, axis=-1).mean()), DIGITS)
        return scores

    def decode(self, ids: np.ndarray) -> list[str]:
        texts = self.tokenizer.batch_decode(ids, skip_special_tokens=True)
        return [text.strip() for text in texts]

    def _ids(self, array) -> np.ndarray:
        array = array[0] if isinstance(array, tuple) else array
        array = np.asarray(array)
        if array.ndim != 2 or not np.issubdtype(array.dtype, np.integer):
            raise ConfigError(
                "metrics=generation scores generated token ids, but evaluation returned "
                f"{array.ndim}-d {array.dtype} values (logits): set "
                "trainer.args.predict_with_generate=true."
            )
        return np.where(array < 0, self.tokenizer.pad_token_id, array)

    def write_report(self, run_dir: Path, prefix: str) -> None:
        """``generations.jsonl`` (``<prefix>_generations.jsonl`` for test) from the latest
        evaluation: one row per example with its source, reference and generated text."""
        if self.last is None:
            return
        from hydratune.steps.generate import log_table, write_generations

        predictions, references, sources = self.last
        sources = sources or [None] * len(predictions)
        rows = [
            {"prompt": source, "reference": reference, "generated": prediction}
            for source, reference, prediction in zip(sources, references, predictions, strict=True)
        ]
        write_generations(run_dir, rows, prefix)
        if prefix == "eval":
            log_table(rows[:TABLE_ROWS], {})


def classification_scores(logits: np.ndarray, labels: np.ndarray, average: str) -> dict:
    from sklearn.metrics import accuracy_score, precision_recall_fscore_support

    num_classes = logits.shape[-1]
    mode = ("binary" if num_classes == 2 else "macro") if average == "auto" else average
    predictions = logits.argmax(-1)
    precision, recall, f1, _ = precision_recall_fscore_support(
        labels, predictions, average=mode, zero_division=0,
        labels=None if mode == "binary" else list(range(num_classes)),
    )  # fmt: skip
    return {
        "accuracy": float(accuracy_score(labels, predictions)),
        "f1": float(f1),
        "precision": float(precision),
        "recall": float(recall),
        "auroc": auroc(softmax(logits), labels),
    }


def multilabel_scores(logits: np.ndarray, labels: np.ndarray, threshold: float) -> dict:
    from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score

    probabilities = 1 / (1 + np.exp(-logits))
    truth = labels.astype(int)
    predicted = (probabilities >= threshold).astype(int)
    scored = [j for j in range(truth.shape[1]) if len(np.unique(truth[:, j])) == 2]
    return {
        "f1_micro": float(f1_score(truth, predicted, average="micro", zero_division=0)),
        "f1_macro": float(f1_score(truth, predicted, average="macro", zero_division=0)),
        "precision_micro": float(
            precision_score(truth, predicted, average="micro", zero_division=0)
        ),
        "recall_micro": float(recall_score(truth, predicted, average="micro", zero_division=0)),
        "exact_match": float((predicted == truth).all(axis=1).mean()),
        # macro over the labels that have both outcomes in this split (else undefined)
        "auroc": float(roc_auc_score(truth[:, scored], probabilities[:, scored], average="macro"))
        if scored
        else float("nan"),
    }


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(-1, keepdims=True))
    return shifted / shifted.sum(-1, keepdims=True)


def auroc(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """Binary AUROC from P(class 1), one-vs-rest macro otherwise; NaN if a class is absent."""
    from sklearn.metrics import roc_auc_score

    num_classes = probabilities.shape[-1]
    if len(np.unique(labels)) < num_classes:
        return float("nan")  # undefined: some class never occurs in this split
    if num_classes == 2:
        return float(roc_auc_score(labels, probabilities[:, 1]))
    return float(roc_auc_score(labels, probabilities, multi_class="ovr", average="macro"))


def plot_confusion_matrix(matrix: np.ndarray, names: list[str], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only; no display on servers
    import matplotlib.pyplot as plt

    size = max(4.0, 0.6 * len(names) + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(matrix, cmap="Blues")
    ax.set(xticks=range(len(names)), yticks=range(len(names)), xlabel="predicted", ylabel="true")
    ax.set_xticklabels(names, rotation=45, ha="right")
    ax.set_yticklabels(names)
    for (i, j), count in np.ndenumerate(matrix):
        color = "white" if count > matrix.max() / 2 else "black"
        ax.text(j, i, str(count), ha="center", va="center", color=color)
    ax.set_title("confusion matrix")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _arrays(eval_pred) -> tuple[np.ndarray, np.ndarray]:
    logits = eval_pred.predictions
    logits = logits[0] if isinstance(logits, tuple) else logits
    return np.asarray(logits), np.asarray(eval_pred.label_ids)
