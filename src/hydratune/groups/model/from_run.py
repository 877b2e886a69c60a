"""The ``model`` node that ``from_run=`` puts in place (:func:`hydratune.config.from_run.inherit`):
a finished run's saved model (full weights, a LoRA adapter on its base, or a ``model=custom``
module) with its tokenizer, its labels checked against the data's."""

from __future__ import annotations

from pathlib import Path

from hydratune.config.errors import ConfigError
from hydratune.config.kinds import CLASSIFIERS, Kind


def model(data, load_weights: bool = True, *, path: str):
    """The saved model of a run (or checkpoint) and its tokenizer; its labels must be the
    data's. ``load_weights`` is accepted for dry runs, which load these (small) weights too."""
    from transformers import AutoTokenizer

    model_dir = Path(path)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    if (model_dir / "hydratune_module.json").exists():
        import json

        from hydratune.groups.model import SPEC_FILE, load_custom

        spec = json.loads((model_dir / SPEC_FILE).read_text())
        check_labels(spec["label_config"].get("id2label"), data, model_dir)
        return load_custom(str(model_dir)), tokenizer
    if (model_dir / "adapter_config.json").exists():
        return _adapter(model_dir, data), tokenizer
    return _full(model_dir, data), tokenizer


def _full(model_dir: Path, data):
    from transformers import AutoConfig

    from hydratune.groups.model import model_class

    config = AutoConfig.from_pretrained(model_dir)
    auto_class, _ = model_class("auto", data)
    if data.kind != Kind.CAUSAL_LM:
        check_labels(config.id2label, data, model_dir)
    return auto_class.from_pretrained(model_dir)


def _adapter(model_dir: Path, data):
    """An adapter on its base: ``model/base/`` beside it, or (a checkpoint of a LoRA run) the
    run's ``model/base/``."""
    from transformers import AutoConfig

    from hydratune.groups.peft import BASE_DIR, load_adapter

    base_dir = model_dir / BASE_DIR
    if not base_dir.is_dir() and (model_dir.parent.parent / "model" / BASE_DIR).is_dir():
        base_dir = model_dir.parent.parent / "model" / BASE_DIR
    if data.kind != Kind.CAUSAL_LM and base_dir.is_dir():
        check_labels(AutoConfig.from_pretrained(base_dir).id2label, data, model_dir)
    return load_adapter(model_dir, base_dir if base_dir.is_dir() else None, is_trainable=True)


def check_labels(id2label: dict | None, data, model_dir: Path) -> None:
    """The data's label names, in order, must be the ones the model was trained on."""
    if data.kind not in CLASSIFIERS or not id2label:  # a classifier's labels only
        return
    names = [str(id2label[k]) for k in sorted(id2label, key=int)]
    if names != list(data.label_names):
        raise ConfigError(
            f"The model in {model_dir} was trained on the labels {names}, but this data has "
            f"{list(data.label_names)}. Use data with the model's labels, or fix their names "
            f"and order with data.label_names='{names}'."
        )
