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

from ._decorator import CacheInfo, cached_function
from ._manager import CacheManager, NamedCache
from ._policies import POLICIES
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
