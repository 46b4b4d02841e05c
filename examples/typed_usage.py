"""The public API used as an application would; type-checked in CI with ``mypy --strict``.

Run it: ``python examples/typed_usage.py``.
"""

from __future__ import annotations

from codomyrmex.performance import CacheManager, LazyLoader, cached_function, lazy_import, telemetry
from codomyrmex.performance.errors import PerformanceError
from codomyrmex.performance.profiling.benchmark import (
    BenchmarkResult,
    BenchmarkSuite,
    run_benchmark,
)


@cached_function(ttl=60, max_size=128)
def analyse(code: str) -> dict[str, int]:
    return {"lines": code.count("\n") + 1, "chars": len(code)}


def main() -> None:
    manager = CacheManager()
    manager.set("answer", 42)
    print("cached:", manager.get("answer"), analyse("x = 1\ny = 2"), analyse("x = 1\ny = 2"))
    json_mod = lazy_import("json")
    print("lazy json:", json_mod.dumps({"ok": True}))
    loader = LazyLoader("statistics")
    print("loader loaded before use:", loader.is_loaded())

    suite = BenchmarkSuite(name="typed_usage")

    @suite.benchmark
    def sum_range() -> None:
        sum(range(1000))

    result = run_benchmark(suite, rounds=5, min_time=0.01)
    print("ran suite:", type(result).__name__, BenchmarkResult.__name__)
    try:
        telemetry.configure(metrics_port=99999)
    except PerformanceError as exc:
        print("rejected:", exc)


if __name__ == "__main__":
    main()
