"""Benchmarks: suites, calibrated timing, results with robust statistics, recorded runs.

    from codomyrmex.performance.benchmarking import BenchmarkSuite, run_benchmark

    suite = BenchmarkSuite("agent_performance")

    @suite.benchmark
    def tokenize() -> None:
        "the quick brown fox".split()

    run = run_benchmark(suite, store="series.sqlite3")   # compares with the recorded history
    print(run.report())

``run_benchmark(func, iterations=5)`` still times a plain callable and returns its
:class:`BenchmarkResult`. :func:`compare_variants` interleaves two variants (A, B, A′) in one
run; :func:`load_suites` reads suites from a Python file (what ``codomyrmex-perf bench run``
does).
"""

from __future__ import annotations

from ._canary import canary_workload
from ._compare import VariantComparison, compare_variants
from ._environment import collect_environment, git_commit, timer_overhead
from ._result import BenchmarkResult
from ._run import Comparison, EmptySuiteWarning, SuiteRun, format_seconds
from ._runner import (
    BASELINE_RUNS,
    HISTORY_LIMIT,
    MIN_HISTORY_RUNS,
    open_store,
    run_benchmark,
)
from ._suite import Benchmark, BenchmarkSuite, load_suites

__all__ = [
    "BASELINE_RUNS",
    "HISTORY_LIMIT",
    "MIN_HISTORY_RUNS",
    "Benchmark",
    "BenchmarkResult",
    "BenchmarkSuite",
    "Comparison",
    "EmptySuiteWarning",
    "SuiteRun",
    "VariantComparison",
    "canary_workload",
    "collect_environment",
    "compare_variants",
    "format_seconds",
    "git_commit",
    "load_suites",
    "open_store",
    "run_benchmark",
    "timer_overhead",
]
