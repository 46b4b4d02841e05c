"""The regression gate: compare two samples of one benchmark and say what changed.

A change is reported only when it is both *statistically* significant (two-sided Mann–Whitney U
on the raw samples, robust to the rare +30 % spikes of a shared machine) and *practically*
relevant (the medians differ by at least ``min_effect``). "Inconclusive" means the samples cannot
reach significance at all (too few of them for ``alpha``) or the medians differ by at least
``min_effect`` but the noise does not let the test confirm it; otherwise a non-significant or
negligible difference is "unchanged". The Hodges–Lehmann confidence interval of the change is
reported alongside. Everything is computed on ``log(value)`` so that swapping baseline and
current exactly mirrors the verdict.

    >>> from codomyrmex.performance.regression import compare_samples
    >>> base = [1.00, 1.01, 0.99, 1.02, 0.98, 1.00, 1.01, 0.99, 1.00, 1.02]
    >>> slow = [v * 1.10 for v in base]
    >>> v = compare_samples(base, slow)
    >>> v.verdict.value, v.is_regression, round(v.change, 3)
    ('regression', True, 0.1)
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .._validation import check_choice
from ..errors import RegressionError
from ._stats import mann_whitney_u, median, shift_confidence_interval

__all__ = [
    "CORRECTIONS",
    "Verdict",
    "VerdictKind",
    "adjust_p_values",
    "compare_many",
    "compare_samples",
]

CORRECTIONS = ("holm", "bh", "none")


class VerdictKind(enum.Enum):
    REGRESSION = "regression"
    IMPROVEMENT = "improvement"
    UNCHANGED = "unchanged"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True, slots=True)
class Verdict:
    """What changed between ``baseline`` and ``current``.

    ``change`` is ``median(current) / median(baseline) - 1``; ``ci_low``/``ci_high`` bound the
    relative change (Hodges–Lehmann interval on the log scale, confidence ``1 - alpha``).
    ``p_value`` is the raw two-sided p-value; ``p_adjusted`` the one the decision used (equal
    unless a multiple-comparison correction was applied across a suite).
    """

    verdict: VerdictKind
    change: float
    ci_low: float
    ci_high: float
    p_value: float
    p_adjusted: float
    alpha: float
    min_effect: float
    n_baseline: int
    n_current: int
    baseline_median: float
    current_median: float
    method: str
    higher_is_better: bool = False

    @property
    def is_regression(self) -> bool:
        return self.verdict is VerdictKind.REGRESSION

    @property
    def is_improvement(self) -> bool:
        return self.verdict is VerdictKind.IMPROVEMENT

    @property
    def inconclusive(self) -> bool:
        return self.verdict is VerdictKind.INCONCLUSIVE

    @property
    def ratio(self) -> float:
        """``median(current) / median(baseline)``."""
        return self.change + 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict.value,
            "change": self.change,
            "ci": [self.ci_low, self.ci_high],
            "p_value": self.p_value,
            "p_adjusted": self.p_adjusted,
            "alpha": self.alpha,
            "min_effect": self.min_effect,
            "n_baseline": self.n_baseline,
            "n_current": self.n_current,
            "baseline_median": self.baseline_median,
            "current_median": self.current_median,
            "method": self.method,
            "higher_is_better": self.higher_is_better,
        }


def _check_sample(name: str, values: Iterable[float], minimum: int = 2) -> list[float]:
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise TypeError(f"{name} must be a sequence of positive numbers, got {type(values).__name__}")
    out: list[float] = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise TypeError(f"{name} must contain numbers only, got {v!r} ({type(v).__name__})")
        if not math.isfinite(v) or v <= 0:
            # log-scale statistics need positive values; durations and rates always are.
            raise RegressionError(f"{name} must contain finite numbers > 0, got {v!r}")
        out.append(float(v))
    if len(out) < minimum:
        raise RegressionError(f"{name} needs at least {minimum} values to be compared, got {len(out)}")
    return out


def _check_levels(alpha: Any, min_effect: Any) -> None:
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise RegressionError(f"alpha must be a number in (0, 1), got {alpha!r}")
    if (
        isinstance(min_effect, bool)
        or not isinstance(min_effect, int | float)
        or not (0 <= min_effect < 10 and math.isfinite(min_effect))
    ):
        raise RegressionError(f"min_effect must be a relative change in [0, 10), got {min_effect!r}")


@dataclass(frozen=True, slots=True)
class _Evidence:
    log_change: float  # log(median current) - log(median baseline)
    hl_low: float
    hl_high: float
    p_value: float
    method: str
    n_baseline: int
    n_current: int
    baseline_median: float
    current_median: float


def _evidence(baseline: list[float], current: list[float], alpha: float) -> _Evidence:
    try:
        lb = [math.log(v) for v in baseline]
        lc = [math.log(v) for v in current]
        # log of the medians (not median of the logs): ``change`` is exactly the medians' ratio
        mb, mc = math.log(median(baseline)), math.log(median(current))
        test = mann_whitney_u(lb, lc)
        _, low, high = shift_confidence_interval(lb, lc, alpha=alpha)
    except (ArithmeticError, ValueError) as exc:  # never a silent pass nor a false alarm
        raise RegressionError(f"the comparison could not be computed: {exc}") from exc
    if not (math.isfinite(mb) and math.isfinite(mc) and 0.0 <= test.p_value <= 1.0):
        raise RegressionError(f"the comparison produced invalid numbers (p={test.p_value!r})")
    return _Evidence(
        mc - mb, low, high, test.p_value, f"mann-whitney-u/{test.method}+hodges-lehmann",
        len(baseline), len(current), median(baseline), median(current),
    )  # fmt: skip


def _decide(
    ev: _Evidence, p: float, *, alpha: float, min_effect: float, higher_is_better: bool
) -> Verdict:
    threshold = math.log1p(min_effect)
    if p < alpha and abs(ev.log_change) >= threshold and ev.log_change != 0.0:
        slower = ev.log_change > 0
        worse = slower != higher_is_better
        kind = VerdictKind.REGRESSION if worse else VerdictKind.IMPROVEMENT
    elif math.isinf(ev.hl_low) or (p >= alpha and abs(ev.log_change) >= threshold):
        # too few samples to ever reach significance, or a change as large as the threshold
        # that the noise does not let us confirm: say so rather than "unchanged"
        kind = VerdictKind.INCONCLUSIVE
    else:
        # not significant and smaller than the threshold, or significant but negligible
        kind = VerdictKind.UNCHANGED
    return Verdict(
        kind, math.expm1(ev.log_change), math.expm1(ev.hl_low), math.expm1(ev.hl_high),
        ev.p_value, p, alpha, min_effect, ev.n_baseline, ev.n_current,
        ev.baseline_median, ev.current_median, ev.method, higher_is_better,
    )  # fmt: skip


def compare_samples(
    baseline: Sequence[float],
    current: Sequence[float],
    *,
    higher_is_better: bool = False,
    alpha: float = 0.01,
    min_effect: float = 0.02,
) -> Verdict:
    """Compare raw samples (e.g. seconds per call) of a baseline and a current run.

    ``higher_is_better=False`` for durations (slower = regression), ``True`` for throughputs.
    Raises :class:`~codomyrmex.performance.errors.RegressionError` when the data cannot be judged
    (fewer than 2 values, non-positive or non-finite values) rather than guessing.
    """
    b, c = _check_sample("baseline", baseline), _check_sample("current", current)
    _check_levels(alpha, min_effect)
    ev = _evidence(b, c, alpha)
    return _decide(ev, ev.p_value, alpha=alpha, min_effect=min_effect, higher_is_better=higher_is_better)


def adjust_p_values(p_values: Sequence[float], method: str = "holm") -> list[float]:
    """Adjusted p-values for a family of tests: ``"holm"`` (family-wise error) or ``"bh"``
    (Benjamini–Hochberg false discovery rate); ``"none"`` returns them unchanged.

        >>> adjust_p_values([0.01, 0.04, 0.03], "holm")
        [0.03, 0.06, 0.06]
    """
    check_choice("method", method, CORRECTIONS, error=RegressionError)
    ps = [float(p) for p in p_values]
    if any(not 0.0 <= p <= 1.0 for p in ps):
        raise RegressionError(f"p_values must be in [0, 1], got {ps!r}")
    m = len(ps)
    if method == "none" or m == 0:
        return ps
    order = sorted(range(m), key=ps.__getitem__)
    out = [0.0] * m
    if method == "holm":
        running = 0.0
        for i, idx in enumerate(order):
            running = max(running, min(1.0, (m - i) * ps[idx]))
            out[idx] = running
    else:
        running = 1.0
        for i in range(m - 1, -1, -1):
            idx = order[i]
            running = min(running, ps[idx] * m / (i + 1))
            out[idx] = min(1.0, running)
    return [round(p, 15) for p in out]


def compare_many(
    pairs: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    *,
    higher_is_better: bool | Mapping[str, bool] = False,
    alpha: float = 0.01,
    min_effect: float = 0.02,
    correction: str = "holm",
) -> dict[str, Verdict | RegressionError]:
    """Compare every ``name -> (baseline, current)`` of a suite, controlling the false-alarm rate
    across the suite with ``correction`` (Holm by default). A pair that cannot be judged maps to
    its :class:`RegressionError` instead of a verdict, so it is neither a regression nor a pass.
    """
    check_choice("correction", correction, CORRECTIONS, error=RegressionError)
    _check_levels(alpha, min_effect)
    evidence: dict[str, _Evidence] = {}
    out: dict[str, Verdict | RegressionError] = {}
    for name, (base, cur) in pairs.items():
        try:
            evidence[name] = _evidence(
                _check_sample("baseline", base), _check_sample("current", cur), alpha
            )
        except (RegressionError, TypeError) as exc:
            out[name] = exc if isinstance(exc, RegressionError) else RegressionError(str(exc))
    names = list(evidence)
    adjusted = adjust_p_values([evidence[n].p_value for n in names], correction)
    for name, p in zip(names, adjusted, strict=True):
        hib = higher_is_better if isinstance(higher_is_better, bool) else higher_is_better.get(name, False)
        out[name] = _decide(evidence[name], p, alpha=alpha, min_effect=min_effect, higher_is_better=hib)
    return {name: out[name] for name in pairs}
