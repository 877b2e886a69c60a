"""loss group: closed forms on hand-made batches, auto weights, and gradient accumulation."""

from __future__ import annotations

import csv
import json
import math

import pytest
import torch
from safetensors.torch import load_file

from hydratune.config.errors import ConfigError
from hydratune.groups.data import ClassificationData
from hydratune.groups.data import files as data_files
from hydratune.groups.loss import (
    bce_loss,
    class_weight_tensor,
    cross_entropy_loss,
    focal,
    focal_loss,
    weighted_ce,
)
from hydratune.samples import sample_path

LOGITS = [[2.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 3.0], [1.0, 1.0, 1.0]]
LABELS = [0, 2, 2, 1]


def log_softmax(row: list[float], k: int) -> float:
    return row[k] - math.log(sum(math.exp(x) for x in row))


def test_weighted_cross_entropy_equals_the_closed_form():
    weights = [1.0, 2.0, 3.0]
    expected = -sum(
        weights[y] * log_softmax(row, y) for row, y in zip(LOGITS, LABELS, strict=True)
    ) / len(LABELS)
    got = cross_entropy_loss(
        {"logits": torch.tensor(LOGITS)}, torch.tensor(LABELS), class_weights=torch.tensor(weights)
    )
    assert got.item() == pytest.approx(expected, rel=1e-6)


def test_focal_loss_equals_the_closed_form_and_reduces_to_ce_at_gamma_zero():
    gamma = 2.0
    expected = -sum(
        (1 - math.exp(log_softmax(row, y))) ** gamma * log_softmax(row, y)
        for row, y in zip(LOGITS, LABELS, strict=True)
    ) / len(LABELS)
    logits, labels = torch.tensor(LOGITS), torch.tensor(LABELS)
    assert focal_loss(logits, labels, gamma=gamma).item() == pytest.approx(expected, rel=1e-6)
    assert focal_loss(logits, labels, gamma=0.0).item() == pytest.approx(
        cross_entropy_loss(logits, labels).item(), rel=1e-6
    )


def test_bce_is_the_mean_over_elements_with_pos_weight():
    logits, labels = [[1.0, -2.0], [0.5, 0.0]], [[1.0, 0.0], [0.0, 1.0]]
    pos_weight = [2.0, 1.0]

    def element(x, y, w):
        p = 1 / (1 + math.exp(-x))
        return -(w * y * math.log(p) + (1 - y) * math.log(1 - p))

    expected = (
        sum(
            element(x, y, pos_weight[j])
            for row, target in zip(logits, labels, strict=True)
            for j, (x, y) in enumerate(zip(row, target, strict=True))
        )
        / 4
    )
    got = bce_loss(torch.tensor(logits), torch.tensor(labels), pos_weight=torch.tensor(pos_weight))
    assert got.item() == pytest.approx(expected, rel=1e-6)


def test_losses_divide_by_the_accumulated_count_when_given():
    logits, labels = torch.tensor(LOGITS), torch.tensor(LABELS)
    per_batch = cross_entropy_loss(logits, labels)
    # Trainer passes the number of labels in all accumulated micro-batches, e.g. 8
    assert cross_entropy_loss(logits, labels, num_items_in_batch=8).item() == pytest.approx(
        per_batch.item() / 2
    )


def labelled(counts: list[int]) -> ClassificationData:
    from datasets import Dataset, DatasetDict

    labels = [k for k, n in enumerate(counts) for _ in range(n)]
    train = Dataset.from_dict({"text": ["x"] * len(labels), "labels": labels})
    return ClassificationData(DatasetDict(train=train, eval=train), "text", ["a", "b", "c"])


def test_auto_weights_are_inverse_frequency():
    weights = class_weight_tensor("auto", labelled([6, 3, 1]))
    assert weights.tolist() == pytest.approx([10 / 18, 10 / 9, 10 / 3])


def test_wrong_number_of_weights_names_both_numbers():
    with pytest.raises(ConfigError, match=r"has 2 weights but the data has 3 classes"):
        weighted_ce(labelled([1, 1, 1]), class_weights=[1, 2])
    with pytest.raises(ConfigError, match=r"has 4 weights but the data has 3 classes"):
        focal(labelled([1, 1, 1]), class_weights=[1, 2, 3, 4])


