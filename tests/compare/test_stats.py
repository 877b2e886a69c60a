"""compare/stats.py against scipy on the same numbers, and the permutation test on hand-made
cases whose exact p-value is known by counting sign patterns."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from hydratune.compare import stats

# eval accuracies of two settings over seeds 1..5 (the first two shapes of a real sweep)
BASE = [0.8117, 0.8050, 0.8133, 0.8000, 0.8083]
WEIGHTED = [0.8150, 0.8117, 0.8217, 0.8033, 0.8183]


def test_mean_interval_is_scipys_t_interval():
    found = stats.mean_interval(BASE)
    low, high = sps.t.interval(0.95, len(BASE) - 1, loc=np.mean(BASE), scale=sps.sem(BASE))
    assert (found.n, found.mean) == (5, pytest.approx(np.mean(BASE)))
    assert (found.low, found.high) == (pytest.approx(low), pytest.approx(high))
    assert found.sd == pytest.approx(np.std(BASE, ddof=1))


def test_paired_difference_interval_and_p_are_scipys_ttest_rel():
    found = stats.paired(WEIGHTED, BASE)
    expected = sps.ttest_rel(WEIGHTED, BASE)
    interval = expected.confidence_interval(0.95)
    assert found.test == "paired" and found.n == 5
    assert found.difference == pytest.approx(np.mean(np.subtract(WEIGHTED, BASE)))
    assert (found.low, found.high) == (pytest.approx(interval.low), pytest.approx(interval.high))
    assert found.p_t == pytest.approx(expected.pvalue)
    assert found.p_t < 0.01  # these numbers differ by a steady ~0.006


def test_sign_flip_p_is_scipys_exact_permutation_test():
    d = np.subtract(WEIGHTED, BASE)
    expected = sps.permutation_test(
        (WEIGHTED, BASE), lambda x, y: np.mean(x - y), permutation_type="samples",
        n_resamples=np.inf, alternative="two-sided",
    )  # fmt: skip
    assert stats.sign_flip_p(d) == pytest.approx(expected.pvalue)


@pytest.mark.parametrize(
    ("differences", "exact"),
    [
        ([0.1, 0.2, 0.3, 0.4, 0.5], 2 / 32),  # all 5 positive: only +all and -all are as far
        ([1.0, -1.0, 2.0], 6 / 8),  # |sum| of (+-1 +-1 +-2) >= 2 in 6 of the 8 patterns
        ([0.0, 0.0, 0.0], 1.0),  # no difference at all
    ],
)
def test_sign_flip_p_exact_on_hand_made_cases(differences, exact):
    assert stats.sign_flip_p(differences) == pytest.approx(exact)


def test_welch_interval_and_p_are_scipys_unequal_variance_ttest():
    a, b = [0.70, 0.74, 0.71, 0.78], [0.66, 0.69, 0.61]
    found = stats.welch(a, b)
    expected = sps.ttest_ind(a, b, equal_var=False)
    interval = expected.confidence_interval(0.95)
    assert found.test == "welch" and found.p_sign_flip is None
    assert found.difference == pytest.approx(np.mean(a) - np.mean(b))
    assert (found.low, found.high) == (pytest.approx(interval.low), pytest.approx(interval.high))
    assert found.p_t == pytest.approx(expected.pvalue)


def test_seeds_to_detect_matches_the_textbook_paired_t_sample_size():
    # effect = one standard deviation of the differences, alpha 0.05, power 0.8: n = 10
    assert stats.seeds_to_detect(0.01, 0.01) == 10
    assert stats.seeds_to_detect(0.02, 0.01) > stats.seeds_to_detect(0.01, 0.01)
    assert stats.seeds_to_detect(0.0, 0.01) is None
