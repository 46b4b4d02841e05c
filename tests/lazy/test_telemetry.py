"""codomyrmex_lazy_imports_total through the Prometheus collector and OTel, and the profiler
record of a lazy load."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from codomyrmex.performance import LazyImportError, lazy_import, telemetry
from codomyrmex.performance.importtime import profile_imports
from tests.lazy._modgen import ModuleFactory


def _load_one_ok_one_failed(modgen: ModuleFactory) -> tuple[str, str]:
    ok = modgen.module("tel_ok", "VALUE = 1\n")
    bad = modgen.module("tel_bad", "raise RuntimeError('x')\n")
    assert lazy_import(ok).VALUE == 1
    with pytest.raises(LazyImportError):
        lazy_import(bad).VALUE  # noqa: B018
    return ok, bad


def test_counter_through_the_prometheus_collector(modgen: ModuleFactory, clean_stats: Any) -> None:
    ok, bad = _load_one_ok_one_failed(modgen)
    registry = CollectorRegistry()
    telemetry.register_collector(registry)
    value = registry.get_sample_value
    assert value("codomyrmex_lazy_imports_total", {"package": ok, "state": "loaded"}) == 1.0
    assert value("codomyrmex_lazy_imports_total", {"package": bad, "state": "failed"}) == 1.0


def test_counter_through_otel(modgen: ModuleFactory, clean_stats: Any, otel: Any) -> None:
    ok, bad = _load_one_ok_one_failed(modgen)
    assert otel.value("codomyrmex.lazy.imports", package=ok, state="loaded") == 1
    assert otel.value("codomyrmex.lazy.imports", package=bad, state="failed") == 1


def test_counter_label_is_the_top_level_package(modgen: ModuleFactory, clean_stats: Any) -> None:
    pkg = modgen.package("telpkg", {"__init__.py": "", "leaf.py": "VALUE = 1\n"})
    assert lazy_import(f"{pkg}.leaf").VALUE == 1
    assert clean_stats.lazy_imports == {(pkg, "loaded"): 1}


def test_lazy_load_is_recorded_by_the_profiler_with_its_first_use_site(modgen: ModuleFactory) -> None:
    pkg = modgen.package("prof", {"__init__.py": "from . import dep\n", "dep.py": "VALUE = 2\n"})
    proxy = lazy_import(pkg)
    with profile_imports() as prof:
        assert proxy.dep.VALUE == 2
    record = prof.find(pkg)
    assert record is not None and record.ok
    assert record.trigger == "first_use"
    assert record.site is not None and record.site.startswith(__file__ + ":")
    dep = prof.find(f"{pkg}.dep")
    assert dep is not None and dep.parent is record and dep.trigger == "first_use"
    assert record.cumulative_ns >= dep.cumulative_ns > 0


def test_failed_lazy_load_is_recorded_as_failed(modgen: ModuleFactory) -> None:
    name = modgen.module("proffail", "raise RuntimeError('nope')\n")
    proxy = lazy_import(name)
    with profile_imports() as prof, pytest.raises(LazyImportError):
        proxy.VALUE  # noqa: B018
    record = prof.find(name)
    assert record is not None and not record.ok and "nope" in (record.error or "")
