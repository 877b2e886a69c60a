"""Classification scores (``metrics=classification`` and ``multilabel``) from scikit-learn.

AUROC is computed from probabilities (softmax, or sigmoid for multi-label), never from argmax
predictions. The classification metrics keep the last predictions so the run can write a
per-class report and a confusion matrix after the final evaluation
(:meth:`ClassificationMetrics.write_report`).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


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
