"""Change points in a benchmark's history of medians.

Wild (seeded) binary segmentation with a robust L1 cost (sum of absolute deviations from the segment median):
a single +40 % spike moves a median by at most one rank, so it barely lowers the cost of any
split and never becomes a change point on its own, while a persistent step of a few percent
lowers it along its whole length. A split is kept when its gain exceeds a penalty measured in
units of the series' own noise, estimated from the median absolute first difference (a step or a
spike disturbs only one or two differences, so the noise estimate ignores them too).

    >>> from codomyrmex.performance.regression import find_change_points
    >>> level = [1.0, 1.01, 0.99, 1.0, 1.02, 0.98, 1.0, 1.01, 0.99, 1.0] * 3
    >>> find_change_points(level + [v * 1.2 for v in level])
    [30]
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from itertools import pairwise

from ..errors import RegressionError
from ._stats import median

__all__ = ["DEFAULT_PENALTY", "find_change_points", "noise_scale"]

#: Penalty per change point, in units of noise × log(n). Chosen with benchmarks/bench_regression.py:
#: at 2.25, 0.25 % of 200-point no-change histories (3 % CV, 2 % spikes) raise a change point and
#: ±5 %/±10 % steps are found with F1 ≈ 0.95 at a margin of 5 points (2.0: F1 0.96 but ~0.4 % false
#: alarms; 3.0: F1 0.88).
DEFAULT_PENALTY = 2.25

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
    threshold = penalty * sigma * math.log(n)
    # Wild/seeded binary segmentation (Fryzlewicz 2014; Kovács et al. 2020): a segment is split
    # at the best split of whichever interval inside it gains most — the segment itself or one of
    # the seeded sub-intervals. Scanning only whole segments (plain binary segmentation) misses a
    # short +5 % then -5 % bump, whose two steps cancel over the segment.
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
        best = (gain, seg_start + i) if i > 0 else (0.0, -1)
        for start, end, split, g in seeded:
            if seg_start <= start and end <= seg_end and g > best[0]:
                best = (g, split)
        if best[1] > 0 and best[0] > threshold:
            found.append(best[1])
            stack.append((seg_start, best[1]))
            stack.append((best[1], seg_end))
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
