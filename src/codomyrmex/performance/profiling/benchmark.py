"""Seed-compatible import path for the benchmark API::

    from codomyrmex.performance.profiling.benchmark import BenchmarkSuite, BenchmarkResult, run_benchmark
    suite = BenchmarkSuite(name="agent_performance")
    result = run_benchmark(suite)
"""

from __future__ import annotations

from ..benchmarking import BenchmarkResult, BenchmarkSuite, run_benchmark

__all__ = ["BenchmarkResult", "BenchmarkSuite", "run_benchmark"]
