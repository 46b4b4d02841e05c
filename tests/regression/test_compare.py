"""compare_samples / compare_many: verdicts, symmetry, and errors that never become verdicts."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import codomyrmex.performance as perf
from codomyrmex.performance.errors import RegressionError
from codomyrmex.performance.regression import VerdictKind, compare_many, compare_samples


def _lognormal(seed: int, n: int, scale: float = 1.0, cv: float = 0.03) -> list[float]:
    rng = np.random.default_rng(seed)
    return list(np.exp(rng.normal(0.0, cv, n)) * scale)


def test_exported_from_the_package_root() -> None:
    assert perf.compare_samples is compare_samples


def test_ten_percent_slower_is_a_regression_with_its_change_and_ci() -> None:
    base, cur = _lognormal(1, 20), _lognormal(2, 20, scale=1.10)
    v = compare_samples(base, cur)
    assert v.verdict is VerdictKind.REGRESSION
    assert v.is_regression and not v.is_improvement and not v.inconclusive
    assert v.change == pytest.approx(float(np.median(cur) / np.median(base) - 1))
    assert v.ci_low < 0.10 < v.ci_high
    assert v.p_value < 0.01
    assert v.method.startswith("mann-whitney-u/")


def test_swapping_is_an_improvement_and_higher_is_better_flips_it() -> None:
    base, cur = _lognormal(3, 20), _lognormal(4, 20, scale=1.10)
    assert compare_samples(cur, base).is_improvement
    assert compare_samples(base, cur, higher_is_better=True).is_improvement


def test_same_distribution_is_unchanged() -> None:
    v = compare_samples(_lognormal(5, 30), _lognormal(6, 30))
    assert v.verdict is VerdictKind.UNCHANGED


def test_significant_but_below_min_effect_is_unchanged() -> None:
    base = _lognormal(7, 200, cv=0.002)
    cur = _lognormal(8, 200, scale=1.01, cv=0.002)
    v = compare_samples(base, cur, min_effect=0.02)
    assert v.p_value < 1e-6
    assert v.verdict is VerdictKind.UNCHANGED
    assert compare_samples(base, cur, min_effect=0.005).is_regression


def test_too_few_samples_to_reach_significance_is_inconclusive() -> None:
    # 2 vs 2 can never reach p < 0.01, however different the values are
    v = compare_samples([1.0, 1.01], [2.0, 2.02])
    assert v.inconclusive
    assert v.ci_low == -1.0 and math.isinf(v.ci_high)  # expm1(-inf): unbounded interval


def test_a_large_but_unconfirmed_change_is_inconclusive() -> None:
    base = [1.0, 1.3, 0.8, 1.2, 0.9]
    cur = [1.1, 1.35, 0.85, 1.3, 1.05]
    v = compare_samples(base, cur)
    assert v.p_value >= 0.01 and abs(v.change) >= 0.02
    assert v.inconclusive


positive = st.floats(min_value=1e-6, max_value=1e3, allow_nan=False, allow_infinity=False)


@settings(max_examples=150, deadline=None)
@given(st.lists(positive, min_size=2, max_size=25), st.lists(positive, min_size=2, max_size=25))
def test_verdict_flips_when_baseline_and_current_are_swapped(a: list[float], b: list[float]) -> None:
    forward, backward = compare_samples(a, b), compare_samples(b, a)
    mirror = {
        VerdictKind.REGRESSION: VerdictKind.IMPROVEMENT,
        VerdictKind.IMPROVEMENT: VerdictKind.REGRESSION,
        VerdictKind.UNCHANGED: VerdictKind.UNCHANGED,
        VerdictKind.INCONCLUSIVE: VerdictKind.INCONCLUSIVE,
    }
    assert backward.verdict is mirror[forward.verdict]
    assert backward.p_value == forward.p_value


@pytest.mark.parametrize(
    ("baseline", "current", "match"),
    [
        ([], [1.0, 2.0], "baseline needs at least 2 values"),
        ([1.0, 2.0], [1.0], "current needs at least 2 values"),
        ([1.0, float("nan")], [1.0, 2.0], "baseline must contain finite numbers > 0, got nan"),
        ([1.0, 2.0], [1.0, -2.0], "current must contain finite numbers > 0, got -2.0"),
        ([1.0, 0.0], [1.0, 2.0], "baseline must contain finite numbers > 0, got 0.0"),
    ],
)
def test_data_that_cannot_be_judged_raises_instead_of_a_verdict(
    baseline: list[float], current: list[float], match: str
) -> None:
    with pytest.raises(RegressionError, match=match):
        compare_samples(baseline, current)


def test_bad_levels_and_types_are_named() -> None:
    with pytest.raises(RegressionError, match=r"alpha must be a number in \(0, 1\), got 1.5"):
        compare_samples([1.0, 2.0], [1.0, 2.0], alpha=1.5)
    with pytest.raises(RegressionError, match="min_effect must be a relative change"):
        compare_samples([1.0, 2.0], [1.0, 2.0], min_effect=-0.1)
    with pytest.raises(TypeError, match="baseline must contain numbers only, got 'x'"):
        compare_samples(["x", "y"], [1.0, 2.0])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="current must be a sequence"):
        compare_samples([1.0, 2.0], "12")  # type: ignore[arg-type]


def test_compare_many_applies_holm_across_the_suite() -> None:
    base = _lognormal(10, 12)
    cur = _lognormal(11, 12, scale=1.06)
    alone = compare_samples(base, cur)
    assert alone.is_regression
    # add 30 unchanged benchmarks: Holm multiplies the smallest p by 31
    pairs = {"slow": (base, cur)} | {f"same{i}": (_lognormal(100 + i, 12), _lognormal(200 + i, 12)) for i in range(30)}
    many = compare_many(pairs)
    slow = many["slow"]
    assert not isinstance(slow, RegressionError)
    assert slow.p_adjusted == pytest.approx(min(1.0, alone.p_value * 31))
    assert slow.is_regression == (slow.p_adjusted < 0.01)
    none = compare_many(pairs, correction="none")["slow"]
    assert not isinstance(none, RegressionError) and none.is_regression


def test_compare_many_reports_bad_data_as_an_error_not_a_verdict() -> None:
    out = compare_many({"ok": ([1.0, 1.1, 0.9], [1.0, 1.05, 0.95]), "bad": ([1.0], [1.0, 2.0])})
    assert isinstance(out["bad"], RegressionError)
    assert not isinstance(out["ok"], RegressionError)
    with pytest.raises(RegressionError, match="correction must be one of"):
        compare_many({}, correction="bonferroni")
