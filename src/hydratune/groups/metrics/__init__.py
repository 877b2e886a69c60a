"""The ``metrics`` group: builders return Trainer's ``compute_metrics(eval_pred)``.

Classification scores (:mod:`.classification`) come from scikit-learn; generation scores
(:mod:`.generation`, ``metrics=generation``) from sacrebleu and rouge-score. Each builder declares
the data kinds it scores (:func:`hydratune.config.kinds.works_on`).
"""

from __future__ import annotations

from hydratune.config.kinds import Kind, works_on
from hydratune.config.metric_keys import produces
from hydratune.groups.metrics.classification import (
    ClassificationMetrics,
    MultiLabelMetrics,
    auroc,
    classification_scores,
    multilabel_scores,
    softmax,
)
from hydratune.groups.metrics.generation import GenerationMetrics, generation_scores

__all__ = [
    "ClassificationMetrics", "GenerationMetrics", "MultiLabelMetrics", "auroc",
    "classification", "classification_scores", "generation", "generation_scores", "multilabel",
    "multilabel_scores", "none", "softmax",
]  # fmt: skip


@works_on(Kind.CLASSIFICATION)
@produces("accuracy", "f1", "precision", "recall", "auroc")
def classification(data=None, *, average: str = "auto") -> ClassificationMetrics:
    """Accuracy, F1, precision, recall (binary for 2 classes, else macro) and AUROC."""
    return ClassificationMetrics(data.label_names if data is not None else None, average)


@works_on(Kind.MULTILABEL)
@produces("f1_micro", "f1_macro", "precision_micro", "recall_micro", "exact_match", "auroc")
def multilabel(data=None, *, threshold: float = 0.5) -> MultiLabelMetrics:
    """Micro/macro F1, micro precision/recall, exact match and macro AUROC over labels."""
    return MultiLabelMetrics(threshold)


@produces("bleu", "chrf", "rouge1", "rouge2", "rougeL", "rougeLsum", "gen_len")
def generation(data=None, *, use_stemmer: bool = True) -> GenerationMetrics:
    """BLEU, chrF (sacrebleu, 0-100), ROUGE-1/2/L/Lsum (rouge-score, 0-1) and ``gen_len`` of
    generated token ids (trainer=seq2seq with ``predict_with_generate``); Trainer adds the
    ``eval_`` prefix. The tokenizer that decodes them is attached by the trainer builder."""
    return GenerationMetrics(use_stemmer=use_stemmer)


@produces()
def none(data=None) -> None:
    """No metrics beyond the eval loss (language modelling, or to save eval time)."""
    return None
