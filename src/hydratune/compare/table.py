"""The comparison table: one row per run dir, the overrides that vary as columns, status and
metrics.

Reads only what each run wrote (``run.json``, ``metrics.json``, ``log_history.json``), so it
works offline, on a sweep that is still running, and on sweeps where some jobs failed.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pandas as pd

from hydratune.compare.runs import (
    CompareError,
    Comparison,
    common_dir,
    find_runs,
    fmt,
    load_run,
    lower_is_better,
    n_runs,
)

# Trainer reports speed under eval_* too; it says nothing about the model.
SPEED_SUFFIXES = ("_runtime", "_samples_per_second", "_steps_per_second")
RESERVED = ("run", "status", "error", "runtime_s", "started_at", "wandb_run_id", "run_dir")
# the plan's estimate beside what the run measured (run.json: plan_estimate, measured_peak_*)
PLANNED = ("est_runtime_s", "peak_memory_mb", "est_peak_memory_mb")


def compare(paths, metric=None, sort=None, ascending=None, metrics=None) -> Comparison:
    """Load every run under ``paths`` into one table, sorted best first by ``metric``."""
    runs = find_runs(paths)
    base = common_dir(runs)
    records = [load_run(run_dir, base) for run_dir in runs]
    built = build_table(records)
    chosen_metric = _column(built, metric) if metric else primary_metric(built.table)
    sort_key = _column(built, sort) if sort else chosen_metric
    if ascending is None:  # metrics best first; overrides and names in their natural order
        is_metric = sort_key not in ("run", "status", "error", *built.names.values())
        ascending = lower_is_better(sort_key) if is_metric and sort_key else True
    sorted_ = replace(
        built, table=sort_table(built.table, sort_key, ascending), metric=chosen_metric
    )
    chosen = [_column(sorted_, m) for m in metrics] if metrics else main_metrics(sorted_)
    return replace(sorted_, shown=_shown_columns(sorted_, chosen))


def varied_overrides(records: list[dict]) -> tuple[list[str], dict[str, str]]:
    """Override keys whose value differs between runs, and the shared ones with their value."""
    keys = list(dict.fromkeys(k for r in records for k in r["overrides"]))
    values = {k: [r["overrides"].get(k) for r in records] for k in keys}
    varied = [k for k in keys if len(set(values[k])) > 1]
    constant = {k: v[0] for k, v in values.items() if k not in varied}
    return varied, constant


def build_table(records: list[dict]) -> Comparison:
    varied, constant = varied_overrides(records)
    seeds = [k for k in varied if _is_seed(k)]
    varied = [k for k in varied if k not in seeds] + seeds  # seeds last: rows group by setting
    names = short_names(varied)
    rows = []
    for r in records:
        row = {"run": r["run"], **{names[k]: r["overrides"].get(k) for k in varied}}
        row.update(status=r["status"], error=r["error"], **r["metrics"])
        row.update({k: r[k] for k in (*RESERVED[3:], *PLANNED)})
        rows.append(row)
    table = pd.DataFrame(rows)
    for column in names.values():
        table[column] = _maybe_numeric(table[column])
    metric_columns = order_metrics({k for r in records for k in r["metrics"]})
    fixed = ["run", *names.values(), "status", "error"]
    table = table[fixed + metric_columns + list(RESERVED[3:]) + list(PLANNED)]
    params = [names[k] for k in varied if k not in seeds]
    return Comparison(table, params, [names[k] for k in seeds], names, constant)


def short_names(keys: list[str]) -> dict[str, str]:
    """``trainer.args.learning_rate`` -> ``learning_rate``: the shortest suffix no other key has."""
    names = {}
    for key in keys:
        parts = key.split(".")
        for n in range(1, len(parts) + 1):
            name = ".".join(parts[-n:])
            clashes = [k for k in keys if k == name or k.endswith("." + name)]
            if len(clashes) == 1 and name not in RESERVED:
                break
        names[key] = name
    return names


def order_metrics(keys) -> list[str]:
    """Main metrics first (losses, then eval/test quality metrics), then the rest by name."""
    main = [k for k in ("train_loss", "eval_loss", "test_loss") if k in keys]
    quality = sorted(
        k
        for k in keys
        if k.startswith(("eval_", "test_")) and not k.endswith(SPEED_SUFFIXES) and k not in main
    )
    return main + quality + sorted(set(keys) - set(main) - set(quality))


def main_metrics(comparison: Comparison) -> list[str]:
    columns = comparison.table.columns
    keys = [k for k in columns if k not in RESERVED and k not in comparison.names.values()]
    quality = [
        k for k in keys if k.startswith(("eval_", "test_")) and not k.endswith(SPEED_SUFFIXES)
    ]
    return [k for k in ("train_loss",) if k in keys] + quality


def primary_metric(table: pd.DataFrame) -> str | None:
    """eval_accuracy where runs have it, else eval_loss, else none (nothing completed)."""
    for name in ("eval_accuracy", "eval_loss"):
        if name in table and table[name].notna().any():
            return name
    return None


def sort_table(table: pd.DataFrame, key: str | None, ascending: bool = True) -> pd.DataFrame:
    """Rows by ``key``; runs without a value (failed, running) last either way."""
    if key is None:
        return table
    ordered = table.sort_values(
        key, ascending=ascending, na_position="last", kind="stable", key=_natural_column
    )
    return ordered.reset_index(drop=True)


def _natural_column(column: pd.Series) -> pd.Series:
    """Run names (job numbers) in numeric order, 2 before 10; other columns as they are."""
    if column.name != "run":
        return column
    return column.map(lambda name: re.sub(r"\d+", lambda m: m.group().zfill(12), str(name)))


def aggregate_seeds(comparison: Comparison, metric: str | None = None) -> pd.DataFrame:
    """Mean, std, min, max and count of the metric over seeds, per setting of the other params."""
    metric = metric or comparison.metric
    done = comparison.table.dropna(subset=[metric])
    by = comparison.params or ["setting"]
    if not comparison.params:
        done = done.assign(setting="all runs")
    stats = done.groupby(by, dropna=False)[metric].agg(["mean", "std", "min", "max", "count"])
    return stats.rename(columns={"count": "n"}).reset_index()


def report(comparison: Comparison) -> str:
    """The table as text: counts per status, shared overrides, rows, and the seed aggregate."""
    table = comparison.table
    counts = ", ".join(f"{n} {s}" for s, n in table["status"].value_counts(sort=False).items())
    lines = [f"{n_runs(len(table))}: {counts}"]
    if comparison.constant:
        shared = " ".join(f"{k}={v}" for k, v in comparison.constant.items())
        lines.append(f"same in all runs: {shared}")
    shown = table[comparison.shown].copy()
    for column in comparison.names.values():  # an override a run did not set: its default
        if shown[column].isna().any():
            shown[column] = shown[column].map(fmt)
    lines += ["", _to_text(shown)]
    if comparison.metric and comparison.seeds:
        better = "lower" if lower_is_better(comparison.metric) else "higher"
        lines += ["", f"{comparison.metric} over seeds ({better} is better):"]
        lines.append(_to_text(aggregate_seeds(comparison)))
    return "\n".join(lines)


def _to_text(frame: pd.DataFrame) -> str:
    return frame.to_string(index=False, na_rep="", float_format=lambda v: f"{v:.4g}")


def _shown_columns(comparison: Comparison, metrics: list[str]) -> list[str]:
    table = comparison.table
    errors = ["error"] if table["error"].notna().any() else []
    planned = [c for c in PLANNED if table[c].notna().any()]  # shown when a run has them
    return ["run", *comparison.names.values(), "status", *errors, *metrics, "runtime_s", *planned]


def _column(comparison: Comparison, name: str) -> str:
    """A column by its name or by the full override key (``trainer.args.learning_rate``)."""
    name = comparison.names.get(name, name)
    if name not in comparison.table.columns:
        choices = ", ".join(c for c in comparison.table.columns if c != "run_dir")
        raise CompareError(f"No column {name!r} in these runs; choose from: {choices}")
    return name


def _maybe_numeric(column: pd.Series) -> pd.Series:
    """Numbers sort and group as numbers (1e-4 < 1e-3); anything else stays as typed."""
    numbers = pd.to_numeric(column, errors="coerce")
    return numbers if numbers.notna().sum() == column.notna().sum() else column


def _is_seed(key: str) -> bool:
    return key.rsplit(".", 1)[-1] == "seed"