@pytest.fixture(scope="module")
def multilabel_files(tmp_path_factory):
    """The demo reviews tagged with their sentiment and 'long' / 'short': a multi-label task."""
    folder = tmp_path_factory.mktemp("multilabel")
    for split in ("train", "eval"):
        source = sample_path(f"demo_sentiment/{split}.csv")
        with open(source) as rows, open(folder / f"{split}.jsonl", "w") as out:
            for row in csv.DictReader(rows):
                tags = [row["label"], "long" if len(row["text"]) > 70 else "short"]
                out.write(json.dumps({"text": row["text"], "tags": tags}) + "\n")
    return folder


def multilabel_overrides(folder) -> list[str]:
    return [
        "data=files", f"data.train_files={folder}/train.jsonl",
        f"data.eval_files={folder}/eval.jsonl", "data.label_column=tags",
        "metrics=multilabel",
    ]  # fmt: skip


GA_RUN = [  # one optimizer step of plain SGD with lr 1: the weight change is minus the gradient
    "logger=none", "data.max_train_samples=32", "trainer.args.max_steps=1",
    "trainer.args.optim=sgd", "trainer.args.learning_rate=1.0",
    "trainer.args.lr_scheduler_type=constant", "trainer.args.warmup_steps=0",
    "trainer.args.weight_decay=0.0", "trainer.args.max_grad_norm=0",
    "trainer.args.eval_strategy=no", "trainer.args.save_strategy=no",
    "model.hidden_dropout_prob=0", "model.attention_probs_dropout_prob=0",
]  # fmt: skip


@pytest.mark.parametrize("loss", ["default", "weighted_ce", "focal", "bce"])
def test_gradient_accumulation_does_not_change_loss_or_gradients(
    loss, run_small, tmp_path, multilabel_files
):
    extra = [f"loss={loss}"]
    if loss == "bce":
        extra += multilabel_overrides(multilabel_files)
    elif loss == "weighted_ce":
        extra += ["loss.class_weights=[1,3]"]
    results = {}
    for batch, steps in ((16, 1), (8, 2)):
        run_dir, metrics = run_small(
            *GA_RUN, *extra,
            f"trainer.args.per_device_train_batch_size={batch}",
            f"trainer.args.gradient_accumulation_steps={steps}",
            run_dir=tmp_path / f"bs{batch}_ga{steps}",
        )  # fmt: skip
        results[steps] = (metrics["train_loss"], load_file(run_dir / "model" / "model.safetensors"))
    (loss_1, weights_1), (loss_2, weights_2) = results[1], results[2]
    assert loss_2 == pytest.approx(loss_1, rel=1e-5)
    for name, tensor in weights_1.items():
        assert torch.allclose(tensor, weights_2[name], atol=2e-6), name


def test_multilabel_run_reports_multilabel_metrics(run_small, multilabel_files):
    run_dir, metrics = run_small(*multilabel_overrides(multilabel_files), "loss=bce")
    for key in ("eval_f1_micro", "eval_f1_macro", "eval_precision_micro", "eval_recall_micro",
                "eval_exact_match", "eval_auroc"):  # fmt: skip
        assert key in metrics, key
    config = json.loads((run_dir / "model" / "config.json").read_text())
    assert config["problem_type"] == "multi_label_classification"
    assert config["id2label"] == {"0": "long", "1": "negative", "2": "positive", "3": "short"}


def test_auto_weights_are_recorded_in_run_json(run_small, tmp_path):
    run_dir, _ = run_small("logger=none", "loss=weighted_ce", "trainer.args.num_train_epochs=1")
    record = json.loads((run_dir / "run.json").read_text())
    counts = data_files(
        train_files=sample_path("demo_sentiment/train.csv"),
        eval_files=sample_path("demo_sentiment/eval.csv"),  # so no eval rows are split off train
        max_train_samples=96,
    ).label_counts()  # the same first 96 rows the run trained on
    expected = [sum(counts) / (2 * c) for c in counts]
    assert record["loss"]["class_weights"] == pytest.approx(expected)


def test_a_users_own_hook_works_by_dotted_path(run_small, tmp_path):
    # focal_loss is a plain hook function (no data argument): used as it is, gamma bound
    _, own = run_small(*GA_RUN, "loss._target_=hydratune.groups.loss.focal_loss", "+loss.gamma=0.0",
                       run_dir=tmp_path / "own")  # fmt: skip
    _, ce = run_small(*GA_RUN, "loss=default", run_dir=tmp_path / "ce")
    assert own["train_loss"] == pytest.approx(ce["train_loss"], rel=1e-6)
