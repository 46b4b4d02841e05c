"""The in-process (L1) store: a cachetools cache with exact policy semantics, counting evictions.

- ``policy`` is one of ``lru``, ``lfu``, ``fifo``, ``rr`` (cachetools' classes, unchanged).
- A fixed ``ttl`` with ``lru`` is :class:`cachetools.TTLCache` (LRU with expiry), so the hit path
  is exactly cachetools'. A fixed ``ttl`` with another policy, a callable ``ttl`` (per-entry TTL
  computed from the value) or per-call TTLs (``CacheManager.set(..., ttl=)``) use
  :func:`expiring`, which adds an expiry map and a heap to the policy's own class.
- Evictions are counted by cause into the cache's :class:`CacheStats`: ``size`` when the policy
  evicts to make room (``popitem``), ``expired`` when an entry's time ran out, ``explicit`` is
  counted by the callers of ``delete``/``clear``.

Only the miss path (``__setitem__``, ``popitem``, ``expire``) is overridden; ``__getitem__`` of
the LRU/TTL stores is cachetools' own, which is what the hit benchmark compares against.

    >>> from codomyrmex.performance.telemetry.stats import CacheStats
    >>> store = make_store("lru", 2, None, CacheStats("doc"))
    >>> for k in "abc":
    ...     store[k] = k
    >>> store.stats.evictions_size
    1
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable
from typing import Any

import cachetools

from ..telemetry.stats import CacheStats

__all__ = ["POLICIES", "EntryTTL", "Store", "hit_reader", "make_store"]

POLICIES: dict[str, type[cachetools.Cache[Any, Any]]] = {
    "lru": cachetools.LRUCache,
    "lfu": cachetools.LFUCache,
    "fifo": cachetools.FIFOCache,
    "rr": cachetools.RRCache,
}

#: Per-entry TTL: ``(key, value) -> seconds`` or ``None`` for "never expires".
EntryTTL = Callable[[Any, Any], float | None]

Store = Any  # a cachetools cache from make_store(); typed loosely because the classes are dynamic


def _has_lru_internals() -> bool:
    # The private attributes read by CountingLRU.__getitem__ (cachetools >= 5 has them); a
    # cachetools without them keeps its own __getitem__.
    probe: cachetools.LRUCache[int, int] = cachetools.LRUCache(1)
    probe[0] = 0
    return (
        type(getattr(probe, "_Cache__data", None)) is dict
        and hasattr(getattr(probe, "_LRUCache__order", None), "move_to_end")
        and getattr(probe, "_Cache__size", 0) is None  # no getsizeof: every item has size 1
        and getattr(probe, "_Cache__currsize", None) == 1
        and getattr(probe, "_Cache__maxsize", None) == 1
        and getattr(cachetools.LRUCache, "__missing__", None) is cachetools.Cache.__missing__
    )


_LRU_INTERNALS = _has_lru_internals()


def _counting(base: type[Any]) -> type[Any]:
    """``base`` plus eviction counting. ``popitem`` is only called by cachetools to make room."""

    class Counting(base):  # type: ignore[misc]
        stats: CacheStats

        def popitem(self) -> tuple[Any, Any]:
            item: tuple[Any, Any] = super().popitem()
            self.stats.evictions_size += 1
            return item

        def expire(self, time: float | None = None) -> list[tuple[Any, Any]]:
            # TTLCache calls this before every insert and from len(); count what it removed.
            expired: list[tuple[Any, Any]] = super().expire(time)
            if expired:
                self.stats.evictions_expired += len(expired)
            return expired

    cls: type[Any] = Counting
    if base is cachetools.LRUCache and _LRU_INTERNALS:

        class CountingLRU(Counting):
            def __getitem__(self, key: Any) -> Any:
                # cachetools' LRUCache.__getitem__ with one frame instead of three (it calls
                # Cache.__getitem__, which calls __missing__ to raise): the same dict read and
                # the same move_to_end, so the same policy. A miss raises KeyError straight
                # from the dict read, which halves what an L1 miss costs on the L2 hit path.
                value = self._Cache__data[key]
                self._LRUCache__order.move_to_end(key)
                return value

            def __setitem__(self, key: Any, value: Any) -> None:
                # Cache.__setitem__ (its no-getsizeof branch) and LRUCache.__setitem__ in one
                # frame: an L2 hit copied into a full memory tier inserts and evicts on every
                # call. The same steps in the same order; a model test runs both side by side.
                data = self._Cache__data
                order = self._LRUCache__order
                if key in data:
                    data[key] = value
                    order.move_to_end(key)
                    return
                maxsize = self._Cache__maxsize
                if maxsize < 1:
                    raise ValueError("value too large")
                while self._Cache__currsize + 1 > maxsize:
                    self.popitem()
                data[key] = value
                self._Cache__currsize += 1
                order[key] = None

            def popitem(self) -> tuple[Any, Any]:
                # LRUCache.popitem (and the __delitem__ it calls) plus the count, in one frame.
                order = self._LRUCache__order
                try:
                    key = next(iter(order))
                except StopIteration:
                    raise KeyError(f"{type(self).__name__} is empty") from None
                data = self._Cache__data
                value = data.pop(key)
                del order[key]
                self._Cache__currsize -= 1
                self.stats.evictions_size += 1
                return (key, value)

        cls = CountingLRU

    cls.__name__ = cls.__qualname__ = f"Counting{base.__name__}"
    return cls


def expiring(base: type[Any]) -> type[Any]:
    """``base`` (any cachetools policy) plus a per-entry expiry time.

    Expired entries are dropped when read (counted ``expired``) and, before every insert, all
    entries whose time has passed are purged first (heap ordered by expiry), so the policy only
    ever evicts live entries for room.
    """

    class Expiring(base):  # type: ignore[misc]
        stats: CacheStats
        entry_ttl: EntryTTL
        timer: Callable[[], float]

        def __init__(self, maxsize: int, **kwargs: Any) -> None:
            super().__init__(maxsize, **kwargs)
            self.expires: dict[Any, float] = {}
            self.heap: list[tuple[float, int, Any]] = []
            self.seq = 0

        def __getitem__(self, key: Any) -> Any:
            exp = self.expires.get(key)
            if exp is not None and exp <= self.timer():
                self._drop(key)
                raise KeyError(key)
            return super().__getitem__(key)

        def __contains__(self, key: object) -> bool:
            exp = self.expires.get(key)
            if exp is not None and exp <= self.timer():
                return False
            return bool(super().__contains__(key))

        def __setitem__(self, key: Any, value: Any) -> None:
            now = self.timer()
            self.expire(now)
            ttl = self.entry_ttl(key, value)
            super().__setitem__(key, value)
            if ttl is None:
                self.expires.pop(key, None)
            else:
                exp = now + ttl
                self.expires[key] = exp
                self.seq += 1
                heap = self.heap
                heapq.heappush(heap, (exp, self.seq, key))
                if len(heap) > 2 * len(self.expires) + 64:
                    self._compact()

        def _compact(self) -> None:
            # Rewriting a key (or deleting one) leaves its old heap record behind until that
            # time comes; a key rewritten with a long TTL would grow the heap without bound.
            # Rebuilt from the live expiry map when more than half the records are stale:
            # O(n) once per ~n writes, so amortised O(1) per write.
            heap = [(exp, i, key) for i, (key, exp) in enumerate(self.expires.items())]
            heapq.heapify(heap)
            self.heap = heap
            self.seq = len(heap)

        def __delitem__(self, key: Any) -> None:
            super().__delitem__(key)
            self.expires.pop(key, None)

        def __len__(self) -> int:
            self.expire()
            return int(super().__len__())

        def popitem(self) -> tuple[Any, Any]:
            item: tuple[Any, Any] = super().popitem()  # calls our __delitem__
            self.stats.evictions_size += 1
            return item

        def clear(self) -> None:
            super().clear()
            self.expires.clear()
            self.heap.clear()

        def expire(self, now: float | None = None) -> list[tuple[Any, Any]]:
            now = self.timer() if now is None else now
            heap, expires = self.heap, self.expires
            out: list[tuple[Any, Any]] = []
            while heap and heap[0][0] <= now:
                exp, _, key = heapq.heappop(heap)
                if expires.get(key) == exp:  # else: stale heap record of a rewritten entry
                    out.append((key, self._drop(key)))
            return out

        def _drop(self, key: Any) -> Any:
            value = base.__getitem__(self, key) if super().__contains__(key) else None
            super().__delitem__(key)
            self.expires.pop(key, None)
            self.stats.evictions_expired += 1
            return value

    Expiring.__name__ = Expiring.__qualname__ = f"Expiring{base.__name__}"
    return Expiring


_COUNTING = {name: _counting(cls) for name, cls in POLICIES.items()}
_COUNTING_TTL = _counting(cachetools.TTLCache)
_EXPIRING = {name: expiring(cls) for name, cls in POLICIES.items()}


def hit_reader(store: Store) -> tuple[Callable[[Any, Any], Any], Callable[[Any], Any] | None]:
    """How a wrapper's hit path reads ``store``: ``(get, touch)``, called under the store's lock
    as ``get(key, default)`` then, on a hit, ``touch(key)`` unless ``touch`` is ``None``.

    For the plain LRU store these are its dict's ``get`` and its order's ``move_to_end``: C
    calls, no Python frame, no KeyError raised on a miss; the same read and the same recency
    update as ``CountingLRU.__getitem__`` (a model test runs both). Every other store is read
    through its own ``__getitem__`` (expiry and policy bookkeeping included)."""
    if _LRU_INTERNALS and type(store) is _COUNTING["lru"]:
        return store._Cache__data.get, store._LRUCache__order.move_to_end

    def get(key: Any, default: Any) -> Any:
        try:
            return store[key]
        except KeyError:
            return default

    return get, None


def make_store(
    policy: str,
    max_size: int,
    ttl: float | Callable[..., float | None] | None,
    stats: CacheStats,
    *,
    timer: Callable[[], float] = time.monotonic,
    per_entry: bool = False,
) -> Store:
    """The L1 store for ``policy`` and ``ttl`` (seconds, or an :data:`EntryTTL`, or ``None``).

    ``per_entry=True`` forces the expiring variant even for a fixed ``ttl`` (callers that pass a
    TTL per write, like :class:`CacheManager`). Arguments are validated by the public callers.
    """
    store: Store
    if ttl is None and not per_entry:
        store = _COUNTING[policy](max_size)
    elif policy == "lru" and not per_entry and not callable(ttl):
        store = _COUNTING_TTL(max_size, ttl, timer=timer)
    else:
        store = _EXPIRING[policy](max_size)
        if callable(ttl):
            store.entry_ttl = ttl
        else:
            fixed = ttl
            store.entry_ttl = lambda _k, _v: fixed
        store.timer = timer
    store.stats = stats
    return store


def lru_maxsize(value: Any) -> int | None:
    """``max_size`` as :func:`functools.lru_cache` reads ``maxsize``: ``None`` is unbounded,
    ``0`` caches nothing and a negative size is treated as ``0``; anything but an int is a
    ``TypeError`` naming it."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(
            f"max_size must be an integer (0 or less: cache nothing) or None (unbounded), got "
            f"{value!r} ({type(value).__name__})"
        )
    return max(value, 0)


