"""The result of running a suite: every benchmark's result, its comparison and a report.

    >>> from codomyrmex.performance.benchmarking import BenchmarkSuite, run_benchmark
    >>> suite = BenchmarkSuite("demo")
    >>> suite.add("sum", lambda: sum(range(50)))
    >>> run = run_benchmark(suite, rounds=3, min_time=0.0005, canary=False)
    >>> list(run), run.ok
    (['sum'], True)
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..regression import MIN_HISTORY_RUNS, NO_HISTORY, Verdict
from ._result import BenchmarkResult

__all__ = ["NO_HISTORY", "Comparison", "EmptySuiteWarning", "SuiteRun", "format_seconds", "format_value"]


class EmptySuiteWarning(UserWarning):
    """``run_benchmark`` was given a suite without benchmarks."""


@dataclass(frozen=True)
class Comparison:
    """How one benchmark compares with its recorded baseline.

    ``verdict`` is None when there is no usable history yet (``note=NO_HISTORY``) or when the
    statistics could not judge the data (``note`` says why): neither a regression nor a pass.
    """

    benchmark: str
    baseline: float | None  # baseline median, seconds per call
    current: float  # current median, seconds per call
    change: float | None  # current / baseline - 1
    verdict: Verdict | None
    note: str | None = None
    baseline_runs: int = 0
    drift: float = 0.0  # relative run-to-run σ of the run medians the gate used
    normalized: bool = False  # judged on canary-normalised samples

    @property
    def verdict_name(self) -> str:
        if self.verdict is not None:
            return self.verdict.verdict.value
        return "new" if self.note is not None and self.note.startswith(NO_HISTORY) else "error"

    def stored(self) -> dict[str, Any]:
        """What is recorded with the run (JSON-safe): the verdict, note and numbers the gate used."""
        d = self.to_dict()
        del d["benchmark"], d["current"]
        d["normalized"] = self.normalized
        return d

    def to_dict(self) -> dict[str, Any]:
        return {
            "benchmark": self.benchmark,
            "baseline": self.baseline,
            "current": self.current,
            "change": self.change,
            "verdict": self.verdict_name,
            "note": self.note,
            "baseline_runs": self.baseline_runs,
            "drift": self.drift,
            "normalized": self.normalized,
            "detail": None if self.verdict is None else self.verdict.to_dict(),
        }


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def format_seconds(value: float) -> str:
    """``0.000123`` -> ``"123.0 µs"``."""
    if value is None or not math.isfinite(value):
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if abs(value) >= scale:
            return f"{value / scale:.3g} {unit}"
    return f"{value / 1e-9:.3g} ns"


def format_value(value: float, unit: str = "seconds") -> str:
    """A number of ``unit`` for a table: seconds via :func:`format_seconds`, instructions as
    ``"64.3 k instr"``."""
    if unit != "instructions":
        return format_seconds(value)
    if value is None or not math.isfinite(value):
        return "-"
    for suffix, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= scale:
            return f"{value / scale:.4g} {suffix} instr"
    return f"{value:.4g} instr"


@dataclass
class SuiteRun:
    """One run of a suite. Iterating yields benchmark names; ``run[name]`` their results."""

    suite: str
    results: dict[str, BenchmarkResult] = field(default_factory=dict)
    environment: dict[str, Any] = field(default_factory=dict)
    canary: float | None = None  # median seconds of the canary workload
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    timestamp: float = field(default_factory=time.time)
    warnings: list[str] = field(default_factory=list)
    store: Any = None  # the store the run was recorded in, if any

    def __getitem__(self, name: str) -> BenchmarkResult:
        return self.results[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    @property
    def regressions(self) -> list[str]:
        return [n for n, r in self.results.items()
                if r.comparison is not None and r.comparison.verdict is not None
                and r.comparison.verdict.is_regression]  # fmt: skip

    @property
    def improvements(self) -> list[str]:
        return [n for n, r in self.results.items()
                if r.comparison is not None and r.comparison.verdict is not None
                and r.comparison.verdict.is_improvement]  # fmt: skip

    @property
    def failed(self) -> list[str]:
        return [n for n, r in self.results.items() if r.failed]

    @property
    def check_errors(self) -> list[str]:
        """Benchmarks whose comparison could not be computed (neither pass nor regression)."""
        return [n for n, r in self.results.items()
                if r.comparison is not None and r.comparison.verdict_name == "error"]  # fmt: skip

    @property
    def ok(self) -> bool:
        """No failed benchmark, no regression and no comparison that could not be judged."""
        return not (self.failed or self.regressions or self.check_errors)

    def to_dict(self) -> dict[str, Any]:
        return {
            "suite": self.suite,
            "run_id": self.run_id,
            "timestamp": self.timestamp,
            "environment": self.environment,
            "canary": self.canary,
            "warnings": list(self.warnings),
            "benchmarks": [{k: v for k, v in r.to_dict().items() if k != "environment"}
                           for r in self.results.values()],  # the environment is listed once
        }

    def report(self) -> str:
        """A plain-text table: one line per benchmark with median, CI, p99, ops/s, change, verdict."""
        header = ("benchmark", "median", "95% CI", "p99", "ops/s", "n", "baseline", "change", "verdict")
        rows: list[tuple[str, ...]] = [header]
        for name, r in self.results.items():
            if r.failed:
                where = getattr(r.error, "location", None)
                rows.append((name, "-", "-", "-", "-", "0", "-", "-",
                             f"FAILED: {r.error}" + (f" at {where}" if where else "")))  # fmt: skip
                continue
            lo, hi = r.median_ci()
            c = r.comparison
            change = "-" if c is None or c.change is None else f"{c.change:+.1%}"
            verdict = "-" if c is None else c.verdict_name
            if verdict == "new":  # how many more recorded runs until one gets a verdict
                more = max(MIN_HISTORY_RUNS - c.baseline_runs, 1) if c is not None else 0
                verdict += f" (needs {more} more run{'' if more == 1 else 's'})"
            if c is not None and c.verdict is not None:
                verdict += f" (p={c.verdict.p_adjusted:.2g})"
            if c is not None and c.note and c.verdict_name != "new":
                verdict += f": {c.note}"
            if r.noisy:
                verdict += " [noisy: not a baseline]"
            fmt = r.unit
            ops = f"{r.ops_per_second:,.0f}" if math.isfinite(r.ops_per_second) else "-"
            rows.append((
                name, format_value(r.median, fmt), f"{format_value(lo, fmt)}..{format_value(hi, fmt)}",
                format_value(r.p99, fmt), ops, str(r.iterations),
                "-" if c is None or c.baseline is None else format_value(c.baseline, fmt), change, verdict,
            ))  # fmt: skip
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        how = ("CPU instructions per call (Valgrind)" if self.environment.get("measure") == "instructions"
               else f"canary {format_seconds(self.canary or math.nan)}")  # fmt: skip
        lines = [f"suite {self.suite}  (run {self.run_id[:12]}, {how})"]
        for i, row in enumerate(rows):
            lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
            if i == 0:
                lines.append("  ".join("-" * w for w in widths))
        summary = f"{_count(len(self.results), 'benchmark')}, {_count(len(self.regressions), 'regression')}, " \
                  f"{_count(len(self.improvements), 'improvement')}, {len(self.failed)} failed"
        lines.append(summary)
        lines.extend(f"warning: {w}" for w in self.warnings)
        for name, r in self.results.items():  # the benchmark code's traceback, as pytest shows it
            tb = getattr(r.error, "traceback", None)
            if tb:
                lines.append(f"{name} failed:")
                lines.extend("  " + line for line in tb.rstrip("\n").splitlines())
        return "\n".join(lines)
