"""Pure-Python statistics used by the regression gate (no numpy/scipy at import or run time).

Everything here is deterministic: the same input gives the same output, in any process, so a
verdict can be reproduced from the stored raw samples alone.

    >>> from codomyrmex.performance.regression._stats import median, percentile, mann_whitney_u
    >>> median([3.0, 1.0, 2.0]), percentile([1.0, 2.0, 3.0, 4.0], 50)
    (2.0, 2.5)
    >>> mann_whitney_u([1.0, 2.0, 3.0], [4.0, 5.0, 6.0]).p_value
    0.1
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "MannWhitney",
    "exact_u_cdf",
    "mad",
    "mann_whitney_u",
    "median",
    "normal_cdf",
    "normal_ppf",
    "percentile",
    "rank",
    "shift_confidence_interval",
    "student_t_ppf",
    "student_t_sf",
]

#: Use the exact null distribution of U (no ties) while the table stays small; above this the
#: normal approximation is within ~1e-3 of it and far cheaper.
_EXACT_MAX_PRODUCT = 2500
#: With ties, the exact permutation distribution of the rank sum while it is cheap (12 x 12): the
#: normal approximation is poor for small samples (5 vs 5 with one tie: p=0.012 instead of 0.008).
_EXACT_TIES_MAX_PRODUCT = 144


def median(values: Sequence[float]) -> float:
    s = sorted(values)
    n = len(s)
    if n == 0:
        raise ValueError("median of an empty sample")
    mid = n // 2
    return s[mid] if n % 2 else (s[mid - 1] + s[mid]) / 2.0


def percentile(values: Sequence[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default ``method="linear"``)."""
    s = sorted(values)
    if not s:
        raise ValueError("percentile of an empty sample")
    if not 0 <= p <= 100:
        raise ValueError(f"p must be in [0, 100], got {p!r}")
    pos = (len(s) - 1) * p / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(s) - 1)
    frac = pos - lo
    return s[lo] + (s[hi] - s[lo]) * frac


def mad(values: Sequence[float]) -> float:
    """Median absolute deviation from the median (unscaled; ×1.4826 estimates σ for normal data)."""
    m = median(values)
    return median([abs(v - m) for v in values])


