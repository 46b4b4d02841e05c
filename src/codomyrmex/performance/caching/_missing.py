"""The "no entry" sentinel of the cache modules: ``None`` is a value like any other.

A module of its own so that the in-memory path can use it without importing the shared-tier
plumbing (:mod:`._tiering`, SQLite, serialization), which a memory-only cache never needs.

    >>> from codomyrmex.performance.caching._missing import MISSING
    >>> MISSING is not None
    True
"""

from __future__ import annotations

from typing import Any

__all__ = ["MISSING"]

MISSING: Any = object()
