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

import sys

from .. import _lazy_exports

TYPE_CHECKING = False  # typing costs ~10 ms to import; mypy treats this name as typing's
if TYPE_CHECKING:
    from ._decorator import CacheInfo, cached_function
    from ._manager import CacheManager, NamedCache
    from ._options import Tiers
    from ._policies import POLICIES
    from ._protocol import CachedFunction
    from ._redis_tier import RedisTier
    from ._serialize import Serializer
    from ._sqlite_tier import SQLiteTier
    from ._stats import CacheSnapshot

__all__ = [
    "POLICIES",
    "CacheInfo",
    "CacheManager",
    "CacheSnapshot",
    "CachedFunction",
    "NamedCache",
    "RedisTier",
    "SQLiteTier",
    "Serializer",
    "Tiers",
    "cached_function",
]

# Every name resolves on first access (and is then cached in globals()): the decorator and the
# manager load cachetools, threading and the telemetry stats; the tiers sqlite3, json, pickle
# and hmac; CacheSnapshot (a dataclass) dataclasses. Importing the package costs nothing.
_LAZY: dict[str, str] = {
    "CacheInfo": "_decorator",
    "CacheManager": "_manager",
    "NamedCache": "_manager",
    "POLICIES": "_policies",
    "CacheSnapshot": "_stats",
    "CachedFunction": "_protocol",
    "RedisTier": "_redis_tier",
    "SQLiteTier": "_sqlite_tier",
    "Serializer": "_serialize",
    "Tiers": "_options",
}

if not TYPE_CHECKING:

    def cached_function(*args, **kwargs):
        """Cache a function's results; see :func:`codomyrmex.performance.caching._decorator.
        cached_function` (``@cached_function`` or ``@cached_function(ttl=3600, ...)``).

        The implementation is imported by the first call, as ``cachetools.cached`` imports
        ``cachetools._cached``: ``from codomyrmex.performance import cached_function`` then
        costs less than ``import cachetools``; the first decoration pays for the rest. That call
        rebinds this package's and ``codomyrmex.performance``'s ``cached_function`` to the
        implementation, so later lookups there get it directly."""
        from ._decorator import cached_function as implementation

        for name in (__name__, __name__.rpartition(".")[0]):
            namespace = getattr(sys.modules.get(name), "__dict__", {})
            if namespace.get("cached_function") is cached_function:
                namespace["cached_function"] = implementation
        return implementation(*args, **kwargs)


__getattr__, __dir__ = _lazy_exports(__name__, globals(), _LAZY, __all__)
