"""The public surface is declared once: ``__all__`` equals the public names (cf. httpx)."""

from __future__ import annotations

import importlib

import pytest

import codomyrmex.performance as perf

PACKAGES = [
    "codomyrmex.performance",
    "codomyrmex.performance.telemetry",
    "codomyrmex.performance.caching",
    "codomyrmex.performance.lazy",
    "codomyrmex.performance.importtime",
    "codomyrmex.performance.benchmarking",
    "codomyrmex.performance.regression",
    "codomyrmex.performance.series",
    "codomyrmex.performance.reporting",
    "codomyrmex.performance.assets",
    "codomyrmex.performance.pytest_plugin",
    "codomyrmex.performance.profiling.benchmark",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_lists_exactly_the_public_names(name: str) -> None:
    module = importlib.import_module(name)
    public = {n for n in dir(module) if not n.startswith("_")}
    exported = set(module.__all__)
    assert exported <= public | {"__version__"}
    # every public class or function the library defines and shows here is exported
    missing = {
        n for n in public - exported
        if str(getattr(getattr(module, n), "__module__", "")).startswith("codomyrmex.performance")
        and not isinstance(getattr(module, n), type(importlib))
    }  # fmt: skip
    assert missing == set()


def test_every_top_level_export_resolves() -> None:
    for name in perf.__all__:
        assert getattr(perf, name) is not None, name


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="module 'codomyrmex.performance' has no attribute 'nope'"):
        perf.nope  # noqa: B018


def test_namespace_package_has_no_init() -> None:
    import codomyrmex

    assert getattr(codomyrmex, "__file__", None) is None
