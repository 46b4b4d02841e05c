"""The result of one benchmark: its raw samples and the statistics derived from them.

Keeps the seed API (``name``, ``iterations``, ``times``, ``average_time``, ``min_time``,
``max_time``, ``median``, ``stdev``, ``percentile(p)``, ``to_dict()``) and adds robust statistics
(MAD, p50–p99, a bootstrap confidence interval of the median, ops/s)::

    >>> from codomyrmex.performance.benchmarking import BenchmarkResult
    >>> r = BenchmarkResult("parse", [0.0010, 0.0012, 0.0011, 0.0030])
    >>> r.median, r.min_time, r.iterations
    (0.00115, 0.001, 4)
    >>> round(r.ops_per_second)
    870
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..regression._stats import mad, percentile
from ..regression._stats import median as _median

if TYPE_CHECKING:
    from ._run import Comparison

__all__ = ["BenchmarkResult"]

_BOOTSTRAP_RESAMPLES = 1000


@dataclass
class BenchmarkResult:
    """Samples per call (``times``) in ``unit`` -- seconds, or instructions in instruction
    mode -- each the mean of ``loops`` calls.

    A failed benchmark has ``failed=True``, the exception text in ``error`` and no samples; its
    statistics are NaN rather than a misleading number.
    """

    name: str
    times: list[float] = field(default_factory=list)
    loops: int = 1
    error: str | None = None
    #: samples divided by the canary time measured around this benchmark (unitless); empty
    #: without a canary
    normalized: list[float] = field(default_factory=list)
    #: filled by run_benchmark when a store holds history for this benchmark
    comparison: Comparison | None = None
    started_ns: int = 0
    ended_ns: int = 0
    #: where it was measured (python, platform, cpu, hostname, git commit, timer and overhead)
    environment: dict[str, Any] = field(default_factory=dict)
    #: what ``times`` counts: ``"seconds"`` per call (time mode) or CPU ``"instructions"`` per
    #: call (instruction mode, one exact sample); each unit is its own recorded series
    unit: str = "seconds"
    #: the run's own evidence says the machine disturbed this result (see ``SuiteRun.noise``):
    #: it is recorded and shown, but never part of a baseline
    noisy: bool = False

    # -- seed API ---------------------------------------------------------------------------
    @property
    def iterations(self) -> int:
        """Number of samples taken (each of ``loops`` calls)."""
        return len(self.times)

    @property
    def failed(self) -> bool:
        return self.error is not None

    def _stat(self, fn: Any) -> float:
        return float(fn(self.times)) if self.times else math.nan

    @property
    def average_time(self) -> float:
        # statistics (with fractions, decimal, numbers: ~5 ms) is imported where it is used, so
        # that importing BenchmarkResult (the seed's import) does not load it (issue 12)
        import statistics

        return self._stat(statistics.fmean)

    mean = average_time

    @property
    def min_time(self) -> float:
        return self._stat(min)

    @property
    def max_time(self) -> float:
        return self._stat(max)

    @property
    def median(self) -> float:
        return self._stat(_median)

    @property
    def stdev(self) -> float:
        import statistics

        return statistics.stdev(self.times) if len(self.times) > 1 else (0.0 if self.times else math.nan)

    def percentile(self, p: float) -> float:
        """The ``p``-th percentile (0–100) of the samples, linear interpolation as numpy's."""
        if isinstance(p, bool) or not isinstance(p, int | float) or not 0 <= p <= 100:
            raise ValueError(f"p must be a number in [0, 100], got {p!r}")
        return percentile(self.times, p) if self.times else math.nan

    # -- robust statistics ------------------------------------------------------------------
    @property
    def mad(self) -> float:
        """Median absolute deviation (unscaled)."""
        return self._stat(mad)

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p90(self) -> float:
        return self.percentile(90)

    @property
    def p95(self) -> float:
        return self.percentile(95)

    @property
    def p99(self) -> float:
        return self.percentile(99)

    @property
    def ops_per_second(self) -> float:
        """Calls per second (NaN for an instruction count, which says nothing about time)."""
        med = self.median
        return 1.0 / med if self.unit == "seconds" and med and med > 0 else math.nan

    def median_ci(self, confidence: float = 0.95) -> tuple[float, float]:
        """Percentile-bootstrap confidence interval of the median (deterministic seed, so the
        same samples always give the same interval)."""
        if not 0 < confidence < 1:
            raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
        n = len(self.times)
        if n == 0:
            return math.nan, math.nan
        if n == 1:
            return self.times[0], self.times[0]
        rng = random.Random(n)
        data = self.times
        meds = sorted(_median(rng.choices(data, k=n)) for _ in range(_BOOTSTRAP_RESAMPLES))
        tail = (1 - confidence) / 2
        return percentile(meds, 100 * tail), percentile(meds, 100 * (1 - tail))

    def stats(self) -> dict[str, float]:
        """The gauge statistics: min, p50, p90, p95, p99, mean (seconds)."""
        return {"min": self.min_time, "p50": self.p50, "p90": self.p90, "p95": self.p95,
                "p99": self.p99, "mean": self.average_time}  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        low, high = self.median_ci()
        out: dict[str, Any] = {
            "name": self.name,
            "unit": self.unit,
            "noisy": self.noisy,
            "iterations": self.iterations,
            "loops": self.loops,
            "failed": self.failed,
            "error": self.error,
            # where it failed (file:line in function) and the benchmark code's traceback
            "error_location": getattr(self.error, "location", None),
            "traceback": getattr(self.error, "traceback", None),
            "times": list(self.times),
            "normalized": list(self.normalized),
            "average_time": self.average_time,
            "min_time": self.min_time,
            "max_time": self.max_time,
            "median": self.median,
            "median_ci": [low, high],
            "stdev": self.stdev,
            "mad": self.mad,
            "p50": self.p50,
            "p90": self.p90,
            "p95": self.p95,
            "p99": self.p99,
            "ops_per_second": self.ops_per_second,
        }
        if self.environment:
            out["environment"] = dict(self.environment)
        if self.comparison is not None:
            out["comparison"] = self.comparison.to_dict()
        return out
