"""The pure-Python statistics against independent references (brute force, numpy)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codomyrmex.performance.regression import adjust_p_values
from codomyrmex.performance.regression._stats import (
    _exact_tied_p,
    exact_u_cdf,
    mad,
    mann_whitney_u,
    median,
    normal_ppf,
    percentile,
    rank,
    shift_confidence_interval,
)

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@given(st.lists(finite, min_size=1, max_size=40), st.floats(min_value=0, max_value=100))
def test_percentile_and_median_match_numpy(values: list[float], p: float) -> None:
    assert percentile(values, p) == pytest.approx(float(np.percentile(values, p)), rel=1e-9, abs=1e-9)
    assert median(values) == pytest.approx(float(np.median(values)), rel=1e-12, abs=1e-12)


def test_mad_of_known_values() -> None:
    # median 3; absolute deviations 2,1,0,1,97 -> median 1
    assert mad([1, 2, 3, 4, 100]) == 1


def _brute_force_u_distribution(m: int, n: int) -> list[int]:
    counts = [0] * (m * n + 1)
    for chosen in itertools.combinations(range(m + n), m):
        # U of the first sample = number of (x, y) pairs with x > y, ranks = positions
        members = set(chosen)
        u = sum(1 for x in chosen for y in range(m + n) if y not in members and x > y)
        counts[u] += 1
    return counts


@pytest.mark.parametrize(("m", "n"), [(1, 1), (3, 4), (4, 5), (6, 6), (2, 9)])
def test_exact_u_distribution_matches_brute_force_enumeration(m: int, n: int) -> None:
    counts = _brute_force_u_distribution(m, n)
    total = sum(counts)
    for u in range(m * n + 1):
        assert exact_u_cdf(u, m, n) == pytest.approx(sum(counts[: u + 1]) / total, abs=1e-12)


def test_mann_whitney_exact_p_of_complete_separation() -> None:
    # 3 vs 3, completely separated: two of the 20 orderings are this extreme -> p = 0.1
    result = mann_whitney_u([1.0, 2.0, 3.0], [4.0, 5.0, 6.0])
    assert result.method == "exact"
    assert result.p_value == pytest.approx(0.1)
    assert result.u == 0


def _brute_p(x: list[float], y: list[float], u_observed: float) -> float:
    pooled = x + y
    mu = len(x) * len(y) / 2
    extreme = total = 0
    for chosen in itertools.combinations(range(len(pooled)), len(x)):
        xs = [pooled[i] for i in chosen]
        ys = [pooled[i] for i in range(len(pooled)) if i not in chosen]
        u = sum((a > b) + 0.5 * (a == b) for a in xs for b in ys)
        total += 1
        extreme += abs(u - mu) >= abs(u_observed - mu) - 1e-9
    return extreme / total


def test_small_samples_with_ties_get_the_exact_permutation_p() -> None:
    # 5 vs 5, a 2x slowdown with one tie across: the normal approximation said 0.012
    x, y = [1.0, 1.01, 0.99, 1.02, 1.03], [2.0, 2.02, 1.98, 2.04, 1.03]
    observed = mann_whitney_u(x, y)
    assert observed.method == "exact-ties"
    assert observed.p_value == pytest.approx(_brute_p(x, y, observed.u), abs=1e-12)
    assert observed.p_value == pytest.approx(4 / 252)
    x7, y7 = [1, 2, 2, 3, 3, 3, 5], [3, 4, 4, 5, 5, 6, 6]
    observed = mann_whitney_u(x7, y7)
    assert observed.method == "exact-ties"
    assert observed.p_value == pytest.approx(_brute_p(x7, y7, observed.u), abs=1e-12)


def test_normal_approximation_with_ties_is_close_to_the_exact_permutation_p() -> None:
    x = [1, 2, 2, 3, 3, 3, 5, 6, 7, 7, 8, 9, 2]
    y = [3, 4, 4, 5, 5, 6, 6, 8, 9, 9, 10, 10, 11]
    observed = mann_whitney_u(x, y)
    assert observed.method == "normal"  # ties in samples too large for the exact table
    # the exact permutation p (the counting checked against brute force above)
    exact = _exact_tied_p(rank([*x, *y])[0], len(x))
    assert observed.p_value == pytest.approx(exact, abs=0.02)


def test_all_values_equal_gives_p_one() -> None:
    assert mann_whitney_u([2.0] * 30, [2.0] * 30).p_value == 1.0


def test_normal_ppf_inverts_known_quantiles() -> None:
    assert normal_ppf(0.975) == pytest.approx(1.959964, abs=1e-6)
    assert normal_ppf(0.995) == pytest.approx(2.575829, abs=1e-6)


def test_shift_interval_is_infinite_when_samples_cannot_reach_the_confidence() -> None:
    est, low, high = shift_confidence_interval([1.0, 2.0], [3.0, 4.0], alpha=0.01)
    assert est == 2.0
    assert math.isinf(low) and math.isinf(high)


def test_shift_interval_covers_the_true_shift() -> None:
    rng = np.random.default_rng(7)
    x = list(rng.normal(0, 1, 40))
    y = list(rng.normal(0, 1, 40) + 2.0)
    est, low, high = shift_confidence_interval(x, y, alpha=0.01)
    assert low < 2.0 < high
    assert low < est < high


def test_holm_and_bh_adjusted_p_values_known_values() -> None:
    assert adjust_p_values([0.01, 0.04, 0.03], "holm") == [0.03, 0.06, 0.06]
    assert adjust_p_values([0.01, 0.04, 0.03], "bh") == [0.03, 0.04, 0.04]
    assert adjust_p_values([0.01, 0.04], "none") == [0.01, 0.04]


@settings(max_examples=50)
@given(st.lists(st.floats(min_value=0, max_value=1), min_size=1, max_size=20))
def test_adjusted_p_values_are_never_smaller_than_raw(ps: list[float]) -> None:
    for method in ("holm", "bh"):
        adjusted = adjust_p_values(ps, method)
        assert all(a >= p - 1e-12 and a <= 1.0 for a, p in zip(adjusted, ps, strict=True))

