"""Caching: ``cached_function`` and ``CacheManager`` over memory, SQLite and Redis tiers.

    from codomyrmex.performance import CacheManager, cached_function

    manager = CacheManager()                       # memory only; persist=/redis= add tiers

    @cached_function(ttl=3600)
    def expensive_analysis(code: str) -> dict: ...

    expensive_analysis.cache_info()                # CacheInfo(hits=..., misses=..., ...)

Lookups go memory (cachetools, exact policy semantics) -> SQLite -> Redis and a miss writes
through every tier. Hits make no telemetry call; the counters are read by the OTel observable
instruments and the Prometheus collector of :mod:`codomyrmex.performance.telemetry`.
"""

from __future__ import annotations

import typing as _typing

from ._decorator import CacheInfo, cached_function
from ._manager import CacheManager, NamedCache
from ._policies import POLICIES

if _typing.TYPE_CHECKING:
    from ._redis_tier import RedisTier
    from ._serialize import Serializer
    from ._sqlite_tier import SQLiteTier
    from ._stats import CacheSnapshot

__all__ = [
    "POLICIES",
    "CacheInfo",
    "CacheManager",
    "CacheSnapshot",
    "NamedCache",
    "RedisTier",
    "SQLiteTier",
    "Serializer",
    "cached_function",
]

# The tier classes load sqlite3, json, pickle and hmac, and CacheSnapshot (a dataclass) loads
# dataclasses: resolved on first access (and then cached in globals()), so that importing the
# package for a memory-only cache stays cheap.
_LAZY: dict[str, str] = {
    "CacheSnapshot": "._stats",
    "RedisTier": "._redis_tier",
    "SQLiteTier": "._sqlite_tier",
    "Serializer": "._serialize",
}


def __getattr__(name: str) -> _typing.Any:
    import importlib

    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
