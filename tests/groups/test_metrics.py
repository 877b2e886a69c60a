"""metrics group: scikit-learn scores, AUROC from probabilities rather than predictions."""

from __future__ import annotations

import numpy as np
import pytest
from transformers import EvalPrediction

from hydratune.groups.metrics import classification


def test_binary_scores_have_fixed_values():
    logits = np.array([[2.0, 0.0], [0.0, 1.0], [1.0, 0.5], [0.9, 0.1]])
    labels = np.array([0, 1, 1, 0])
    scores = classification()(EvalPrediction(predictions=logits, label_ids=labels))
    # predictions 0, 1, 0, 0: one true positive, one false negative, no false positive
    assert scores["accuracy"] == 0.75
    assert scores["precision"] == 1.0
    assert scores["recall"] == 0.5
    assert scores["f1"] == pytest.approx(2 / 3)
    # P(positive) ranks both positives above both negatives: AUROC 1 although recall is 0.5
    assert scores["auroc"] == 1.0


def test_auroc_uses_probabilities_not_argmax():
    # All rows predict class 0, so argmax-based AUROC would be 0.5; probabilities still rank.
    logits = np.array([[3.0, 0.0], [2.0, 0.0], [1.0, 0.0], [0.5, 0.0]])
    labels = np.array([0, 0, 1, 1])
    scores = classification()(EvalPrediction(predictions=logits, label_ids=labels))
    assert scores["accuracy"] == 0.5
    assert scores["auroc"] == 1.0


def test_multiclass_uses_macro_and_one_vs_rest_auroc():
    logits = np.array([[3, 0, 0], [0, 3, 0], [0, 0, 3], [0, 3, 0]], dtype=float)
    labels = np.array([0, 1, 2, 2])
    scores = classification()(EvalPrediction(predictions=logits, label_ids=labels))
    assert scores["accuracy"] == 0.75
    # per class recall 1, 1, 0.5 -> macro 0.8333; precision 1, 0.5, 1 -> macro 0.8333
    assert scores["recall"] == pytest.approx(5 / 6)
    assert scores["precision"] == pytest.approx(5 / 6)
    assert 0.5 < scores["auroc"] < 1.0


def test_auroc_is_nan_when_a_class_is_missing_from_the_split():
    logits = np.array([[1.0, 0.0], [2.0, 0.0]])
    scores = classification()(EvalPrediction(predictions=logits, label_ids=np.array([0, 0])))
    assert np.isnan(scores["auroc"])
