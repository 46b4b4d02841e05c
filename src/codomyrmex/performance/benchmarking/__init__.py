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

from typing import TYPE_CHECKING

from .. import _lazy_exports

if TYPE_CHECKING:
    from ._canary import canary_workload
    from ._compare import VariantComparison, compare_variants
    from ._environment import collect_environment, git_commit, timer_overhead
    from ._instructions import MEASURES
    from ._result import BenchmarkResult
    from ._run import Comparison, EmptySuiteWarning, SuiteRun, format_seconds
    from ._runner import BASELINE_RUNS, HISTORY_LIMIT, MIN_HISTORY_RUNS, open_store, run_benchmark
    from ._suite import Benchmark, BenchmarkSuite, load_suites

# Loaded on first use (PEP 562): a suite file only needs BenchmarkSuite, and instruction mode
# imports every suite file again in each process it runs under Valgrind, where the regression and
# series layers this package's runner pulls in would cost ~0.5 G instructions per process.
_LAZY = {
    "BASELINE_RUNS": "_runner",
    "HISTORY_LIMIT": "_runner",
    "MEASURES": "_instructions",
    "MIN_HISTORY_RUNS": "_runner",
    "Benchmark": "_suite",
    "BenchmarkResult": "_result",
    "BenchmarkSuite": "_suite",
    "Comparison": "_run",
    "EmptySuiteWarning": "_run",
    "SuiteRun": "_run",
    "VariantComparison": "_compare",
    "canary_workload": "_canary",
    "collect_environment": "_environment",
    "compare_variants": "_compare",
    "format_seconds": "_run",
    "git_commit": "_environment",
    "load_suites": "_suite",
    "open_store": "_runner",
    "run_benchmark": "_runner",
    "timer_overhead": "_environment",
}

__all__ = [
    "BASELINE_RUNS",
    "HISTORY_LIMIT",
    "MEASURES",
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

__getattr__, __dir__ = _lazy_exports(__name__, globals(), _LAZY, __all__)
