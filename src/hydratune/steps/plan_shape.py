"""Which jobs of a sweep cost the same per sample (one *shape*), and how many steps, evaluations
and saves each job makes: the two halves of a plan's estimate.

A shape is the resolved config without the keys that change only the numbers (seed, learning
rate, loss weights, ...) or only how many steps a run takes (epochs, max_steps, the eval and
save schedule, how many rows it reads). Everything else (model, data, max_length, batch size,
precision, the trainer) may change the cost of a step, so it names the shape.
"""

from __future__ import annotations

import hashlib
import json
import math

# Keys (dotted, in the resolved config) that change neither the time nor the memory of a step.
NEUTRAL = (
    "seed", "run_name", "optimized_metric", "resume", "dry_run", "from_run", "plan",
    "plan_margin", "plan_steps", "plan_from", "snapshot_code", "generation.seed",
    "data.max_train_samples", "data.max_eval_samples", "data.seed", "loss.class_weights",
    "loss.gamma", "loss.label_smoothing", "logger", "callbacks", "hparams_search",
)  # fmt: skip
NEUTRAL_ARGS = (
    "learning_rate", "weight_decay", "warmup_steps", "warmup_ratio", "lr_scheduler_type",
    "adam_beta1", "adam_beta2", "adam_epsilon", "max_grad_norm", "seed", "data_seed",
    "num_train_epochs", "max_steps", "eval_strategy", "eval_steps", "save_strategy",
    "save_steps", "save_total_limit", "logging_steps", "logging_first_step", "output_dir",
    "run_name", "report_to", "disable_tqdm", "do_train", "do_eval", "do_predict",
    "gradient_accumulation_steps", "label_smoothing_factor", "load_best_model_at_end",
    "metric_for_best_model", "greater_is_better",
)  # fmt: skip


def shape_key(resolved: dict) -> str:
    """A short hash of what decides a step's cost (``resolved``: the job's resolved config)."""
    kept = json.loads(json.dumps(resolved, default=str))  # a deep copy of plain values
    for dotted in NEUTRAL:
        _drop(kept, dotted.split("."))
    for name in NEUTRAL_ARGS:
        _drop(kept, ["trainer", "args", name])
    text = json.dumps(kept, sort_keys=True)
    return hashlib.sha1(text.encode()).hexdigest()[:10]


def _drop(tree: dict, path: list[str]) -> None:
    for key in path[:-1]:
        tree = tree.get(key) if isinstance(tree, dict) else None
    if isinstance(tree, dict):
        tree.pop(path[-1], None)


def schedule(args: dict, batches_per_epoch: int, eval_rows: int, evaluate: bool) -> dict:
    """Optimizer steps, samples trained, evaluations and saves of a run, as Trainer counts
    them: ``batches_per_epoch`` (per process) are its train dataloader's length."""
    accumulation = int(args.get("gradient_accumulation_steps") or 1)
    per_epoch = max(math.ceil(batches_per_epoch / accumulation), 1)
    max_steps = int(args.get("max_steps") or -1)
    epochs = float(args.get("num_train_epochs") or 0)
    steps = max_steps if max_steps > 0 else math.ceil(epochs * per_epoch)
    epochs_run = math.ceil(steps / per_epoch)
    evals = _events(args.get("eval_strategy"), args.get("eval_steps") or args.get("logging_steps"),
                    steps, epochs_run) if eval_rows else 0  # fmt: skip
    saves = _events(args.get("save_strategy"), args.get("save_steps"), steps, epochs_run)
    return {
        "steps": steps if args.get("do_train", True) else 0,
        "micro_batches": min(steps * accumulation, epochs_run * batches_per_epoch),
        "evaluations": evals + int(evaluate),  # the pipeline's final evaluate
        "saves": saves,
        "kept_checkpoints": min(saves, int(args.get("save_total_limit") or saves)),
    }


def _events(strategy, every, steps: int, epochs: int) -> int:
    """How many times an ``eval_strategy`` / ``save_strategy`` fires in ``steps`` steps."""
    strategy = str(strategy or "no").lower()
    if strategy == "epoch":
        return epochs
    if strategy == "steps" and every:
        every = float(every)
        interval = math.ceil(every * steps) if every < 1 else int(every)  # < 1: a fraction
        return steps // max(interval, 1)
    return 0
