"""cachetools' own ``tests/test_cached.py``, ``test_cachedmethod.py``, ``test_func.py`` and
``test_threading.py`` (from the sdist of the installed version, fetched at test time) run onto
``cached_function`` through :data:`._adapters.cachetools`. Skips: :mod:`.skips` only."""

from __future__ import annotations

import unittest
from typing import Any

from ._suites import apply_skips, cachetools_suite


def _collect() -> dict[str, type[Any]]:
    classes: dict[str, type[Any]] = {}
    for filename, module in cachetools_suite().items():
        for name, obj in sorted(vars(module).items()):
            if (
                isinstance(obj, type)
                and issubclass(obj, unittest.TestCase)
                and obj.__module__ == module.__name__
            ):
                copy = type(f"{filename}__{name}", (obj,), {"__module__": __name__})
                apply_skips("cachetools", filename, copy, name)
                classes[copy.__name__] = copy
    return classes


globals().update(_collect())
