"""What an evaluate- or predict-only ``from_run=`` run reads (:func:`data_for_modes`).

Such a run trains nothing, so the finished run's training file is not read (nor checked against
this command's column options), nor its eval file when the run predicts new test files only; the
class names come from the model (its ``id2label``), not from a train split. A split the command
line names is still read.
"""

from __future__ import annotations

import json
from pathlib import Path

from omegaconf import DictConfig, open_dict

from hydratune.config.kinds import CLASSIFIERS, node_data_kinds

SPLIT_KEYS = {  # our data builders' keys for a split
    "train": ("train_files", "train_split"),
    "eval": ("eval_files", "eval_split"),
    "test": ("test_files", "test_split"),
}
_CLASSIFIER_PROBLEMS = ("single_label_classification", "multi_label_classification")


def data_for_modes(cfg: DictConfig, model_dir: Path, named: list[str]) -> None:
    """Not training: drop the train split and take the labels from the saved model, unless
    the command line (``named``: its keys) says otherwise. Edits ``cfg.data`` in place."""
    if cfg.trainer.args.get("do_train", True) or "data" not in cfg:
        return
    data = cfg.data
    with open_dict(data):
        for split in unused_splits(cfg.trainer.args, named):
            for key in SPLIT_KEYS[split]:
                if key in data and f"data.{key}" not in named:
                    data[key] = None
        if _reads_labels(cfg) and "data.label_names" not in named:
            names, multi = saved_labels(model_dir)
            if names:
                data.label_names = names
                if "data.multi_label" not in named:
                    data.multi_label = multi


def unused_splits(args, named: list[str]) -> list[str]:
    """The splits a run that does not train leaves unread: train; eval when ``do_eval`` is
    false, or left null while the command line names new test files (and no eval files) and
    new columns to read them by, which the run's old eval file need not have."""
    unused = ["train"]
    names_test = any(f"data.{key}" in named for key in SPLIT_KEYS["test"])
    names_eval = any(f"data.{key}" in named for key in SPLIT_KEYS["eval"])
    names_columns = any(key.startswith("data.") and key.endswith("_column") for key in named)
    do_eval = args.get("do_eval")
    new_columns = names_test and names_columns and not names_eval
    if do_eval is False or (do_eval is None and new_columns):
        unused.append("eval")
    return unused


def _reads_labels(cfg: DictConfig) -> bool:
    """The data node takes class names and the trainer trains a classifier."""
    kinds = node_data_kinds(cfg.trainer)
    return "label_names" in cfg.data and (not kinds or bool(set(kinds) & set(CLASSIFIERS)))


def saved_labels(model_dir: Path) -> tuple[list[str] | None, bool]:
    """The class names (in id order) and multi-label flag a saved classifier was trained on:
    ``config.json`` (an adapter's: its base's), or a ``model=custom`` module's spec."""
    for path in (model_dir / "config.json", model_dir / "base" / "config.json"):
        if path.exists():
            return _labels_of(json.loads(path.read_text()))
    spec = model_dir / "hydratune_module.json"
    if spec.exists():
        return _labels_of(json.loads(spec.read_text()).get("label_config", {}))
    return None, False


def _labels_of(config: dict) -> tuple[list[str] | None, bool]:
    """Only a classifier's names: every config has an ``id2label`` (LABEL_0, LABEL_1 by
    default), so a model without a classification ``problem_type`` gives none."""
    problem = config.get("problem_type")
    id2label = config.get("id2label")
    if problem not in _CLASSIFIER_PROBLEMS or not id2label:
        return None, False
    names = [str(id2label[key]) for key in sorted(id2label, key=int)]
    return names, problem == "multi_label_classification"
