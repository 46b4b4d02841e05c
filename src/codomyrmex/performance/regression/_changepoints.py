"""Change points in a benchmark's history of medians.

Wild (seeded) binary segmentation with a robust L1 cost (sum of absolute deviations from the segment median):
a single +40 % spike moves a median by at most one rank, so it barely lowers the cost of any
split and never becomes a change point on its own, while a persistent step of a few percent
lowers it along its whole length. A split is kept when its gain exceeds a penalty measured in
units of the series' own noise, and when, around it, a step explains the data better than a
straight line (a trend is not a staircase).

The noise scale must hold on trending and autocorrelated series, where the median absolute first
difference (blind to steps and spikes, which is why it is the starting point) underestimates it:
on a smooth trend the differences are tiny and every few points became a "change" (124 on TCPD's
``us_population``), and on an autocorrelated series neighbouring points share their noise. So the
search runs twice: the first pass cuts the series into levels, and the second uses the long-run
scale of what those levels leave unexplained (robust σ of the residuals, inflated by
√((1+ρ)/(1−ρ)) for their lag-1 autocorrelation ρ), never less than the first estimate. See
benchmarks/bench_changepoints_tcpd.py (TCPD, TCPDBench's F1) and benchmarks/bench_regression.py.

    >>> from codomyrmex.performance.regression import find_change_points
    >>> level = [1.0, 1.01, 0.99, 1.0, 1.02, 0.98, 1.0, 1.01, 0.99, 1.0] * 3
    >>> find_change_points(level + [v * 1.2 for v in level])
    [30]
    >>> find_change_points([0.01 * i for i in range(200)])   # a trend, no step
    []
"""
from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from itertools import pairwise

from ..errors import RegressionError
from ._stats import median

__all__ = ["DEFAULT_PENALTY", "find_change_points", "noise_scale"]

#: Penalty per change point, in units of noise × log(n). Chosen with benchmarks/bench_regression.py
#: (generated histories: 3 % CV, 2 % spikes, ±5 %/±10 % steps: F1 ≈ 0.95 at a margin of 5 points,
#: no false alarm in 300 no-change histories) and benchmarks/bench_changepoints_tcpd.py (30 TCPD
#: series, TCPDBench F1: 2.0 -> 0.733, 2.25 -> 0.739, 2.5 -> 0.743, 3.0 -> 0.732 with the two-pass
#: scale and the trend check; one value for both).
DEFAULT_PENALTY = 2.5
#: points on each side of a split that the trend check looks at: a step must explain them better
#: than one straight line does (TCPD: 15 -> 0.72, 25 -> 0.74, 40 -> 0.73)
TREND_WINDOW = 25
#: the autocorrelation correction is capped (a random walk would make the scale unbounded)
_MAX_RHO = 0.9

# σ of normal noise from the MAD of first differences: MAD × 1.4826 estimates σ(diff) = σ√2.
_MAD_TO_SIGMA = 1.4826 / math.sqrt(2.0)


def noise_scale(values: Sequence[float]) -> float:
    """Robust σ of the noise of ``values``, from the MAD of their first differences."""
    if len(values) < 3:
        return 0.0
    diffs = [b - a for a, b in pairwise(values)]
    m = median(diffs)
    deviations = [abs(d - m) for d in diffs]
    scale = median(deviations) * _MAD_TO_SIGMA
    if scale == 0.0:
        # Quantised values (a timer tick, sleeps rounded to the scheduler) repeat exactly, so
        # most differences are 0 and their MAD is 0 although the series is noisy. Their root
        # mean square still sees the noise (σ(diff) = σ√2); the largest 5 % are left out so that
        # a few spikes do not inflate it.
        kept = sorted(deviations)[: max(1, math.ceil(len(deviations) * 0.95))]
        scale = math.sqrt(math.fsum(d * d for d in kept) / len(kept)) / math.sqrt(2.0)
    return scale


