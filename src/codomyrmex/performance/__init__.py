"""codomyrmex.performance: make agent processes fast, and prove it.

OBSERVE (import profiler), EXECUTE (caches and lazy imports), VERIFY (benchmarks and regression
detection), LEARN (recorded series, dashboards, trend reports), with OpenTelemetry and Prometheus
built in::

    from codomyrmex.performance import CacheManager, cached_function, LazyLoader, lazy_import

    @cached_function(ttl=3600)
    def expensive_analysis(code: str) -> dict: ...

    torch = lazy_import("torch")  # imported on first attribute access

Importing this package is cheap: the public names below are resolved on first access (PEP 562),
and nothing here imports prometheus_client, the OTel SDK, exporters, numpy, scipy, redis or grpc.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing costs ~10 ms to import; mypy treats this name as typing's
if TYPE_CHECKING:
    from typing import Any

    from ._version import __version__
    from .benchmarking import BenchmarkResult, BenchmarkSuite, run_benchmark
    from .caching import CacheManager, cached_function
    from .errors import (
        BenchmarkError,
        CacheError,
        ConfigurationError,
        LazyImportError,
        PerformanceError,
        RegressionError,
        SeriesStoreError,
        TelemetryError,
    )
    from .importtime import profile_imports
    from .lazy import LazyLoader, attach, get_lazy_loader, lazy_function, lazy_import
    from .regression import compare_samples, find_change_points

__all__ = [
    "BenchmarkError",
    "BenchmarkResult",
    "BenchmarkSuite",
    "CacheError",
    "CacheManager",
    "ConfigurationError",
    "LazyImportError",
    "LazyLoader",
    "PerformanceError",
    "RegressionError",
    "SeriesStoreError",
    "TelemetryError",
    "__version__",
    "attach",
    "cached_function",
    "compare_samples",
    "find_change_points",
    "get_lazy_loader",
    "lazy_function",
    "lazy_import",
    "profile_imports",
    "run_benchmark",
]

# public name -> submodule that defines it; resolved on first access and then cached in globals()
# so later lookups are plain dict hits.
_LAZY_EXPORTS: dict[str, str] = {
    "__version__": "_version",
    "BenchmarkError": "errors",
    "CacheError": "errors",
    "ConfigurationError": "errors",
    "LazyImportError": "errors",
    "PerformanceError": "errors",
    "RegressionError": "errors",
    "SeriesStoreError": "errors",
    "TelemetryError": "errors",
    "CacheManager": "caching",
    "cached_function": "caching",
    "LazyLoader": "lazy",
    "lazy_import": "lazy",
    "lazy_function": "lazy",
    "get_lazy_loader": "lazy",
    "attach": "lazy",
    "profile_imports": "importtime",
    "compare_samples": "regression",
    "find_change_points": "regression",
    "BenchmarkSuite": "benchmarking",
    "BenchmarkResult": "benchmarking",
    "run_benchmark": "benchmarking",
}


def __getattr__(name: str) -> Any:
    submodule = _LAZY_EXPORTS.get(name)
    if submodule is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module_name = f"{__name__}.{submodule}"
    __import__(module_name)  # importlib would cost an import of its own; this is the same
    value = getattr(sys.modules[module_name], name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({k for k in globals() if k.startswith("_")} | set(__all__))
