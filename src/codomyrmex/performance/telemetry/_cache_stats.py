"""The plain statistics of one cache: :class:`Histogram` (explicit buckets, Prometheus ``le``
semantics) and :class:`CacheStats` (ints incremented by the cache under its own lock).

Re-exported by :mod:`.stats`, which holds the registry of all of them.

    >>> from codomyrmex.performance.telemetry._cache_stats import CacheStats
    >>> s = CacheStats("demo")
    >>> s.hits += 1
    >>> list(s.gets())[:2]
    [('hit', 'memory', 1), ('miss', 'memory', 0)]
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterator

from .names import DURATION_BUCKETS

__all__ = ["MAX_ERROR_TYPES", "CacheStats", "Histogram"]

#: error types a cache's failure histogram tells apart; more fold into ``_OTHER``
MAX_ERROR_TYPES = 20


class Histogram:
    """An explicit-bucket histogram of plain numbers (Prometheus semantics: ``le`` buckets).

    ``counts[i]`` counts observations ``<= bounds[i]`` that are ``> bounds[i-1]``; the last slot
    is the ``+Inf`` overflow. Read :meth:`cumulative` for the Prometheus form.
    """

    __slots__ = ("bounds", "count", "counts", "exemplars", "max", "min", "sum")

    def __init__(self, bounds: tuple[float, ...] = DURATION_BUCKETS) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)
        self.count = 0
        self.sum = 0.0
        self.min = float("inf")
        self.max = float("-inf")
        #: bucket index -> the last ``(trace_id, span_id, value, unix_seconds)`` observed in it
        #: while a span was current (OpenMetrics exemplars); ``None`` until the first one.
        self.exemplars: dict[int, tuple[str, str, float, float]] | None = None

    def observe(self, value: float, exemplar: tuple[str, str, float] | None = None) -> None:
        """Count ``value``; ``exemplar`` is ``(trace_id_hex, span_id_hex, unix_seconds)``."""
        # bisect_left: a value equal to a bound belongs to that bound's bucket (le semantics).
        i = bisect_left(self.bounds, value)
        self.counts[i] += 1
        self.count += 1
        self.sum += value
        if value < self.min:
            self.min = value
        if value > self.max:
            self.max = value
        if exemplar is not None:
            if self.exemplars is None:
                self.exemplars = {}
            self.exemplars[i] = (exemplar[0], exemplar[1], value, exemplar[2])

    def add(self, other: Histogram) -> None:
        """Add ``other``'s observations (same bounds) to this histogram."""
        if other.bounds != self.bounds:
            raise ValueError("cannot add histograms with different bucket bounds")
        for i, n in enumerate(list(other.counts)):
            self.counts[i] += n
        self.count += other.count
        self.sum += other.sum
        self.min = min(self.min, other.min)
        self.max = max(self.max, other.max)
        if other.exemplars:
            self.exemplars = {**(self.exemplars or {}), **other.exemplars}

    def cumulative(self) -> list[tuple[str, int]]:
        """``[("0.0001", n), ..., ("+Inf", total)]`` as Prometheus expects."""
        out: list[tuple[str, int]] = []
        running = 0
        for bound, n in zip((*self.bounds, float("inf")), self.counts, strict=True):
            running += n
            out.append(("+Inf" if bound == float("inf") else repr(float(bound)), running))
        return out


