"""Compare two code variants in one run: A, B and a control A′, interleaved in random order.

Sequential runs on a shared machine drift by 10–30 %, far more than the few percent one wants
to detect. Interleaving the samples of A, B and a second copy of A (A′) in a random order within
each round puts the drift on all three alike; A′ is the control: if A vs A′ already shows a
change, the machine was too noisy for the A vs B verdict to be trusted (``reliable`` is False).

    >>> from codomyrmex.performance.benchmarking import compare_variants
    >>> cmp = compare_variants(lambda: sum(range(200)), lambda: sum(range(200)), rounds=8,
    ...                        min_time=0.0005, seed=1)
    >>> cmp.verdict.is_regression
    False
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .._validation import check_callable, check_non_negative_number, check_positive_int
from ..errors import BenchmarkError
from ..regression import Verdict, compare_samples
from ._environment import timer_overhead
from ._result import BenchmarkResult
from ._timing import Timing, _sample, calibrate

__all__ = ["VariantComparison", "compare_variants"]


@dataclass
class VariantComparison:
    """Samples of A, B and A′ (seconds per call) and the verdicts B vs A and A′ vs A."""

    a: BenchmarkResult
    b: BenchmarkResult
    control: BenchmarkResult
    verdict: Verdict  # B against A
    control_verdict: Verdict  # A′ against A: should be "unchanged"
    order: list[str] = field(default_factory=list)

    @property
    def reliable(self) -> bool:
        """False when the control (A vs A′) itself shows a regression or an improvement."""
        return not (self.control_verdict.is_regression or self.control_verdict.is_improvement)

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a.to_dict(), "b": self.b.to_dict(), "control": self.control.to_dict(),
            "verdict": self.verdict.to_dict(), "control_verdict": self.control_verdict.to_dict(),
            "reliable": self.reliable,
        }  # fmt: skip


def compare_variants(
    a: Callable[[], Any],
    b: Callable[[], Any],
    *,
    rounds: int = 20,
    min_time: float = 0.005,
    warmup: int = 1,
    seed: int | None = None,
    gc: bool = False,
    higher_is_better: bool = False,
    alpha: float = 0.01,
    min_effect: float = 0.02,
) -> VariantComparison:
    """Time ``a``, ``b`` and ``a`` again (the control) with the same loop count, one sample of
    each per round in a shuffled order, and judge B against A with :func:`compare_samples`."""
    check_callable("a", a)
    check_callable("b", b)
    check_positive_int("rounds", rounds, error=BenchmarkError)
    check_non_negative_number("min_time", min_time, error=BenchmarkError, unit="seconds")
    rng = random.Random(seed)
    timing = Timing(warmup, rounds, float(min_time), gc, None, timer_overhead())
    calls = {"A": a, "B": b, "A'": a}
    try:
        # one loop count for all variants, calibrated on the slower of A and B, so per-call
        # overheads are identical and no variant gets a shorter, noisier sample
        loops = max(calibrate(a, timing), calibrate(b, timing))
        for _ in range(warmup):
            for fn in (a, b):
                _sample(fn, loops, gc)
        samples: dict[str, list[float]] = {k: [] for k in calls}
        order: list[str] = []
        for _ in range(rounds):
            block = list(calls)
            rng.shuffle(block)
            for key in block:
                samples[key].append(_sample(calls[key], loops, gc) / loops)
            order.extend(block)
    except Exception as exc:
        raise BenchmarkError(f"a variant raised {type(exc).__name__}: {exc}") from exc
    ra, rb, rc = (BenchmarkResult(k, samples[k], loops) for k in ("A", "B", "A'"))
    kw: dict[str, Any] = {"higher_is_better": higher_is_better, "alpha": alpha, "min_effect": min_effect}
    return VariantComparison(
        ra, rb, rc, compare_samples(ra.times, rb.times, **kw), compare_samples(ra.times, rc.times, **kw), order
    )
