"""codomyrmex_lazy_imports_total through the Prometheus collector and OTel, and the profiler
record of a lazy load."""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from codomyrmex.performance import (
    LazyImportError,
    LazyLoader,
    lazy_function,
    lazy_import,
    telemetry,
)
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


def test_first_use_of_a_module_imported_before_is_not_recorded_as_an_import(modgen: ModuleFactory) -> None:
    name = modgen.module("tel_before", "VALUE = 1\n")
    importlib.import_module(name)
    proxy = lazy_import(name)
    with profile_imports() as prof:
        assert proxy.VALUE == 1
    assert prof.find(name) is None


def test_failed_lazy_load_is_recorded_as_failed(modgen: ModuleFactory) -> None:
    name = modgen.module("proffail", "raise RuntimeError('nope')\n")
    proxy = lazy_import(name)
    with profile_imports() as prof, pytest.raises(LazyImportError):
        proxy.VALUE  # noqa: B018
    record = prof.find(name)
    assert record is not None and not record.ok and "nope" in (record.error or "")


def _line_after_this_call() -> int:
    frame = inspect.currentframe()
    assert frame is not None and frame.f_back is not None
    return frame.f_back.f_lineno + 1


def test_attach_load_is_recorded_once_as_first_use_at_the_callers_line(modgen: ModuleFactory, clean_stats: Any) -> None:
    dep = modgen.module("profatt_dep", "VALUE = 1\n")
    name = modgen.package("profatt", {
        "__init__.py": "from codomyrmex.performance.lazy import attach\n"
                       "__getattr__, __dir__, __all__ = attach(__name__, submodules=['sub'], submod_attrs={'sub2': ['thing']})\n",
        "sub.py": f"import {dep}\n",
        "sub2.py": "thing = 1\n",
    })  # fmt: skip
    pkg = importlib.import_module(name)
    with profile_imports() as prof:
        line = _line_after_this_call()
        pkg.sub  # noqa: B018
        assert pkg.thing == 1
    subs = [r for r in prof.records if r.module == f"{name}.sub"]
    assert len(subs) == 1
    assert subs[0].trigger == "first_use" and subs[0].site == f"{__file__}:{line}"
    sub2 = prof.find(f"{name}.sub2")
    assert sub2 is not None and sub2.trigger == "first_use" and sub2.site == f"{__file__}:{line + 1}"
    # what the submodule imports is part of the same first use
    assert [c.module for c in subs[0].children] == [dep]
    assert clean_stats.lazy_imports == {(name, "loaded"): 2}


def test_lazy_function_first_use_site_is_the_callers_line(modgen: ModuleFactory) -> None:
    name = modgen.module("proflf", "def twice(x):\n    return 2 * x\n")
    fn = lazy_function(name, "twice")
    with profile_imports() as prof:
        line = _line_after_this_call()
        assert fn(2) == 4
    record = prof.find(name)
    assert record is not None and record.trigger == "first_use"
    assert record.site == f"{__file__}:{line}"


def test_lazy_loader_attribute_first_use_site_is_the_callers_line(modgen: ModuleFactory) -> None:
    name = modgen.module("profll", "VALUE = 3\n")
    loader = LazyLoader(name)
    with profile_imports() as prof:
        line = _line_after_this_call()
        assert loader.VALUE == 3
    record = prof.find(name)
    assert record is not None and record.site == f"{__file__}:{line}"


FIRST_LOAD = """
import sys
from codomyrmex.performance import lazy_import
colorsys = lazy_import("colorsys")
before = set(sys.modules)
colorsys.rgb_to_hsv(0.1, 0.2, 0.3)
from codomyrmex.performance.telemetry.stats import default_registry
assert default_registry().lazy_imports == {("colorsys", "loaded"): 1}, default_registry().lazy_imports
print(" ".join(sorted(set(sys.modules) - before)))
"""


def test_first_lazy_load_in_a_fresh_interpreter_imports_no_logging_or_configure() -> None:
    out = subprocess.run([sys.executable, "-c", FIRST_LOAD], capture_output=True, text=True, check=True)
    new = set(out.stdout.split())
    assert "colorsys" in new
    eliminated = {
        "codomyrmex.performance.telemetry._configure",
        "codomyrmex.performance.telemetry.recording",
        "codomyrmex.performance.env",
        "logging",
        "opentelemetry",
        "prometheus_client",
    }
    assert new & eliminated == set()
