"""``import codomyrmex.performance`` must stay cheap (checked in a fresh interpreter)."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

FORBIDDEN = ("prometheus_client", "opentelemetry.sdk", "opentelemetry.exporter", "grpc",
             "google.protobuf", "numpy", "scipy", "redis")  # fmt: skip


def _modules_after(code: str) -> set[str]:
    """sys.modules after ``code`` in a fresh interpreter, read without importing anything more
    (json is on the forbidden lists): repr() of a list of str, read back with ast here."""
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint(repr(sorted(sys.modules)))"],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    return set(ast.literal_eval(out.stdout.strip().splitlines()[-1]))


def _forbidden(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == f or m.startswith(f + ".") for f in FORBIDDEN))


@pytest.mark.parametrize(
    "code",
    [
        "import codomyrmex.performance",
        "from codomyrmex.performance import CacheManager, cached_function, LazyLoader, lazy_import",
        "from codomyrmex.performance import errors, env, telemetry",
    ],
)
def test_import_pulls_in_no_heavy_dependency(code: str) -> None:
    assert _forbidden(_modules_after(code)) == []


def test_package_import_does_not_import_the_otel_api_either() -> None:
    # Not required by DESIGN.md, but cheap to keep: the OTel API loads on the first slow path.
    modules = _modules_after("import codomyrmex.performance")
    assert not any(m.startswith("opentelemetry") for m in modules)


def test_public_names_load_no_heavy_standard_library_module() -> None:
    # Each of these costs milliseconds at start-up (asyncio ~45 ms, dataclasses+inspect ~5 ms,
    # pathlib+urllib.parse ~4 ms); they load when a feature first needs them.
    modules = _modules_after(
        "from codomyrmex.performance import CacheManager, cached_function, LazyLoader, lazy_import"
    )
    heavy = ("asyncio", "dataclasses", "inspect", "pathlib", "sqlite3", "pickle", "logging")
    assert sorted(m for m in heavy if m in modules) == []


# Issue 12: each public import, in a fresh interpreter, must not load these (no wall-clock
# assertion here: bench_import.py measures the time; this fails when a heavy import creeps back).
HEAVY_LIBRARIES = ("prometheus_client", "opentelemetry", "grpc", "google.protobuf", "numpy", "scipy",
                   "redis", "cachetools")  # fmt: skip
TYPING_AND_FRIENDS = ("typing", "re", "enum", "functools", "collections", "contextlib", "threading",
                      "importlib.util", "importlib.metadata", "warnings", "inspect", "dataclasses",
                      "ast")  # fmt: skip
SLOW_PATH_STDLIB = ("asyncio", "sqlite3", "socket", "ssl", "json", "pickle", "hmac", "logging",
                    "subprocess", "pathlib", "urllib.parse", "ipaddress", "tempfile",
                    "importlib.metadata", "email", "http", "uuid", "platform", "concurrent")  # fmt: skip
OUR_SLOW_PATHS = ("codomyrmex.performance.series", "codomyrmex.performance.regression._gate",
                  "codomyrmex.performance.regression._compare", "codomyrmex.performance.benchmarking._runner",
                  "codomyrmex.performance.telemetry._otel", "codomyrmex.performance.telemetry._prometheus",
                  "codomyrmex.performance.telemetry._configure", "codomyrmex.performance.reporting",
                  "codomyrmex.performance.importtime", "codomyrmex.performance.caching._sqlite_tier",
                  "codomyrmex.performance.caching._redis_tier", "codomyrmex.performance.lazy._verify",
                  "codomyrmex.performance.lazy._stub", "codomyrmex.performance.cli")  # fmt: skip

FORBIDDEN_AFTER: dict[str, tuple[str, ...]] = {
    # the package itself and the two cheapest entry points: not even typing or our own modules
    # beyond what they need (lazy_import <= 3x lazy_loader, cached_function <= 1.5x cachetools)
    "import codomyrmex.performance": (*HEAVY_LIBRARIES, *TYPING_AND_FRIENDS, *SLOW_PATH_STDLIB,
                                      *OUR_SLOW_PATHS, "codomyrmex.performance.errors",
                                      "codomyrmex.performance.lazy", "codomyrmex.performance.caching"),
    "from codomyrmex.performance import lazy_import": (*HEAVY_LIBRARIES, *TYPING_AND_FRIENDS,
                                                       *SLOW_PATH_STDLIB, *OUR_SLOW_PATHS,
                                                       "codomyrmex.performance.errors",
                                                       "codomyrmex.performance.telemetry",
                                                       "codomyrmex.performance.lazy._loader",
                                                       "codomyrmex.performance.lazy._attach",
                                                       "codomyrmex.performance.lazy._load"),
    "from codomyrmex.performance import cached_function": (*HEAVY_LIBRARIES, *TYPING_AND_FRIENDS,
                                                           *SLOW_PATH_STDLIB, *OUR_SLOW_PATHS,
                                                           "codomyrmex.performance.telemetry",
                                                           "codomyrmex.performance.caching._decorator"),
    # the seed's names (<= 1.0x opentelemetry.trace + cachetools): typing and cachetools are
    # allowed here, the slow paths and the telemetry backends are not
    "from codomyrmex.performance import CacheManager, cached_function, LazyLoader, lazy_import": (
        *(m for m in HEAVY_LIBRARIES if m != "cachetools"), *SLOW_PATH_STDLIB, *OUR_SLOW_PATHS),
    "from codomyrmex.performance.profiling.benchmark import BenchmarkSuite, BenchmarkResult, run_benchmark": (
        *HEAVY_LIBRARIES, *SLOW_PATH_STDLIB, *OUR_SLOW_PATHS, "codomyrmex.performance.caching",
        "codomyrmex.performance.telemetry"),
    "from codomyrmex.performance import LazyLoader, get_lazy_loader, lazy_function": (
        *HEAVY_LIBRARIES, *SLOW_PATH_STDLIB, *OUR_SLOW_PATHS, "codomyrmex.performance.telemetry"),
    "from codomyrmex.performance import attach": (*HEAVY_LIBRARIES, *TYPING_AND_FRIENDS, *SLOW_PATH_STDLIB,
                                                  *OUR_SLOW_PATHS, "codomyrmex.performance.telemetry"),
}


@pytest.mark.parametrize("code", sorted(FORBIDDEN_AFTER), ids=lambda code: code.split(" import ")[-1][:40])
def test_public_import_loads_no_forbidden_module(code: str) -> None:
    modules = _modules_after(code)
    crept_in = sorted(m for m in modules if any(m == f or m.startswith(f + ".") for f in FORBIDDEN_AFTER[code]))
    assert crept_in == []


def test_the_forbidden_lists_catch_a_module_that_creeps_in() -> None:
    # the check itself: a statement that does load typing is caught
    modules = _modules_after("from codomyrmex.performance import lazy_import; import typing")
    forbidden = FORBIDDEN_AFTER["from codomyrmex.performance import lazy_import"]
    assert "typing" in modules and "typing" in forbidden
