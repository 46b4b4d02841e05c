"""BenchmarkResult statistics against numpy, and the seed fields."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codomyrmex.performance.benchmarking import BenchmarkResult

samples = st.lists(st.floats(min_value=1e-9, max_value=10.0, allow_nan=False), min_size=2, max_size=50)


@settings(max_examples=60)
@given(samples)
def test_statistics_match_numpy(times: list[float]) -> None:
    r = BenchmarkResult("b", times)
    arr = np.array(times)
    assert r.iterations == len(times)
    assert r.average_time == pytest.approx(arr.mean())
    assert r.min_time == arr.min() and r.max_time == arr.max()
    assert r.median == pytest.approx(np.median(arr))
    assert r.stdev == pytest.approx(arr.std(ddof=1), abs=1e-12)
    assert r.mad == pytest.approx(np.median(np.abs(arr - np.median(arr))))
    for p in (50, 90, 95, 99, 12.5):
        assert r.percentile(p) == pytest.approx(np.percentile(arr, p))
    assert (r.p50, r.p90, r.p95, r.p99) == pytest.approx(tuple(np.percentile(arr, [50, 90, 95, 99])))
    assert r.ops_per_second == pytest.approx(1 / np.median(arr))


def test_bootstrap_ci_of_the_median_brackets_it_and_is_deterministic() -> None:
    times = list(np.random.default_rng(1).lognormal(0, 0.05, 30))
    r = BenchmarkResult("b", times)
    low, high = r.median_ci()
    assert low <= r.median <= high
    assert (low, high) == r.median_ci()
    assert r.median_ci(0.99)[0] <= low and r.median_ci(0.99)[1] >= high


def test_failed_result_has_no_numbers_and_says_why() -> None:
    r = BenchmarkResult("b", [], error="ZeroDivisionError: division by zero")
    assert r.failed and r.iterations == 0
    assert math.isnan(r.median) and math.isnan(r.percentile(90))
    assert r.to_dict()["error"] == "ZeroDivisionError: division by zero"


def test_to_dict_has_the_seed_fields() -> None:
    d = BenchmarkResult("b", [0.1, 0.2, 0.3]).to_dict()
    for key in ("name", "iterations", "times", "average_time", "min_time", "max_time", "median", "stdev"):
        assert key in d
    assert d["times"] == [0.1, 0.2, 0.3] and d["iterations"] == 3


def test_bad_percentile_is_named() -> None:
    with pytest.raises(ValueError, match=r"p must be a number in \[0, 100\], got 101"):
        BenchmarkResult("b", [0.1]).percentile(101)
