"""CPython's ``Lib/test/test_functools.py`` LRU tests (``TestLRU``, ``TestCache``), from the
running interpreter's ``test`` package, run onto ``cached_function`` through
:data:`._adapters.functools`. Skips: :mod:`.skips` only."""

from __future__ import annotations

import unittest

from ._adapters import functools as adapter
from ._suites import apply_skips, fail_or_skip

try:
    from test import test_functools as cpython
except ImportError as exc:  # a Python built without its test package
    fail_or_skip(f"this interpreter has no test.test_functools: {exc}")


@adapter.lru_cache()
def _cached_func(x: int, y: int) -> int:
    return 3 * x + y


class TestLRUCodomyrmex(cpython.TestLRU, unittest.TestCase):  # type: ignore[misc,name-defined]
    module = adapter
    cached_func = (_cached_func,)

    @adapter.lru_cache()
    def cached_meth(self, x: int, y: int) -> int:
        return 3 * x + y

    @staticmethod
    @adapter.lru_cache()
    def cached_staticmeth(x: int, y: int) -> int:
        return 3 * x + y


class TestCacheCodomyrmex(cpython.TestCache, unittest.TestCase):  # type: ignore[misc,name-defined]
    module = adapter


apply_skips("cpython-functools", "test_functools", TestLRUCodomyrmex, "TestLRU")
apply_skips("cpython-functools", "test_functools", TestCacheCodomyrmex, "TestCache")
