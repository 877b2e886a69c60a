"""Every trainer.args field that the model's own loss applies is applied by our losses, or
refused where a hook would drop it (issue 22)."""

from __future__ import annotations

import functools
import inspect
import json
import re
from types import SimpleNamespace

import pytest
import torch

from conftest import compose_config
from hydratune.config.errors import ConfigError
from hydratune.groups import loss

CLASSES = SimpleNamespace(kind="classification", num_labels=3, label_counts=lambda: [2, 1, 1])
MULTI = SimpleNamespace(kind="multilabel", num_labels=3)
# What Trainer.compute_loss still reads from args when a compute_loss_func replaces the model's
# loss: both apply to our hooks' result too. A new field here may be one the model loss applies.
STILL_APPLIED = {"average_tokens_across_devices", "n_gpu"}


def test_trainer_compute_loss_reads_no_field_we_have_not_judged():
    from transformers import Trainer

    source = inspect.getsource(Trainer.compute_loss)
    assert set(re.findall(r"self\.args\.(\w+)", source)) <= STILL_APPLIED
    # label_smoothing_factor acts through the model-loss branch only (LabelSmoother)
    assert "self.label_smoother(" in source and "compute_loss_func(" in source


def smoothed_reference(logits, labels, factor):
    from transformers.trainer_pt_utils import LabelSmoother

    return LabelSmoother(epsilon=factor)({"logits": logits}, labels)


@pytest.mark.parametrize(
    "hook",
    [
        loss.default(CLASSES),
        loss.weighted_ce(CLASSES, class_weights=[1, 1, 1]),
        loss.focal(CLASSES, gamma=0.0),
    ],
    ids=["default", "weighted_ce", "focal"],
)
def test_label_smoothing_factor_is_applied_by_our_losses_as_trainer_would(hook):
    torch.manual_seed(0)
    logits, labels = torch.randn(6, 3), torch.tensor([0, 1, 2, 0, 1, 1])
    smoothed = loss.with_label_smoothing(hook, 0.3, CLASSES)
    got = smoothed({"logits": logits}, labels, num_items_in_batch=6)
    assert torch.allclose(got, smoothed_reference(logits, labels, 0.3), atol=1e-6)
    assert not torch.allclose(got, hook({"logits": logits}, labels, num_items_in_batch=6))


def test_focal_keeps_its_modulation_under_label_smoothing():
    logits, labels = torch.tensor([[3.0, 0.0, 0.0], [0.0, 0.5, 0.0]]), torch.tensor([0, 1])
    focal = loss.with_label_smoothing(loss.focal(CLASSES, gamma=2.0), 0.2, CLASSES)
    plain_smoothed = smoothed_reference(logits, labels, 0.2)
    assert focal({"logits": logits}, labels) < plain_smoothed  # easy examples weigh less


def test_zero_factor_leaves_the_hook_alone():
    hook = loss.default(CLASSES)
    assert loss.with_label_smoothing(hook, 0.0, CLASSES) is hook
    assert loss.with_label_smoothing(None, 0.1, CLASSES) is None  # Trainer's LabelSmoother


def test_a_hook_without_label_smoothing_is_refused():
    with pytest.raises(ConfigError, match="would have no effect: the loss hook bce_loss"):
        loss.with_label_smoothing(loss.bce_loss, 0.1, CLASSES)


def test_a_users_hook_taking_label_smoothing_gets_it():
    def mine(outputs, labels, num_items_in_batch=None, label_smoothing=0.0):
        return torch.tensor(label_smoothing)

    bound = loss.with_label_smoothing(mine, 0.25, CLASSES)
    assert isinstance(bound, functools.partial) and float(bound(None, None)) == 0.25


def test_multilabel_label_smoothing_is_refused_not_dropped():
    with pytest.raises(ConfigError, match="has no multi-label form"):
        loss.with_label_smoothing(loss.bce(MULTI), 0.1, MULTI)


def test_the_run_binds_the_factor_and_records_it(tmp_path):
    from hydratune.pipeline import run

    cfg = compose_config(
        "dry_run=true", "loss=weighted_ce", "+trainer.args.label_smoothing_factor=0.2"
    )
    run(cfg, run_dir=tmp_path / "dry")
    record = json.loads((tmp_path / "dry" / "run.json").read_text())
    assert record["loss"]["label_smoothing"] == 0.2
