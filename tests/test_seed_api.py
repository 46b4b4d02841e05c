"""The seed snippets from the foundation issue, verbatim (names and call shapes are fixed)."""

from __future__ import annotations


def test_seed_cache_snippet() -> None:
    from codomyrmex.performance import CacheManager, cached_function
    manager = CacheManager()
    @cached_function(ttl=3600)
    def expensive_analysis(code: str) -> dict: ...  # type: ignore[type-arg]

    assert manager is not None
    assert expensive_analysis("x = 1") is None  # the body is "...": returns None, cached like any value
    assert expensive_analysis("x = 1") is None
    assert expensive_analysis.cache_info().hits == 1  # type: ignore[attr-defined]


def test_seed_lazy_snippet() -> None:
    import sys

    from codomyrmex.performance import LazyLoader, lazy_import
    torch = lazy_import("torch")   # only loaded when accessed; must not fail when torch is absent until used

    assert LazyLoader is not None
    assert "torch" not in sys.modules or sys.modules["torch"] is not torch
    assert torch.__name__ == "torch"


def test_seed_benchmark_snippet() -> None:
    from codomyrmex.performance.profiling.benchmark import BenchmarkSuite, BenchmarkResult, run_benchmark
    suite = BenchmarkSuite(name="agent_performance")
    result = run_benchmark(suite)  # timing statistics, regression detection, comparison with baselines

    assert BenchmarkResult is not None
    assert result is not None
