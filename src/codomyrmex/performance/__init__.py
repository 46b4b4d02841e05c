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
    from collections.abc import Callable, Mapping
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


# Every package __init__.py of this library takes its __getattr__/__dir__ from here. It lives in
# this file, not a module of its own, because a module costs an import (~0.3 ms here, a quarter of
# `import codomyrmex.performance`) and every subpackage has loaded this one first. `table` maps a
# lazy name to its module: a submodule of `package`, or a full module name when dotted. A resolved
# value is stored in `namespace` (the package's globals()), so the next lookup is a dict hit that
# never reaches __getattr__. __dir__ lists `public` (__all__) and the underscore names, not the
# implementation imports (sys, TYPE_CHECKING). Type checkers see the real types through each
# package's `if TYPE_CHECKING:` imports; __getattr__ only answers for the names they do not know.
# Not lazy.attach(): that counts each load into the application's codomyrmex_lazy_imports_total
# and import profile, which should show the application's lazy imports, not this library's.
def _lazy_exports(
    package: str, namespace: dict[str, Any], table: Mapping[str, str], public: list[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` (PEP 562) for ``package`` from a name -> module table::

    __getattr__, __dir__ = _lazy_exports(__name__, globals(), {"run_benchmark": "_runner"}, __all__)
    """

    def __getattr__(name: str) -> Any:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        if "." not in module:
            module = f"{package}.{module}"
        __import__(module)  # importlib would cost an import of its own; this is the same
        value = getattr(sys.modules[module], name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({k for k in namespace if k.startswith("_")} | set(public))

    return __getattr__, __dir__


__getattr__, __dir__ = _lazy_exports(__name__, globals(), _LAZY_EXPORTS, __all__)
