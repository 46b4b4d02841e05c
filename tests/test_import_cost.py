"""``import codomyrmex.performance`` must stay cheap (checked in a fresh interpreter)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

FORBIDDEN = ("prometheus_client", "opentelemetry.sdk", "opentelemetry.exporter", "grpc",
             "google.protobuf", "numpy", "scipy", "redis")  # fmt: skip


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


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
    # (json is not in the list: _modules_after itself imports it to print its answer)
    heavy = ("asyncio", "dataclasses", "inspect", "pathlib", "sqlite3", "pickle", "logging")
    assert sorted(m for m in heavy if m in modules) == []
