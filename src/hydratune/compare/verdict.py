"""Which setting wins: runs grouped by setting (every varied override but the seeds), each
metric's mean with its interval over seeds, every setting against a baseline paired over the
seeds both ran, and a one-line verdict per setting.

    from hydratune.compare import compare
    from hydratune.compare.verdict import analyse
    result = analyse(compare(["multirun/DATE/TIME"]), baseline="loss=default")
    print(result["verdicts"]["eval_accuracy"])

The result is plain JSON (``compare.json``): every number the console shows.
"""

from __future__ import annotations

import math

import pandas as pd

from hydratune.compare import stats
from hydratune.compare.runs import CompareError, Comparison, lower_is_better
from hydratune.compare.runs import fmt as _fmt
from hydratune.compare.runs import is_number as _is_number
from hydratune.compare.table import main_metrics

MIN_SEEDS = 3  # below this an interval is mostly the t quantile (t(1) = 12.7): no verdict
DETECT = 0.01  # the effect "about N seeds would detect" speaks of, in the metric's units


def analyse(comparison: Comparison, baseline: str | None = None, metrics=None,
            detect: float = DETECT, confidence: float = stats.CONFIDENCE) -> dict:  # fmt: skip
    """Settings, their intervals, contrasts against the baseline and verdicts, as JSON."""
    groups = settings(comparison)
    if not groups:
        raise CompareError("No completed runs with metrics: nothing to compare statistically.")
    metrics = list(metrics or _metrics(comparison))
    chosen = pick_baseline(groups, baseline, comparison.metric)
    result = {
        "confidence": confidence, "seed_keys": comparison.seeds, "params": comparison.params,
        "primary_metric": comparison.metric, "baseline": chosen, "detect": detect,
        "settings": [], "contrasts": [], "verdicts": {},
    }  # fmt: skip
    for label, runs in groups.items():
        entry = {"setting": label, "values": _values(runs, comparison.params), "metrics": {}}
        for metric in metrics:
            values = runs[metric].dropna()
            if values.empty:
                continue
            interval = stats.mean_interval(values, confidence).as_dict()
            interval.update(min=float(values.min()), max=float(values.max()),
                            seeds=_seeds(runs.loc[values.index], comparison.seeds))  # fmt: skip
            entry["metrics"][metric] = interval
        result["settings"].append(entry)
    for metric in metrics:
        lines = []
        for label, runs in groups.items():
            if label == chosen:
                continue
            found = contrast(runs, groups[chosen], metric, comparison.seeds, confidence)
            found.update(setting=label, baseline=chosen, metric=metric)
            found["verdict"] = verdict(found, lower_is_better(metric), detect, confidence)
            result["contrasts"].append(found)
            lines.append(f"{label}: {found['verdict']}")
        result["verdicts"][metric] = lines
    return result


def settings(comparison: Comparison) -> dict[str, pd.DataFrame]:
    """label (``loss=weighted_ce, lr=0.001``) -> its completed runs, in the settings' order."""
    done = comparison.table[comparison.table["status"] == "completed"]
    if done.empty:
        return {}
    params = comparison.params
    if not params:
        return {"all runs": done.sort_values(comparison.seeds, kind="stable")}
    keys = sorted({tuple(row) for row in done[params].itertuples(index=False)}, key=_order)
    found = {}
    for key in keys:
        mask = pd.Series(True, index=done.index)
        for param, value in zip(params, key, strict=True):
            mask &= done[param].map(_fmt) == _fmt(value)
        runs = (
            done[mask].sort_values(comparison.seeds, kind="stable")
            if comparison.seeds
            else done[mask]
        )
        found[", ".join(f"{p}={_fmt(v)}" for p, v in zip(params, key, strict=True))] = runs
    return found


def pick_baseline(groups: dict, baseline: str | None, metric: str | None) -> str:
    """``None``/``first``: the first setting; ``best``: the best mean of ``metric``; else the
    setting whose label is it or holds it as one ``key=value`` (or as a value alone)."""
    labels = list(groups)
    if baseline in (None, "first"):
        return labels[0]
    if baseline == "best":
        if metric is None:
            raise CompareError("--baseline best needs a metric (--metric)")
        means = {label: runs[metric].mean() for label, runs in groups.items()}
        ranked = sorted((v, k) for k, v in means.items() if not math.isnan(v))
        return (ranked[0] if lower_is_better(metric) else ranked[-1])[1]
    matches = [
        label for label in labels
        if baseline == label or baseline in label.split(", ")
        or baseline in [part.split("=", 1)[1] for part in label.split(", ")]
    ]  # fmt: skip
    if len(matches) != 1:
        how = "matches several" if matches else "matches none"
        raise CompareError(
            f"--baseline {baseline!r} {how} of the settings: choose one of {labels} "
            "(or first, best)."
        )
    return matches[0]


