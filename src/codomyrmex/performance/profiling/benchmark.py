"""Seed-compatible import path for the benchmark API::

    from codomyrmex.performance.profiling.benchmark import BenchmarkSuite, BenchmarkResult, run_benchmark
    suite = BenchmarkSuite(name="agent_performance")
    result = run_benchmark(suite)

``run_benchmark`` here is a thin entry that imports the runner (the regression gate, the
series stores: sqlite3, json, socket, ...) on its first call and then rebinds itself to
:func:`codomyrmex.performance.benchmarking.run_benchmark`, so that importing the seed's three
names costs only the two classes (issue 12: all seed names import faster than
``opentelemetry.trace`` and ``cachetools`` together).
"""

from __future__ import annotations

from ..benchmarking import BenchmarkResult, BenchmarkSuite

TYPE_CHECKING = False  # typing costs ~10 ms to import; mypy treats this name as typing's
if TYPE_CHECKING:
    from ..benchmarking import run_benchmark
else:

    def run_benchmark(*args, **kwargs):
        """Run a suite (or a callable); see :func:`codomyrmex.performance.benchmarking.run_benchmark`."""
        from ..benchmarking import run_benchmark as implementation

        if globals().get("run_benchmark") is run_benchmark:
            globals()["run_benchmark"] = implementation
        return implementation(*args, **kwargs)


__all__ = ["BenchmarkResult", "BenchmarkSuite", "run_benchmark"]
