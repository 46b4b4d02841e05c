"""The public surface and the import cost of the lazy package."""

from __future__ import annotations

import subprocess
import sys

import codomyrmex.performance.lazy as lazy
from codomyrmex import performance


def test_all_lists_exactly_the_public_names() -> None:
    public = {n for n in dir(lazy) if not n.startswith("_") and n not in {"annotations"}}
    assert set(lazy.__all__) == public
    for name in lazy.__all__:
        assert getattr(lazy, name) is not None


def test_package_level_names_resolve_to_the_lazy_package() -> None:
    for name in ("LazyLoader", "lazy_import", "lazy_function", "get_lazy_loader", "attach"):
        assert getattr(performance, name) is getattr(lazy, name)


def test_importing_lazy_pulls_in_no_telemetry_or_parsers() -> None:
    code = (
        "import sys, codomyrmex.performance.lazy as l\n"
        "heavy = {'opentelemetry', 'prometheus_client', 'ast', 'dataclasses', 'numpy', 'fnmatch'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
        "l.lazy_import('json').dumps(1)\n"
        "print(sorted({'opentelemetry', 'prometheus_client', 'numpy'} & set(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # importing pulls in nothing heavy; a load records into the stats (slow path) but still
    # imports neither OpenTelemetry nor prometheus_client
    assert out.stdout.split() == ["[]", "[]"]