def clock_in_seconds(
    timer: Callable[[], Any], *ttls: Any
) -> tuple[Callable[[], float], tuple[Any, ...]]:
    """Check ``timer`` by calling it once, and express it and ``ttls`` in seconds.

    ``timer`` must return a number of seconds (like :func:`time.monotonic`) or a
    :class:`datetime.datetime`; with the latter, ``timedelta`` TTLs work as in cachetools
    (``TTLCache(ttl=timedelta(...), timer=datetime.now)``). Internally a datetime clock becomes
    seconds since its first reading and every ``timedelta`` becomes seconds, so the memory and
    the shared tiers agree on one unit. Anything else is a ``TypeError`` naming ``timer``.

        >>> import datetime
        >>> clock, (ttl,) = clock_in_seconds(lambda: datetime.datetime(2020, 1, 1),
        ...                                  datetime.timedelta(minutes=1))
        >>> clock(), ttl
        (0.0, 60.0)
    """
    import sys

    now = timer()
    dt = sys.modules.get("datetime")  # a datetime or timedelta exists only if it is imported
    out = tuple(
        t.total_seconds() if dt is not None and isinstance(t, dt.timedelta) else t for t in ttls
    )
    if dt is not None and isinstance(now, dt.datetime):
        epoch = now

        def seconds() -> float:
            reading = timer()
            if not isinstance(reading, dt.datetime):
                raise TypeError(f"timer returned {reading!r} after returning datetimes")
            return float((reading - epoch).total_seconds())

        return seconds, out
    if isinstance(now, bool) or not isinstance(now, int | float):
        raise TypeError(
            f"timer must return a number of seconds (like time.monotonic) or a "
            f"datetime.datetime (with timedelta TTLs), got {now!r} ({type(now).__name__}) "
            f"from timer={timer!r}"
        )
    return timer, out