def _prefix_costs(values: Sequence[float]) -> list[float]:
    """``out[i]`` = L1 cost of ``values[:i]``, for every i, in O(n log n) with two heaps."""
    low: list[float] = []  # max-heap (negated) holding the lower half, its top is the median
    high: list[float] = []
    sum_low = sum_high = 0.0
    out = [0.0]
    for v in values:
        if not low or v <= -low[0]:
            heapq.heappush(low, -v)
            sum_low += v
        else:
            heapq.heappush(high, v)
            sum_high += v
        if len(low) > len(high) + 1:
            moved = -heapq.heappop(low)
            sum_low -= moved
            heapq.heappush(high, moved)
            sum_high += moved
        elif len(high) > len(low):
            moved = heapq.heappop(high)
            sum_high -= moved
            heapq.heappush(low, -moved)
            sum_low += moved
        med = -low[0]
        out.append(med * len(low) - sum_low + sum_high - med * len(high))
    return out


def _best_split(values: Sequence[float], min_size: int) -> tuple[int, float]:
    n = len(values)
    left = _prefix_costs(values)
    right = _prefix_costs(values[::-1])  # right[j] = cost of the last j values
    total = left[n]
    best_i, best_gain = -1, 0.0
    for i in range(min_size, n - min_size + 1):
        gain = total - left[i] - right[n - i]
        if gain > best_gain:
            best_i, best_gain = i, gain
    return best_i, best_gain


def _seeded_intervals(n: int, min_length: int) -> list[tuple[int, int]]:
    """Intervals of lengths n, n/2, n/4, ... each shifted by half its length (>= min_length)."""
    out = [(0, n)]
    length = n / 2.0
    while length >= min_length:
        step = length / 2.0
        k = 0
        while round(k * step + length) <= n:
            out.append((round(k * step), round(k * step + length)))
            k += 1
        length /= 2.0
    return out


def find_change_points(
    values: Sequence[float],
    *,
    penalty: float = DEFAULT_PENALTY,
    min_size: int = 5,
    scale: float | None = None,
) -> list[int]:
    """Indices where a new level starts in ``values`` (e.g. the medians of successive runs).

    ``penalty`` is the gain a split must bring, in units of ``scale × log(n)``; ``scale`` defaults
    to the noise of the series itself (:func:`noise_scale`). Segments are at least ``min_size``
    points long, so a change in the last ``min_size - 1`` points is not reported yet (nor a
    level shorter than that at the start).
    """
    if isinstance(values, str | bytes):
        raise TypeError("values must be a sequence of numbers, got a string")
    vals: list[float] = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise RegressionError(f"values must be finite numbers, got {v!r}")
        vals.append(float(v))
    if isinstance(min_size, bool) or not isinstance(min_size, int) or min_size < 1:
        raise RegressionError(f"min_size must be an integer >= 1, got {min_size!r}")
    if isinstance(penalty, bool) or not isinstance(penalty, int | float) or not penalty > 0:
        raise RegressionError(f"penalty must be a number > 0, got {penalty!r}")
    n = len(vals)
    if n < 2 * min_size:
        return []
    sigma = noise_scale(vals) if scale is None else float(scale)
    if not math.isfinite(sigma) or sigma < 0:
        raise RegressionError(f"scale must be a finite number >= 0, got {scale!r}")
    if sigma == 0.0:
        # a perfectly flat series: any persistent level shift is real, however small
        sigma = max(abs(median(vals)) * 1e-12, 1e-300)
    points = _segment(vals, penalty * sigma * math.log(n), min_size)
    if scale is None:
        # second pass with the long-run scale of what the first pass's levels leave unexplained
        long_run = _long_run_scale(vals, points)
        if long_run > sigma:
            points = _segment(vals, penalty * long_run * math.log(n), min_size)
    return points


def _long_run_scale(vals: list[float], points: list[int]) -> float:
    """Robust σ of the residuals around the levels between ``points``, times
    √((1+ρ)/(1−ρ)) for their lag-1 autocorrelation ρ (the long-run σ of an AR(1) process)."""
    bounds = [0, *points, len(vals)]
    residuals: list[list[float]] = []
    for start, end in pairwise(bounds):
        m = median(vals[start:end])
        residuals.append([v - m for v in vals[start:end]])
    flat = [r for seg in residuals for r in seg]
    sigma = 1.4826 * median([abs(r) for r in flat])
    energy = math.fsum(r * r for r in flat)
    if energy == 0.0:
        return sigma
    rho = math.fsum(a * b for seg in residuals for a, b in pairwise(seg)) / energy
    rho = min(max(rho, 0.0), _MAX_RHO)
    return sigma * math.sqrt((1.0 + rho) / (1.0 - rho))