def normal_cdf(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def normal_ppf(p: float) -> float:
    """Inverse of :func:`normal_cdf` by bisection on ``erfc`` (exact to ~1e-12; called rarely)."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be in (0, 1), got {p!r}")
    lo, hi = -40.0, 40.0
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if normal_cdf(mid) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2.0


def rank(values: Sequence[float]) -> tuple[list[float], list[int]]:
    """Mid-ranks (1-based) of ``values`` and the sizes of tie groups (for the tie correction)."""
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    ties: list[int] = []
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        mid_rank = (i + j) / 2.0 + 1.0
        for k in range(i, j + 1):
            ranks[order[k]] = mid_rank
        if j > i:
            ties.append(j - i + 1)
        i = j + 1
    return ranks, ties


@lru_cache(maxsize=256)
def _u_counts(m: int, n: int) -> tuple[int, ...]:
    # Number of orderings with U = u is the coefficient of q**u in the Gaussian binomial
    # [m+n choose m]_q = prod_{i=1..m} (1 - q**(n+i)) / (1 - q**i); integer arithmetic, exact.
    size = m * n + 1
    poly = [0] * size
    poly[0] = 1
    for i in range(1, m + 1):
        # multiply by (1 - q**(n+i))
        shift = n + i
        for u in range(size - 1, shift - 1, -1):
            poly[u] -= poly[u - shift]
        # divide by (1 - q**i): running sum with stride i
        for u in range(i, size):
            poly[u] += poly[u - i]
    return tuple(poly)


def exact_u_cdf(u: float, m: int, n: int) -> float:
    """P(U <= u) under H0 for samples of sizes ``m`` and ``n`` without ties."""
    counts = _u_counts(min(m, n), max(m, n))
    total = math.comb(m + n, m)
    k = math.floor(u + 1e-9)
    if k < 0:
        return 0.0
    return min(1.0, sum(counts[: k + 1]) / total)


@dataclass(frozen=True, slots=True)
class MannWhitney:
    """Result of a two-sided Mann–Whitney U test."""

    u: float  # U of the first sample (number of pairs where it is the larger one; ties count 1/2)
    p_value: float
    method: str  # "exact" or "normal"


def mann_whitney_u(x: Sequence[float], y: Sequence[float]) -> MannWhitney:
    """Two-sided Mann–Whitney U test of ``x`` against ``y``.

    Exact null distribution when there are no ties and ``len(x)*len(y)`` is small; otherwise the
    normal approximation with tie correction and continuity correction (as scipy's
    ``method="asymptotic"``). The p-value is computed from ``min(U1, U2)`` so that swapping the
    samples gives bit-identical results.
    """
    m, n = len(x), len(y)
    if m == 0 or n == 0:
        raise ValueError("both samples need at least one value")
    ranks, ties = rank([*x, *y])
    r1 = math.fsum(ranks[:m])
    u1 = r1 - m * (m + 1) / 2.0
    u_small = min(u1, m * n - u1)
    if not ties and m * n <= _EXACT_MAX_PRODUCT:
        p = min(1.0, 2.0 * exact_u_cdf(u_small, m, n))
        return MannWhitney(u1, p, "exact")
    if ties and m * n <= _EXACT_TIES_MAX_PRODUCT and len(set(ranks)) > 1:
        return MannWhitney(u1, _exact_tied_p(ranks, m), "exact-ties")
    big_n = m + n
    tie_term = sum(t**3 - t for t in ties) / (big_n * (big_n - 1))
    var = m * n / 12.0 * ((big_n + 1) - tie_term)
    if var <= 0:  # every value identical: no evidence of any difference
        return MannWhitney(u1, 1.0, "normal")
    z = (m * n / 2.0 - u_small - 0.5) / math.sqrt(var)
    p = min(1.0, 2.0 * normal_cdf(-max(z, 0.0)))
    return MannWhitney(u1, p, "normal")


def _exact_tied_p(ranks: list[float], m: int) -> float:
    """Two-sided exact p-value of the rank sum of the first ``m`` of ``ranks`` (mid-ranks, ties
    allowed): the share of all C(N, m) subsets whose rank sum is as far from its mean."""
    doubled = [round(2 * r) for r in ranks]  # mid-ranks are multiples of 1/2
    big_n = len(doubled)
    # counts[k][s]: subsets of size k with doubled rank sum s (a knapsack over the ranks)
    counts: list[dict[int, int]] = [{} for _ in range(m + 1)]
    counts[0][0] = 1
    for r in doubled:
        for k in range(m, 0, -1):
            row = counts[k]
            for total, c in counts[k - 1].items():
                row[total + r] = row.get(total + r, 0) + c
    observed = sum(doubled[:m])
    mean = m * (big_n + 1)  # doubled expected rank sum
    distance = abs(observed - mean)
    extreme = sum(c for total, c in counts[m].items() if abs(total - mean) >= distance)
    return min(1.0, extreme / math.comb(big_n, m))


def _critical_k(m: int, n: int, alpha: float) -> int:
    """Largest k with P(U <= k-1) <= alpha/2: the rank of the CI bound among the m*n differences."""
    if m * n <= _EXACT_MAX_PRODUCT:
        counts = _u_counts(min(m, n), max(m, n))
        total = math.comb(m + n, m)
        acc = 0
        for k, c in enumerate(counts):
            if (acc + c) / total > alpha / 2.0:
                return k
            acc += c
        return len(counts)
    z = normal_ppf(1.0 - alpha / 2.0)
    return max(0, math.floor(m * n / 2.0 - z * math.sqrt(m * n * (m + n + 1) / 12.0)))


def shift_confidence_interval(
    x: Sequence[float], y: Sequence[float], *, alpha: float, max_pairs: int = 160_000
) -> tuple[float, float, float]:
    """Hodges–Lehmann estimate and ``1 - alpha`` confidence interval of the shift ``y - x``.

    Returns ``(estimate, low, high)``; bounds are ±inf when the samples are too small for that
    confidence (e.g. 3 vs 3 at 99 %). Built from order statistics of the pairwise differences, so
    swapping ``x`` and ``y`` mirrors the result exactly. Large samples are thinned to evenly spaced
    order statistics first so the pairwise table stays bounded.
    """
    xs, ys = _thin(sorted(x), max_pairs), _thin(sorted(y), max_pairs)
    diffs = sorted(b - a for a in xs for b in ys)
    estimate = median(diffs)
    k = _critical_k(len(xs), len(ys), alpha)
    if k < 1:
        return estimate, -math.inf, math.inf
    return estimate, diffs[k - 1], diffs[len(diffs) - k]


def _thin(s: list[float], max_pairs: int) -> list[float]:
    limit = max(8, int(math.sqrt(max_pairs)))
    if len(s) <= limit:
        return s
    step = (len(s) - 1) / (limit - 1)
    return [s[round(i * step)] for i in range(limit)]


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the regularised incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 400):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def student_t_sf(t: float, df: float) -> float:
    """Two-sided tail probability P(|T| >= |t|) of Student's t with ``df`` degrees of freedom.

        >>> round(student_t_sf(2.776, 4), 3)
        0.05
    """
    if not df > 0:
        raise ValueError(f"df must be > 0, got {df!r}")
    if math.isinf(t):
        return 0.0
    return min(1.0, max(0.0, _betainc(df / 2.0, 0.5, df / (df + t * t))))


def student_t_ppf(p_two_sided: float, df: float) -> float:
    """The t with ``student_t_sf(t, df) == p_two_sided`` (bisection; called once per judgement).

        >>> round(student_t_ppf(0.01, 4), 3)
        4.604
    """
    if not 0.0 < p_two_sided < 1.0:
        raise ValueError(f"p must be in (0, 1), got {p_two_sided!r}")
    lo, hi = 0.0, 1.0
    while student_t_sf(hi, df) > p_two_sided:
        hi *= 2.0
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if student_t_sf(mid, df) > p_two_sided:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2.0
