"""The ``metrics`` group: builders return Trainer's ``compute_metrics(eval_pred)``."""

from __future__ import annotations

import numpy as np


def classification(data=None, average: str = "auto"):
    """Accuracy, F1, precision, recall and AUROC from softmax probabilities (scikit-learn).

    ``average="auto"`` is binary for two classes and macro otherwise.
    """

    def compute_metrics(eval_pred) -> dict[str, float]:
        logits, labels = eval_pred.predictions, eval_pred.label_ids
        logits = logits[0] if isinstance(logits, tuple) else logits
        return classification_scores(np.asarray(logits), np.asarray(labels), average)

    return compute_metrics


def classification_scores(logits: np.ndarray, labels: np.ndarray, average: str) -> dict:
    from sklearn.metrics import accuracy_score, precision_recall_fscore_support

    num_classes = logits.shape[-1]
    mode = ("binary" if num_classes == 2 else "macro") if average == "auto" else average
    predictions = logits.argmax(-1)
    precision, recall, f1, _ = precision_recall_fscore_support(
        labels,
        predictions,
        average=mode,
        zero_division=0,
        labels=None if mode == "binary" else list(range(num_classes)),
    )
    return {
        "accuracy": float(accuracy_score(labels, predictions)),
        "f1": float(f1),
        "precision": float(precision),
        "recall": float(recall),
        "auroc": auroc(softmax(logits), labels),
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


def none(data=None) -> None:
    """No metrics beyond the eval loss (language modelling, or to save eval time)."""
    return None