def contrast(runs, base, metric: str, seed_columns: list[str], confidence: float) -> dict:
    """Paired over shared seeds when at least MIN_SEEDS are shared, else Welch (with why)."""
    a, b = _by_seed(runs, metric, seed_columns), _by_seed(base, metric, seed_columns)
    shared = [s for s in a if s in b]
    found = {"n_setting": len(a), "n_baseline": len(b), "shared_seeds": shared, "reason": None}
    if len(shared) >= MIN_SEEDS or (shared and len(shared) == min(len(a), len(b))):
        result = stats.paired([a[s] for s in shared], [b[s] for s in shared], confidence)
    else:
        result = stats.welch(list(a.values()), list(b.values()), confidence)
        found["reason"] = (
            f"only {len(shared)} seed(s) shared, so the runs are compared unpaired (Welch)"
        )
    found.update(result.as_dict())
    return found


def verdict(found: dict, lower: bool, detect: float, confidence: float) -> str:
    """One line: who wins by how much with its interval and p, or why there is no verdict."""
    n, diff, p = found["n"], found["difference"], found["p_t"]
    setting, base, metric = found["setting"], found["baseline"], found["metric"]
    unpaired = found["test"] == "welch"
    seeds = (f"{found['n_setting']} vs {found['n_baseline']} unpaired seeds"
             if unpaired else f"{n} paired seeds")  # fmt: skip
    if n < MIN_SEEDS or p is None:
        return (f"too few seeds for a verdict ({seeds}; need {MIN_SEEDS}): difference "
                f"{diff:+.3g}")  # fmt: skip
    why = f" ({found['reason']})" if found["reason"] else ""
    flip = f", sign-flip p={found['p_sign_flip']:.2g}" if found["p_sign_flip"] is not None else ""
    if p < 1 - confidence:
        better = (diff < 0) if lower else (diff > 0)
        # p < alpha: the interval excludes 0, so its bounds' sizes bound the gain (or loss)
        gain = sorted(abs(x) for x in (found["low"], found["high"]))
        word = "beats" if better else "is worse than"
        direction = " (lower is better)" if lower else ""
        size = f"{abs(diff):.3g} [{gain[0]:.3g}, {gain[1]:.3g}]{direction}"
        return f"{setting} {word} {base} on {metric} by {size}, p={p:.2g}{flip}, {seeds}{why}"
    needed = stats.seeds_to_detect(found["sd"], detect, confidence)
    needed = needed and max(needed, MIN_SEEDS)  # never fewer than a verdict needs
    about = (f"; about {needed} seeds would detect {detect:g} at this spread" if needed
             else "")  # fmt: skip
    return (f"no detectable difference on {metric}: {diff:+.3g} [{found['low']:+.3g}, "
            f"{found['high']:+.3g}], p={p:.2g}{flip}, {seeds}{why}{about}")  # fmt: skip


def _by_seed(runs: pd.DataFrame, metric: str, seed_columns: list[str]) -> dict:
    """seed (tuple of the seed columns) -> value; without seed columns each run is its own."""
    out = {}
    for index, row in runs.iterrows():
        value = row[metric]
        if not _is_number(value) or math.isnan(value):
            continue
        key = tuple(_fmt(row[c]) for c in seed_columns) if seed_columns else ("run", index)
        out.setdefault(key, float(value))  # a repeated seed: its first run
    return out


def _seeds(runs: pd.DataFrame, seed_columns: list[str]) -> list[str]:
    return [",".join(_fmt(row[c]) for c in seed_columns) for _, row in runs.iterrows()]


def _values(runs: pd.DataFrame, params: list[str]) -> dict:
    row = runs.iloc[0]
    return {p: (row[p] if _is_number(row[p]) else _fmt(row[p])) for p in params}


def _metrics(comparison: Comparison) -> list[str]:
    chosen = [m for m in main_metrics(comparison) if comparison.table[m].notna().any()]
    if comparison.metric in chosen:  # the primary metric first
        chosen.remove(comparison.metric)
        chosen.insert(0, comparison.metric)
    return chosen


def _order(key: tuple) -> tuple:
    """Numbers as numbers (1e-4 before 1e-3), then text; a default (empty) value first."""
    return tuple((0, v, "") if _is_number(v) and not math.isnan(v) else (1, 0, _fmt(v))
                 for v in key)  # fmt: skip
