"""Seed statistics as pure functions of numbers (numpy and scipy only, no run files).

A setting's metric over seeds: mean with a Student-t interval. A setting against a baseline:
over the seeds both ran, the paired difference with its t interval, the paired-t p-value and
an exact sign-flip permutation p-value (the t-test's normality is a guess at n=5; the
permutation test assumes only that, without an effect, each difference is as likely negative
as positive). Without shared seeds: Welch's unpaired t. Differences are ``setting - baseline``.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats as sps

CONFIDENCE = 0.95
EXACT_UP_TO = 16  # 2**16 sign patterns enumerated; above that, a seeded Monte Carlo estimate
MONTE_CARLO_DRAWS = 100_000


@dataclass
class Interval:
    n: int
    mean: float
    sd: float | None  # sample standard deviation (ddof=1); None for one value
    low: float | None  # the confidence interval; None below two values
    high: float | None

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Contrast:
    """A setting minus the baseline on one metric."""

    test: str  # "paired" or "welch"
    n: int  # paired: pairs; welch: the smaller group
    difference: float
    low: float | None
    high: float | None
    p_t: float | None  # paired or Welch t-test, two-sided
    p_sign_flip: float | None  # paired only: exact (or Monte Carlo above EXACT_UP_TO pairs)
    sd: float | None  # of the paired differences (welch: pooled-free sqrt of the mean of vars)

    def as_dict(self) -> dict:
        return asdict(self)


def mean_interval(values, confidence: float = CONFIDENCE) -> Interval:
    """Mean and the Student-t interval ``mean +- t(n-1) * sd / sqrt(n)``."""
    x = np.asarray(values, dtype=float)
    n, mean = len(x), float(np.mean(x))
    if n < 2:
        return Interval(n, mean, None, None, None)
    sd = float(np.std(x, ddof=1))
    half = float(sps.t.ppf((1 + confidence) / 2, n - 1)) * sd / math.sqrt(n)
    return Interval(n, mean, sd, mean - half, mean + half)


def paired(setting, baseline, confidence: float = CONFIDENCE) -> Contrast:
    """Paired over seeds: ``setting[i]`` and ``baseline[i]`` ran with the same seed."""
    d = np.asarray(setting, dtype=float) - np.asarray(baseline, dtype=float)
    spread = mean_interval(d, confidence)
    p_t = None
    if spread.sd is not None:
        # all differences equal: t is infinite (p=0) unless they are all zero (p=1)
        p_t = float(sps.ttest_1samp(d, 0.0).pvalue) if spread.sd > 0 else float(spread.mean == 0)
    return Contrast("paired", len(d), spread.mean, spread.low, spread.high, p_t,
                    sign_flip_p(d), spread.sd)  # fmt: skip


def welch(setting, baseline, confidence: float = CONFIDENCE) -> Contrast:
    """Unpaired, unequal variances (Welch-Satterthwaite degrees of freedom)."""
    a, b = np.asarray(setting, dtype=float), np.asarray(baseline, dtype=float)
    diff = float(np.mean(a) - np.mean(b))
    if min(len(a), len(b)) < 2:
        return Contrast("welch", min(len(a), len(b)), diff, None, None, None, None, None)
    va, vb = np.var(a, ddof=1) / len(a), np.var(b, ddof=1) / len(b)
    se = math.sqrt(va + vb)
    if se == 0:
        return Contrast("welch", min(len(a), len(b)), diff, diff, diff, float(diff == 0), None, 0.0)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = float(sps.t.ppf((1 + confidence) / 2, df)) * se
    p = float(sps.ttest_ind(a, b, equal_var=False).pvalue)
    sd = math.sqrt((np.var(a, ddof=1) + np.var(b, ddof=1)) / 2)
    return Contrast("welch", min(len(a), len(b)), diff, diff - half, diff + half, p, None, sd)


def sign_flip_p(differences, draws: int = MONTE_CARLO_DRAWS) -> float | None:
    """Two-sided p-value of the sign-flip test on the mean difference.

    Exact for up to :data:`EXACT_UP_TO` pairs: the share of the 2**n sign patterns whose mean
    is at least as far from 0 as the observed one (the observed pattern counts, so p >= 2/2**n:
    5 seeds can never give less than 0.0625).
    """
    d = np.asarray(differences, dtype=float)
    n = len(d)
    if n == 0:
        return None
    observed = abs(d.sum())
    tolerance = 1e-12 * max(1.0, float(np.abs(d).sum()))  # float sums of the same terms
    if n <= EXACT_UP_TO:
        signs = np.array(list(itertools.product((1.0, -1.0), repeat=n)))
    else:
        signs = np.random.default_rng(0).choice((1.0, -1.0), size=(draws, n))
    sums = np.abs(signs @ d)
    return float(np.mean(sums >= observed - tolerance))


def seeds_to_detect(sd: float | None, effect: float, confidence: float = CONFIDENCE,
                    power: float = 0.8, most: int = 10_000) -> int | None:  # fmt: skip
    """About how many paired seeds a paired t-test needs to detect ``effect`` with ``power``
    at this spread of the differences (the noncentral-t power, smallest n that reaches it)."""
    if not sd or effect <= 0:
        return None
    shift = effect / sd
    z = sps.norm.ppf((1 + confidence) / 2) + sps.norm.ppf(power)
    start = max(2, math.floor((z / shift) ** 2))  # the normal approximation; t needs a bit more
    for n in range(start, most + 1):
        df = n - 1
        critical = sps.t.ppf((1 + confidence) / 2, df)
        reached = sps.nct.sf(critical, df, shift * math.sqrt(n)) + sps.nct.cdf(
            -critical, df, shift * math.sqrt(n)
        )
        if reached >= power:
            return n
    return None
