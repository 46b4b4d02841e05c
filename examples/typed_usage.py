"""The public API used as an application would; type-checked in CI with ``mypy --strict``.

Run it: ``python examples/typed_usage.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from codomyrmex.performance import CacheManager, LazyLoader, cached_function, lazy_import, telemetry
from codomyrmex.performance.caching import CacheInfo
from codomyrmex.performance.errors import PerformanceError
from codomyrmex.performance.profiling.benchmark import (
    BenchmarkResult,
    BenchmarkSuite,
    run_benchmark,
)

# Lazy, and still typed: mypy and IDEs see numpy's own types; at runtime numpy is imported on
# its first use (README, "Typed usage").
if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy_import("numpy")


def mean(xs: list[float]) -> float:
    return float(np.mean(np.asarray(xs, dtype=np.float64)))


@cached_function(ttl=60, maxsize=128)
def analyse(code: str) -> dict[str, int]:
    return {"lines": code.count("\n") + 1, "chars": len(code)}


class Repo:
    def __init__(self, root: str) -> None:
        self.root = root

    @cached_function(maxsize=64)
    def path_of(self, name: str) -> str:
        return f"{self.root}/{name}"


def cache_methods_are_typed() -> None:
    # cached_function returns CachedFunction[P, R]: calls are checked against the original
    # signature and the cache's methods are known to mypy (no attr-defined ignores).
    info: CacheInfo = analyse.cache_info()
    params = analyse.cache_parameters()
    lines: int = analyse("a\nb")["lines"]
    path: str = Repo("/src").path_of("x")
    print("typed cache:", info.hits, params["maxsize"], lines, path, Repo.path_of.cache_info())
    analyse.invalidate("a\nb")
    analyse.cache_clear()


def main() -> None:
    manager = CacheManager()
    manager.set("answer", 42)
    print("cached:", manager.get("answer"), analyse("x = 1\ny = 2"), analyse("x = 1\ny = 2"))
    cache_methods_are_typed()
    json_mod = lazy_import("json")
    print("lazy json:", json_mod.dumps({"ok": True}))
    print("lazy, typed numpy:", mean([1.0, 2.0, 3.0]))
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