class CacheStats:
    """Counters of one named cache. Attributes are plain ints, incremented by the cache itself.

    ``hits``/``misses`` are for the in-process (memory) tier; ``disk_*`` and ``redis_*`` for the
    shared tiers, which are only consulted after a memory miss.
    """

    __slots__ = (
        "__weakref__",
        "disk_hits",
        "disk_misses",
        "entries",
        "entries_fn",
        "errors",
        "evictions_expired",
        "evictions_explicit",
        "evictions_size",
        "hits",
        "load_failure",
        "load_failure_types",
        "load_success",
        "misses",
        "name",
        "puts",
        "redis_hits",
        "redis_misses",
        "tiers",
        "waits",
    )

    def __init__(self, name: str) -> None:
        self.name = name
        self.hits = 0
        self.misses = 0
        self.disk_hits = 0
        self.disk_misses = 0
        self.redis_hits = 0
        self.redis_misses = 0
        self.puts = 0
        self.evictions_size = 0
        self.evictions_expired = 0
        self.evictions_explicit = 0
        #: Callers served by another caller's load of the same key (single-flight waiters):
        #: neither a fresh hit nor a miss, so not in the gets series; reported by the cache.
        self.waits = 0
        #: (tier, op) -> count. Slow path only.
        self.errors: dict[tuple[str, str], int] = {}
        #: Current entry count; a cache may instead set ``entries_fn`` to be read at collection.
        self.entries = 0
        self.entries_fn: Callable[[], int] | None = None
        self.load_success = Histogram()
        #: every failed load (the sum of ``load_failure_types``)
        self.load_failure = Histogram()
        #: ``error.type`` (the exception's qualified name) -> failed loads of that type
        self.load_failure_types: dict[str, Histogram] = {}
        #: the shared tiers this cache has ("disk", "redis"): only those get gets series
        self.tiers: frozenset[str] = frozenset()

    def gets(self) -> Iterator[tuple[str, str, int]]:
        """``(result, tier, count)`` for every gets series: the memory tier always (at zero
        from creation), a shared tier when the cache has it or has counted on it."""
        yield "hit", "memory", self.hits
        yield "miss", "memory", self.misses
        if "disk" in self.tiers or self.disk_hits or self.disk_misses:
            yield "hit", "disk", self.disk_hits
            yield "miss", "disk", self.disk_misses
        if "redis" in self.tiers or self.redis_hits or self.redis_misses:
            yield "hit", "redis", self.redis_hits
            yield "miss", "redis", self.redis_misses

    def evictions(self) -> Iterator[tuple[str, int]]:
        """``(cause, count)`` for every cause, including zeros."""
        yield "size", self.evictions_size
        yield "expired", self.evictions_expired
        yield "explicit", self.evictions_explicit

    def eviction_series(self) -> Iterator[tuple[str, int]]:
        """What exporters show: size always (at zero from creation), the others once seen."""
        return ((cause, n) for cause, n in self.evictions() if n or cause == "size")

    def observe_failure(
        self, seconds: float, error_type: str, exemplar: tuple[str, str, float] | None = None
    ) -> None:
        """A failed load of ``error_type`` (callers hold the cache's load lock)."""
        self.load_failure.observe(seconds, exemplar)
        hist = self.load_failure_types.get(error_type)
        if hist is None and len(self.load_failure_types) >= MAX_ERROR_TYPES:
            error_type = "_OTHER"  # the OTel conventions' value for "some other type"
            hist = self.load_failure_types.get(error_type)
        if hist is None:
            hist = self.load_failure_types[error_type] = Histogram()
        hist.observe(seconds, exemplar)

    def current_entries(self) -> int:
        fn = self.entries_fn
        if fn is not None:
            try:
                return fn()
            except Exception:  # a collector must never raise into the exporter
                return self.entries
        return self.entries

    def count_error(self, tier: str, op: str) -> None:
        key = (tier, op)
        self.errors[key] = self.errors.get(key, 0) + 1

    def add(self, other: CacheStats) -> None:
        """Add ``other``'s counters (not its entries gauge) to these: folding a retired cache
        into its name's total, or summing the caches that share a name for an exporter."""
        self.hits += other.hits
        self.misses += other.misses
        self.disk_hits += other.disk_hits
        self.disk_misses += other.disk_misses
        self.redis_hits += other.redis_hits
        self.redis_misses += other.redis_misses
        self.puts += other.puts
        self.evictions_size += other.evictions_size
        self.evictions_expired += other.evictions_expired
        self.evictions_explicit += other.evictions_explicit
        self.waits += other.waits
        for key, n in list(other.errors.items()):
            self.errors[key] = self.errors.get(key, 0) + n
        self.load_success.add(other.load_success)
        self.load_failure.add(other.load_failure)
        for error_type, hist in list(other.load_failure_types.items()):
            mine = self.load_failure_types.get(error_type)
            if mine is None:
                mine = self.load_failure_types[error_type] = Histogram()
            mine.add(hist)
        self.tiers = self.tiers | other.tiers
