"""compare.png: the primary metric per varied parameter (seeds as the mean and its 95% t
interval), then the training-loss curves of every run, with each setting's mean curve and band
when seeds vary."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import pandas as pd

from hydratune.compare.bands import draw_band
from hydratune.compare.runs import (
    Comparison,
    as_tuple,
    fmt,
    is_number,
    lower_is_better,
    missing,
    n_runs,
    read_json,
)
from hydratune.compare.stats import mean_interval

LINE_STYLES = ("-", "--", ":", "-.")


def plot(comparison: Comparison, path: Path) -> None:
    """The primary metric per varied parameter (seeds as mean and min-max), then loss curves."""
    figure(comparison).savefig(path, dpi=110)


def figure(comparison: Comparison):
    """The figure :func:`plot` saves."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    metric = comparison.metric
    has_metric = metric is not None and comparison.table[metric].notna().any()
    panels = (comparison.params or [None]) if has_metric else []
    curves = _loss_curves(comparison)
    cells = len(panels) + bool(curves)
    ncols = max(1, min(cells, 3))
    nrows = max(1, math.ceil(cells / ncols))
    fig = Figure(figsize=(max(8, 5.5 * ncols), 0.6 + 5 * nrows), layout="constrained")
    FigureCanvasAgg(fig)  # Agg: renders without a display and without pyplot's global state
    grid = fig.add_gridspec(nrows, ncols)
    for i, param in enumerate(panels):
        _plot_metric(fig.add_subplot(grid[i // ncols, i % ncols]), comparison, param)
    if curves:
        row, col = divmod(len(panels), ncols)
        _plot_curves(fig.add_subplot(grid[row, col:]), comparison, curves)
    if not cells:
        fig.text(0.5, 0.5, "No completed runs to plot", ha="center", va="center", fontsize=14)
    fig.suptitle(_title(comparison), fontsize=13)
    return fig


def _plot_metric(ax, comparison: Comparison, param: str | None) -> None:
    """x = values of ``param``; one series per setting of the other params; seeds aggregated."""
    table = comparison.table
    if param is None:  # only seeds vary: one point for all runs
        table, param = table.assign(_all="all runs"), "_all"
    values = _ordered_values(table[param])
    others = [p for p in comparison.params if p != param]
    groups = list(table.groupby(others, dropna=False)) if others else []
    averaged = len(groups) > 4  # more series than one can tell apart: average over them
    if averaged or not groups:
        groups, others = [((), table)], []
    for g, (key, group) in enumerate(groups):
        offset = (g - (len(groups) - 1) / 2) * 0.5 / len(groups)  # side by side, not on top
        color = f"C{g % 10}" if others else None
        _plot_series(ax, comparison, group, param, values, offset, color)
        if others:
            label = _setting_label(dict(zip(others, as_tuple(key), strict=True)))
            ax.plot([], [], "o-", color=color, label=label)
    ax.set_xticks(range(len(values)), [_tick_label(table, param, v, comparison) for v in values])
    ax.set_xlim(-0.6, len(values) - 0.4)
    ax.set_xlabel({name: key for key, name in comparison.names.items()}.get(param, ""))
    better = "lower" if lower_is_better(comparison.metric) else "higher"
    ax.set_ylabel(f"{comparison.metric} ({better} is better)")
    ax.set_title(_metric_title(comparison, param, averaged), fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    if others:  # below the panel: series legends inside would cover the points
        _legend_below(ax, offset=58)


def _plot_series(ax, comparison, group, param, values, offset, color) -> None:
    """One series: a point per value of ``param``; without a colour, each its setting's."""
    colors = _setting_colors(comparison)
    xs, means = [], []
    for x, value in enumerate(values):
        runs = group.loc[group[param].map(fmt) == fmt(value), comparison.metric].dropna()
        if not runs.empty:
            # a lone series takes the loss curves' colour per setting, so the panels match
            _plot_point(ax, x + offset, runs, color or colors.get((fmt(value),), "C0"))
            xs.append(x + offset)
            means.append(runs.mean())
    if len(xs) > 1 and _numeric(values):
        ax.plot(xs, means, "-", color=color or "0.6", linewidth=1.5, zorder=2)


def _metric_title(comparison: Comparison, param: str, averaged: bool) -> str:
    metric = comparison.metric
    over = ["seeds"] * bool(comparison.seeds) + ["other params"] * averaged
    how = f"mean and 95% t interval over {' and '.join(over)}" if over else "one run per point"
    how += "" if averaged else "; dots: runs"
    seeds = f"{comparison.seeds[0]}s" if comparison.seeds else "runs"
    title = f"{metric} by {param}" if param != "_all" else f"{metric} over {seeds}"
    return f"{title}\n({how})"


def _legend_below(ax, offset: float, ncols: int = 1) -> None:
    """A legend under the axes, ``offset`` points below them to clear tick and axis labels."""
    from matplotlib.transforms import offset_copy

    below = offset_copy(ax.transAxes, fig=ax.figure, y=-offset, units="points")
    ax.legend(
        fontsize=8, loc="upper center", bbox_to_anchor=(0.5, 0), bbox_transform=below, ncols=ncols
    )


def _plot_point(ax, x: float, runs: pd.Series, color: str) -> None:
    interval = mean_interval(runs)  # the bar: where the setting's true mean likely lies
    mean = interval.mean
    low, high = (interval.low, interval.high) if interval.low is not None else (mean, mean)
    spread = [[mean - low], [high - mean]]
    ax.errorbar([x], [mean], yerr=spread, fmt="o", color=color, capsize=5, markersize=7, zorder=4)
    # single runs just left of the bar, so the min and max dots do not hide under its caps
    ax.scatter([x - 0.07] * len(runs), runs, s=16, color=color, alpha=0.5, zorder=3)


def _tick_label(table: pd.DataFrame, param: str, value, comparison: Comparison) -> str:
    """The value, how many runs the point averages, and the runs missing from it (failed...)."""
    metric = comparison.metric
    rows = table[table[param].map(fmt) == fmt(value)]
    missing = rows.loc[rows[metric].isna(), "status"].value_counts(sort=False)
    counts = [f"n={rows[metric].notna().sum()}", *(f"{n} {s}" for s, n in missing.items())]
    return f"{fmt(value)}\n{', '.join(counts)}"


def _setting_colors(comparison: Comparison) -> dict:
    """One colour per setting of the non-seed params, shared by the metric and loss panels."""
    params = comparison.params
    table = comparison.table.sort_values(params, kind="stable") if params else comparison.table
    settings = dict.fromkeys(_setting(row, params) for _, row in table.iterrows())
    if len(settings) <= 10:
        return {setting: f"C{i}" for i, setting in enumerate(settings)}
    from matplotlib import colormaps

    palette = colormaps["tab20"].colors  # past 10 settings the default cycle would repeat
    return {setting: palette[i % 20] for i, setting in enumerate(settings)}


def _plot_curves(ax, comparison: Comparison, curves: dict) -> None:
    """Training loss per run: colour = setting of the non-seed params, line style = seed."""
    from matplotlib.ticker import MaxNLocator

    params, seeds = comparison.params, comparison.seeds
    colors = _setting_colors(comparison)
    seed_values = sorted({_setting(row, seeds) for row, _, _ in curves.values()})
    # with both varying, a run is its colour plus its line style: one entry per setting and seed
    shared_legend = bool(params and seeds)
    for run, (row, steps, losses) in curves.items():
        style = LINE_STYLES[seed_values.index(_setting(row, seeds)) % len(LINE_STYLES)]
        color = colors[_setting(row, params)] if params else None  # only seeds: one colour each
        label = None if shared_legend else (_setting_label(row[params + seeds]) or run)
        ax.plot(steps, losses, style, color=color, linewidth=1.6 - shared_legend, label=label,
                alpha=0.5 if shared_legend else 1.0)  # fmt: skip
    if shared_legend:  # each setting's mean over seeds, with its 95% band, over its runs
        for setting, color in colors.items():
            mine = [c[1:] for c in curves.values() if _setting(c[0], params) == setting]
            draw_band(ax, mine, color)
        _legend_entries(ax, params, colors.items(), "color")
        if len(seed_values) <= len(LINE_STYLES):
            _legend_entries(ax, seeds, zip(seed_values, LINE_STYLES, strict=False), "linestyle")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    title = "Training loss: runs (thin), mean and 95% band per setting" if shared_legend else (
        "Training loss per run (log_history.json)")  # fmt: skip
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("step")
    ax.set_ylabel("training loss")
    ax.grid(alpha=0.3)
    entries = len(ax.get_legend_handles_labels()[0])
    if entries <= 5:
        ax.legend(fontsize=8, loc="best")
    else:  # below the panel: a long legend inside would cover the curves
        _legend_below(ax, offset=40, ncols=math.ceil(entries / 8))


def _legend_entries(ax, columns: list[str], items, prop: str) -> None:
    """Legend-only lines: one per setting (``color``) or per seed (``linestyle``)."""
    for values, value in items:
        style = {"color": "0.3", "linestyle": "-", prop: value}
        ax.plot([], [], **style, label=_setting_label(dict(zip(columns, values, strict=True))))


def _loss_curves(comparison: Comparison) -> dict:
    """run -> (row, steps, losses), ordered by setting then seed so legends read in order."""
    columns = comparison.params + comparison.seeds
    table = comparison.table.sort_values(columns, kind="stable") if columns else comparison.table
    curves = {}
    for _, row in table.iterrows():
        history = read_json(Path(row["run_dir"]) / "log_history.json") or []
        points = [
            (e["step"], e["loss"]) for e in history if "step" in e and is_number(e.get("loss"))
        ]
        if points:
            curves[row["run"]] = (row, *zip(*points, strict=True))
    return curves


def _title(comparison: Comparison) -> str:
    table = comparison.table
    counts = ", ".join(f"{n} {s}" for s, n in table["status"].value_counts(sort=False).items())
    varied = ", ".join(comparison.params + comparison.seeds) or "nothing"
    return f"{n_runs(len(table))} ({counts}); varied: {varied}"


def _setting(row, params) -> tuple:
    return tuple(fmt(row[p]) for p in params)


def _setting_label(values) -> str:
    """``{"learning_rate": 0.001, "seed": 1}`` (or a row) -> ``learning_rate=0.001, seed=1``;
    params a run left at their default are not named (unrelated runs set different ones)."""
    said = [f"{k}={fmt(v)}" for k, v in values.items() if fmt(v) != fmt(None)]
    only = f"{next(iter(values), '')}={fmt(None)}" if len(values) == 1 else "defaults"
    # wrapped: a legend wider than its panel runs into the next panel's legend
    return "\n".join(textwrap.wrap(", ".join(said), 48)) or only


def _ordered_values(column: pd.Series) -> list:
    """The distinct values, one per label: NaN and None are one "(default)" (NaN != NaN)."""
    values = list({fmt(v): v for v in column.tolist()}.values())
    if _numeric(values):
        return sorted(values, key=lambda v: (missing(v), 0 if missing(v) else v))
    return sorted(values, key=fmt)


def _numeric(values) -> bool:
    return all(is_number(v) for v in values if not missing(v))