def _line_cost(values: Sequence[float]) -> float:
    """L1 cost of ``values`` around a robust straight line (Theil–Sen slope over at most ~40
    evenly spaced points, median intercept)."""
    n = len(values)
    if n < 3:
        return 0.0
    idx = list(range(0, n, max(1, n // 40)))
    slope = median([(values[j] - values[i]) / (j - i) for a, i in enumerate(idx) for j in idx[a + 1:]])
    residuals = [v - slope * i for i, v in enumerate(values)]
    c = median(residuals)
    return math.fsum(abs(r - c) for r in residuals)


def _is_step(vals: list[float], split: int, lo: int, hi: int) -> bool:
    """Whether, within ``TREND_WINDOW`` points of ``split`` (inside [lo, hi)), two levels fit
    better than one straight line: on a trend they do not, however large the split's gain."""
    a, b = max(lo, split - TREND_WINDOW), min(hi, split + TREND_WINDOW)
    return _line_cost(vals[a:b]) > _l1(vals[a:split]) + _l1(vals[split:b])


def _segment(vals: list[float], threshold: float, min_size: int) -> list[int]:
    n = len(vals)
    # Wild/seeded binary segmentation (Fryzlewicz 2014; Kovács et al. 2020): a segment is split
    # at the best split of whichever interval inside it gains most — the segment itself or one of
    # the seeded sub-intervals. Scanning only whole segments (plain binary segmentation) misses a
    # short +5 % then -5 % bump, whose two steps cancel over the segment. Candidates that are
    # part of a trend rather than a step are passed over for the next best.
    seeded: list[tuple[int, int, int, float]] = []  # (start, end, split, gain)
    for start, end in _seeded_intervals(n, 2 * min_size):
        i, gain = _best_split(vals[start:end], min_size)
        if i > 0:
            seeded.append((start, end, start + i, gain))
    found: list[int] = []
    stack = [(0, n)]
    while stack:
        seg_start, seg_end = stack.pop()
        if seg_end - seg_start < 2 * min_size:
            continue
        i, gain = _best_split(vals[seg_start:seg_end], min_size)
        candidates = [(gain, seg_start + i)] if i > 0 else []
        candidates += [(g, split) for start, end, split, g in seeded
                       if seg_start <= start and end <= seg_end]  # fmt: skip
        candidates.sort(reverse=True)
        for g, split in candidates:
            if g <= threshold:
                break
            if _is_step(vals, split, seg_start, seg_end):
                found.append(split)
                stack.append((seg_start, split))
                stack.append((split, seg_end))
                break
    return _refine(vals, sorted(found), min_size)


def _l1(values: Sequence[float]) -> float:
    m = median(values)
    return math.fsum(abs(v - m) for v in values)


def _refine(vals: list[float], points: list[int], min_size: int) -> list[int]:
    """Move each change point to the best split near it, then drop those that leave a level
    shorter than ``min_size``. With segments of at least ``min_size``, a step in the last few
    points can only be placed ``min_size`` points from the end, i.e. too early (40 stable runs
    and 4 slow ones gave index 39, pulling a stable run into the new level); placed where it
    really is, it is a level too short to confirm yet, so it is not reported."""
    out: list[int] = []
    for k, point in enumerate(points):
        lo = out[-1] if out else 0
        hi = points[k + 1] if k + 1 < len(points) else len(vals)
        candidates = range(max(lo + 1, point - min_size), min(hi - 1, point + min_size) + 1)
        best = min(candidates, key=lambda i: (_l1(vals[lo:i]) + _l1(vals[i:hi]), abs(i - point)))
        if best - lo >= min_size and hi - best >= min_size:
            out.append(best)
    return out
