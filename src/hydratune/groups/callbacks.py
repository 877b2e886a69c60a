"""The ``callbacks`` group: TrainerCallbacks for the run, beside the checkpoint marker.

``none`` adds nothing; ``early_stopping`` stops when the eval metric has not improved for
``patience`` evaluations and keeps the best checkpoint's weights. Both take ``extra``: your own
callbacks by ``_target_`` (``callbacks.extra='[{_target_: my_pkg.MyCallback}]'``).

Builders take the run's ``args`` (the ``trainer.args`` dict, before TrainingArguments exists):
early stopping fills in the settings it needs that were left unset, and a setting that
contradicts it is a :class:`ConfigError` before any weights load, not an assertion in
transformers mid-run.
"""

from __future__ import annotations

import logging

from hydratune.config.errors import ConfigError

log = logging.getLogger("hydratune")


def none(args: dict | None = None, *, extra: list | None = None) -> list:
    """No callbacks of ours (only ``extra``)."""
    return own_callbacks(extra)


def early_stopping(
    args: dict,
    *,
    patience: int = 3,
    threshold: float = 0.0,
    metric: str = "eval_loss",
    extra: list | None = None,
) -> list:
    """transformers' EarlyStoppingCallback, with ``load_best_model_at_end`` and
    ``metric_for_best_model`` set and the eval/save strategies checked to match; it logs the
    step it stopped at and the checkpoint the run keeps."""
    if patience < 1:
        raise ConfigError(f"callbacks.patience={patience} must be at least 1.")
    complete_args(args, metric)
    stop = logged_early_stopping()(patience, early_stopping_threshold=threshold)
    return [stop, *own_callbacks(extra)]


def logged_early_stopping() -> type:
    """EarlyStoppingCallback that says when it stopped (step, metric, best value) and, at the
    end, which checkpoint's weights the run keeps. It keeps the library's class name: Trainer
    restores a callback's state on resume by class name."""
    from transformers import EarlyStoppingCallback as Library

    class EarlyStoppingCallback(Library):
        def on_evaluate(self, args, state, control, metrics, **kwargs):
            super().on_evaluate(args, state, control, metrics, **kwargs)
            if self.early_stopping_patience_counter >= self.early_stopping_patience:
                name = args.metric_for_best_model
                name = name if name.startswith("eval_") else f"eval_{name}"
                log.info(
                    "Early stopping at step %d: %s=%.4g has not improved on the best, %.4g, "
                    "for %d evaluations", state.global_step, name, metrics.get(name),
                    state.best_metric, self.early_stopping_patience_counter,
                )  # fmt: skip

        def on_train_end(self, args, state, control, **kwargs):
            if state.best_model_checkpoint:
                log.info(
                    "Kept the best checkpoint, %s (step %s, %s=%.4g): model/ holds its weights",
                    state.best_model_checkpoint, state.best_global_step,
                    args.metric_for_best_model, state.best_metric,
                )  # fmt: skip

    return EarlyStoppingCallback


def complete_args(args: dict, metric: str) -> None:
    """Set what early stopping needs where unset; say which setting conflicts otherwise."""
    problems = []
    if args.get("load_best_model_at_end") is False:
        problems.append(
            "trainer.args.load_best_model_at_end=false: early stopping keeps the best model; "
            "drop the override (callbacks=early_stopping sets it true)"
        )
    chosen = args.get("metric_for_best_model")
    if chosen and chosen.removeprefix("eval_") != metric.removeprefix("eval_"):
        problems.append(
            f"trainer.args.metric_for_best_model={chosen} but callbacks.metric={metric}: "
            "set one of them only"
        )
    evaluation, saving = args.get("eval_strategy", "no"), args.get("save_strategy", "steps")
    if evaluation in (None, "no"):
        problems.append(
            "trainer.args.eval_strategy=no: early stopping needs evaluations; use "
            "eval_strategy=epoch or steps"
        )
    elif saving != "best" and saving != evaluation:
        problems.append(
            f"trainer.args.eval_strategy={evaluation} but save_strategy={saving}: the best "
            "model can only be kept if they match (or save_strategy=best)"
        )
    elif evaluation == "steps" and saving == "steps":
        every = args.get("eval_steps") or args.get("logging_steps") or 500
        if args.get("save_steps", 500) % every:
            problems.append(
                f"trainer.args.save_steps={args.get('save_steps')} is not a multiple of "
                f"eval_steps={every}"
            )
    if problems:
        listed = "; ".join(problems)
        raise ConfigError(f"callbacks=early_stopping: {listed}.")
    args["load_best_model_at_end"] = True
    args["metric_for_best_model"] = chosen or metric
    if args.get("greater_is_better") is None:
        args["greater_is_better"] = not metric.removeprefix("eval_").endswith("loss")


def own_callbacks(extra: list | None) -> list:
    """Your callbacks: Hydra has built each ``_target_`` node of ``extra`` already (a
    TrainerCallback instance, or its class, which Trainer builds itself)."""
    from transformers import TrainerCallback

    for item in extra or []:
        fits = isinstance(item, TrainerCallback) or (
            isinstance(item, type) and issubclass(item, TrainerCallback)
        )
        if not fits:
            raise ConfigError(
                f"callbacks.extra: {item!r} is not a TrainerCallback; give each item a "
                "_target_ naming a TrainerCallback subclass, e.g. [{_target_: my_pkg.MyCallback}]."
            )
    return list(extra or [])
