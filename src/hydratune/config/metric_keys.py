"""Metric names a run can select on, checked against what its metrics group produces.

``trainer.args.metric_for_best_model`` and ``callbacks.metric`` name an eval metric; Trainer
looks it up after the first evaluation, so a name the run never produces fails an epoch in (or
never, when nothing reads it). Metrics builders declare the keys they return with
:func:`produces`; the check is derived from that declaration: the ``eval_`` prefix is optional,
and Trainer's own keys (``loss``, ``runtime``...) are always there. A builder that declares
nothing (a user's own) is not checked.
"""

from __future__ import annotations

import difflib

from omegaconf import DictConfig

# What Trainer.evaluate returns whatever the metrics (eval_loss when the data has labels).
TRAINER_KEYS = ("loss", "runtime", "samples_per_second", "steps_per_second")
GENERATION_KEYS = ("gen_rougeL", "gen_bleu")  # SFT samples scored at each eval (every_eval)


def produces(*keys: str):
    """Declare the keys a metrics builder's ``compute_metrics`` returns (without ``eval_``)."""

    def declare(builder):
        builder.metric_keys = tuple(keys)
        return builder

    return declare


def declared_keys(builder) -> tuple[str, ...] | None:
    return getattr(builder, "metric_keys", None)


def metric_name_problems(cfg: DictConfig) -> list[str]:
    """Every metric name the config selects on that the run would never produce."""
    from hydratune.config.nodes import locate

    target = (cfg.get("metrics") or {}).get("_target_")
    try:
        keys = declared_keys(locate(target)) if target else ()
    except Exception:  # noqa: BLE001  an unimportable target is validation's to report
        return []
    if keys is None:
        return []
    generation = cfg.get("generation") or {}
    known = [*TRAINER_KEYS, *keys, *(GENERATION_KEYS if generation.get("every_eval") else ())]
    chosen = {
        "trainer.args.metric_for_best_model": (cfg.trainer.get("args") or {}).get(
            "metric_for_best_model"
        ),
        "callbacks.metric": (cfg.get("callbacks") or {}).get("metric"),
    }
    return [
        _problem(key, name, known, target)
        for key, name in chosen.items()
        if isinstance(name, str) and name.removeprefix("eval_") not in known
    ]


def _problem(key: str, name: str, known: list[str], target: str) -> str:
    options = [f"eval_{k}" for k in known]
    close = difflib.get_close_matches(name if name.startswith("eval_") else f"eval_{name}", options)
    hint = f" Did you mean {close}?" if close else ""
    return (
        f"{key}={name} is not a metric this run produces.{hint} The metrics "
        f"({target.rsplit('.', 1)[-1]}) give {options}; choose one, or metrics=... that "
        "computes it."
    )
