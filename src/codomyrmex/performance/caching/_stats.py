"""A read-only snapshot of one cache's counters, for ``cache_stats()`` and ``get_stats()``.

>>> from codomyrmex.performance.telemetry.stats import CacheStats
>>> s = CacheStats("doc"); s.hits, s.misses = 3, 1
>>> snapshot(s, 10).hit_ratio
0.75
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ..telemetry.stats import CacheStats

__all__ = ["CacheSnapshot", "snapshot"]


@dataclass(frozen=True)
class CacheSnapshot:
    """Counters of one cache at one moment. ``hits``/``misses`` are the memory tier's;
    ``max_size`` is ``None`` for an unbounded cache."""

    name: str
    hits: int
    misses: int
    hit_ratio: float
    disk_hits: int
    disk_misses: int
    redis_hits: int
    redis_misses: int
    puts: int
    loads_ok: int
    loads_failed: int
    load_seconds_total: float
    evictions: dict[str, int] = field(default_factory=dict)
    entries: int = 0
    max_size: int | None = None
    #: ``"tier/op"`` -> count, e.g. ``{"redis/get": 2}``
    errors: dict[str, int] = field(default_factory=dict)
    #: Calls that waited for another caller's load of the same key (single-flight) and got its
    #: value: not hits (nothing was cached when they looked), not misses (they did not load).
    waited: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def snapshot(
    stats: CacheStats, max_size: int | None, *, entries: int | None = None
) -> CacheSnapshot:
    lookups = stats.hits + stats.misses
    return CacheSnapshot(
        name=stats.name,
        hits=stats.hits,
        misses=stats.misses,
        hit_ratio=stats.hits / lookups if lookups else 0.0,
        disk_hits=stats.disk_hits,
        disk_misses=stats.disk_misses,
        redis_hits=stats.redis_hits,
        redis_misses=stats.redis_misses,
        puts=stats.puts,
        loads_ok=stats.load_success.count,
        loads_failed=stats.load_failure.count,
        load_seconds_total=stats.load_success.sum + stats.load_failure.sum,
        evictions=dict(stats.evictions()),
        entries=stats.current_entries() if entries is None else entries,
        max_size=max_size,
        errors={f"{tier}/{op}": n for (tier, op), n in sorted(stats.errors.items())},
        waited=stats.waits,
    )
