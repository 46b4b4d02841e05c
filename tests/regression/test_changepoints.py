"""find_change_points: steps are found where they start; spikes and flat noise are not."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import codomyrmex.performance as perf
from codomyrmex.performance.errors import RegressionError
from codomyrmex.performance.regression import baseline_start, find_change_points, noise_scale


def _noise(seed: int, n: int, cv: float = 0.03) -> np.ndarray:
    return np.exp(np.random.default_rng(seed).normal(0.0, cv, n))


def test_exported_from_the_package_root() -> None:
    assert perf.find_change_points is find_change_points


@pytest.mark.parametrize("step", [1.10, 0.90, 1.05])
def test_a_persistent_step_is_found_where_it_starts(step: float) -> None:
    values = _noise(1, 200)
    values[120:] *= step
    points = find_change_points(list(values))
    assert len(points) == 1
    assert abs(points[0] - 120) <= 5


def test_two_steps_are_both_found() -> None:
    values = _noise(2, 200)
    values[60:] *= 1.10
    values[140:] *= 0.90
    points = find_change_points(list(values))
    assert len(points) == 2
    assert abs(points[0] - 60) <= 5 and abs(points[1] - 140) <= 5


def test_single_spikes_are_not_change_points() -> None:
    values = _noise(3, 200)
    for i in (10, 50, 51, 99, 150, 199):
        values[i] *= 1.5
    assert find_change_points(list(values)) == []


def test_flat_noise_has_no_change_point() -> None:
    assert find_change_points(list(_noise(4, 200))) == []


def test_a_constant_series_with_a_step_is_exact() -> None:
    assert find_change_points([1.0] * 20 + [1.001] * 20) == [20]
    assert find_change_points([1.0] * 40) == []


def test_too_short_series_have_no_change_points() -> None:
    assert find_change_points([1.0, 2.0, 3.0]) == []
    assert find_change_points([]) == []


def test_noise_scale_estimates_sigma_despite_a_step() -> None:
    rng = np.random.default_rng(5)
    values = rng.normal(10.0, 0.2, 2000)
    values[1000:] += 5.0
    assert noise_scale(list(values)) == pytest.approx(0.2, rel=0.1)


def test_baseline_start_is_the_last_change_point() -> None:
    values = list(_noise(6, 60))
    assert baseline_start(values) == 0
    stepped = values[:40] + [v * 1.2 for v in values[40:]]
    assert abs(baseline_start(stepped) - 40) <= 2


def test_bad_input_is_named() -> None:
    with pytest.raises(RegressionError, match="values must be finite numbers, got nan"):
        find_change_points([1.0, float("nan")])
    with pytest.raises(RegressionError, match="min_size must be an integer >= 1, got 0"):
        find_change_points([1.0] * 10, min_size=0)
    with pytest.raises(RegressionError, match="penalty must be a number > 0, got -1"):
        find_change_points([1.0] * 10, penalty=-1)
    with pytest.raises(TypeError, match="got a string"):
        find_change_points("12345")  # type: ignore[arg-type]


@settings(max_examples=100, deadline=None)
@given(
    st.integers(min_value=10, max_value=120),
    st.data(),
    st.floats(min_value=0.2, max_value=5.0),
)
def test_a_single_spike_anywhere_is_never_a_change_point(n: int, data: st.DataObject, size: float) -> None:
    index = data.draw(st.integers(min_value=0, max_value=n - 1))
    values = [1.0] * n
    values[index] *= 1.0 + size
    assert find_change_points(values) == []


@pytest.mark.parametrize(("values", "expected"), [
    ([1.0] * 40 + [2.0] * 4, []),   # a level of 4 at the end: too short to confirm yet
    ([2.0] * 3 + [1.0] * 40, []),   # a level of 3 at the start
    ([1.0] * 40 + [2.0] * 5, [40]),  # exactly where the new level starts
    ([2.0] * 5 + [1.0] * 40, [5]),
])  # fmt: skip
def test_a_step_near_the_edge_is_placed_where_it_is_or_not_reported(values: list[float], expected: list[int]) -> None:
    assert find_change_points(values) == expected


def test_a_few_slow_runs_at_the_end_do_not_move_the_baseline_start() -> None:
    moved = 0
    for seed in range(100):
        rng = random.Random(seed)
        values = [rng.gauss(1.0, 0.01) for _ in range(40)] + [rng.gauss(1.1, 0.01) for _ in range(3)]
        moved += baseline_start(values) != 0
    assert moved <= 5


def test_a_quantised_series_has_a_noise_scale_and_no_spurious_change_points() -> None:
    alarms = 0
    for seed in range(200):
        rng = random.Random(seed)
        values = [1.1 if rng.random() < 0.2 else 1.0 for _ in range(60)]
        assert noise_scale(values) > 0.02
        alarms += bool(find_change_points(values))
    assert alarms <= 0.08 * 200  # was 6 change points in one such series; a few % remain (skewed noise)


def test_a_step_in_a_quantised_series_is_still_found() -> None:
    found = 0
    for seed in range(50):
        rng = random.Random(seed)
        values = [1.1 if rng.random() < 0.2 else 1.0 for _ in range(50)]
        values += [1.2 if rng.random() < 0.2 else 1.1 for _ in range(50)]
        found += any(abs(c - 50) <= 5 for c in find_change_points(values))
    assert found >= 45


def test_a_trend_is_not_cut_into_steps() -> None:
    # issue 11, bug 4: the first-difference noise scale is tiny on a smooth trend, and a trend
    # became a staircase (124 change points on TCPD's us_population, none annotated)
    rng = random.Random(31)
    trend = [100.0 + 0.5 * i + rng.gauss(0.0, 0.05) for i in range(300)]
    assert find_change_points(trend) == []


def test_an_autocorrelated_series_without_a_step_is_not_over_segmented() -> None:
    rng = random.Random(32)
    values, x = [], 0.0
    for _ in range(300):
        x = 0.8 * x + rng.gauss(0.0, 1.0)  # AR(1): neighbours share their noise
        values.append(10.0 + x)
    assert len(find_change_points(values)) <= 1


def test_a_step_on_a_trend_is_still_found() -> None:
    rng = random.Random(33)
    values = [0.01 * i + rng.gauss(0.0, 0.05) + (2.0 if i >= 120 else 0.0) for i in range(240)]
    assert find_change_points(values) == [120]
