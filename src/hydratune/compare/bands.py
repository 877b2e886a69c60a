"""Mean training curves over seeds with a 95% t band, for compare.png's loss panel."""

from __future__ import annotations

from hydratune.compare.stats import mean_interval


def mean_band(curves) -> tuple[list, list, list, list]:
    """``[(steps, losses), ...]`` of one setting's runs -> steps all runs logged, the mean and
    the band's low and high there (steps that only some runs reached are left out: a mean
    over fewer seeds would jump where a run stopped)."""
    shared = set.intersection(*(set(steps) for steps, _ in curves)) if curves else set()
    by_run = [dict(zip(steps, losses, strict=True)) for steps, losses in curves]
    steps = sorted(shared)
    intervals = [mean_interval([run[s] for run in by_run]) for s in steps]
    means = [i.mean for i in intervals]
    lows = [i.mean if i.low is None else i.low for i in intervals]
    highs = [i.mean if i.high is None else i.high for i in intervals]
    return steps, means, lows, highs


def draw_band(ax, curves, color) -> None:
    """The mean curve (bold) and its band; nothing for a setting with one run."""
    if len(curves) < 2:
        return
    steps, means, lows, highs = mean_band(curves)
    ax.fill_between(steps, lows, highs, color=color, alpha=0.2, linewidth=0)
    ax.plot(steps, means, "-", color=color, linewidth=2.6)
