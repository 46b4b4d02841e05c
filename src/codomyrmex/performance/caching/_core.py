"""One named cache across its tiers: L1 (memory) -> SQLite (disk) -> Redis, write-through.

:class:`TieredCache` is what both :func:`cached_function` and :class:`CacheManager` drive. It owns
the L1 store and its lock, the single-flight maps, the optional shared tiers and the stats
object. The decorator inlines the L1 *hit* path itself (no call into this class); everything
here is the miss path, where telemetry is allowed:

1. With shared tiers, build the stable key (only now) and ask them in order, disk then Redis;
   a hit is copied into L1 (and a Redis hit into the disk tier) with no single-flight state:
   that is the L2 hit path. (Skipped when a load of the key is already under way.)
2. On a miss: L1 lookup again under the lock (another thread may have filled it), else become
   the leader of a flight for the key (or wait on the current leader). The leader asks the
   shared tiers again only if some load finished since step 1.
3. With Redis, take a lease (``SET NX PX``) so that one process computes; others poll for the
   value, bounded by ``lease_wait``, then compute anyway.
4. Compute inside a ``cache.load`` span, record the load duration, write through every tier.

The ``async def`` miss path lives in :mod:`._async_miss` (so that only coroutine users import
asyncio); it joins or leads the flight first, then asks the shared tiers.

A failing tier never breaks the caller: the error is counted (``codomyrmex_cache_errors_total``
by tier and op), logged once per tier and cause, and the call carries on as a tier miss.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Awaitable, Callable
from threading import get_ident
from time import perf_counter
from typing import TYPE_CHECKING, Any, NoReturn, cast

from ..telemetry.recording import load_end, load_start, record_quiet_load
from ..telemetry.stats import default_registry
from ._missing import MISSING
from ._policies import EntryTTL, make_store
from ._singleflight import RETRY, Flight

if TYPE_CHECKING:
    from ..telemetry.stats import CacheStats

    # Imported where used: a memory-only cache never loads the shared-tier plumbing (sqlite3,
    # json, pickle, hmac, logging), and a sync-only program never loads asyncio (~20 ms).
    from ._redis_tier import RedisTier
    from ._serialize import Serializer
    from ._singleflight import AsyncFlight
    from ._sqlite_tier import SQLiteTier
    from ._tiering import SharedTiers, Steps

__all__ = ["MISSING", "Raised", "TieredCache"]


class Raised:
    """A cached exception (``cache_exceptions=``); raised again on every hit. L1 only.

    ``tb`` is the traceback of the original raise. Every hit raises ``exc.with_traceback(tb)``:
    a bare ``raise exc`` would prepend the raising frames to the traceback the object already
    carries, so it would grow (and keep frames alive) with every cached raise."""

    __slots__ = ("exc", "tb")

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc
        self.tb = exc.__traceback__

    def reraise(self) -> NoReturn:
        raise self.exc.with_traceback(self.tb)


class TieredCache:
    """A named cache. Arguments are validated by the public constructors that build it."""

    def __init__(
        self,
        name: str,
        *,
        policy: str = "lru",
        max_size: int = 1024,
        ttl: float | Callable[[Any], float | None] | None = None,
        per_entry: bool = False,
        exception_ttl: float | None = None,
        cache_none: bool = True,
        timer: Callable[[], float] = time.monotonic,
        disk: SQLiteTier | None = None,
        redis: RedisTier | None = None,
        serializer: Serializer | None = None,
        namespace: str | None = None,
        lease_ms: int = 30_000,
        lease_wait: float = 30.0,
        retry_after: float = 1.0,
        stats: CacheStats | None = None,
        lock: threading.RLock | None = None,
    ) -> None:
        self.name = name
        # Counters of this cache alone (cache_info(), get_stats()); exporters sum the caches
        # that share a name. ``stats``/``lock`` are passed when several caches count together
        # (the per-instance caches of one decorated method): the lock guards the stats too,
        # the load histogram included.
        if stats is None:
            stats = default_registry().new_cache(name, owner=self)
            ref = weakref.ref(self)
            stats.entries_fn = lambda: _size_of(ref)  # weak: the stats outlive this cache
        self.stats = stats
        self.lock = threading.RLock() if lock is None else lock
        self.ttl = ttl
        #: ``max_size=0`` caches nothing in memory (as ``functools.lru_cache(maxsize=0)``):
        #: every call is a miss that computes (or reads a shared tier).
        self.no_store = max_size <= 0
        self.exception_ttl = exception_ttl
        self.cache_none = cache_none
        self._pending_ttl: float | None = None
        # With a shared tier and a TTL, memory copies of shared entries get the entry's
        # remaining lifetime (finding: a copy must not outlive its source), so the store keeps
        # an expiry per entry. Without a TTL the plain policy store stays (the fast L2 path);
        # an entry that does expire is then served from its tier, not copied.
        per_entry = per_entry or callable(ttl) or (
            ttl is not None and (disk is not None or redis is not None)
        )
        self.per_entry = per_entry
        entry_ttl: EntryTTL | None = None
        if per_entry:
            entry_ttl = self._entry_ttl
        self.store = make_store(policy, max_size, ttl, self.stats, timer=timer, per_entry=per_entry)
        if entry_ttl is not None:
            self.store.entry_ttl = entry_ttl
        self.flights: dict[Any, Flight] = {}
        #: Flights finished (under the lock); tells a leader whether to read L2 again.
        self.loads = 0
        self.aflights: dict[Any, AsyncFlight] = {}
        self.shared: SharedTiers | None = None
        if disk is not None or redis is not None:
            from ._tiering import SharedTiers

            self.shared = SharedTiers(
                name, self.stats, cast("threading.Lock", self.lock), disk=disk, redis=redis, serializer=serializer,
                namespace=namespace, value_ttl=self.value_ttl, lease_ms=lease_ms,
                lease_wait=lease_wait, retry_after=retry_after,
            )  # fmt: skip
            # telemetry: gets series exist (at zero) for the tiers this cache has, no others
            self.stats.tiers = frozenset(t for t, on in (("disk", disk), ("redis", redis)) if on is not None)

    # -- L1 (callers hold self.lock) ----------------------------------------------------------
    def _entry_ttl(self, _key: Any, _value: Any) -> float | None:
        return self._pending_ttl

    def value_ttl(self, value: Any) -> float | None:
        """Seconds ``value`` may live (``None``: no expiry; ``<= 0``: do not cache)."""
        if type(value) is Raised:
            ttl = self.ttl if self.exception_ttl is None else self.exception_ttl
            return None if callable(ttl) else ttl
        ttl = self.ttl
        if callable(ttl):
            seconds = ttl(value)
            if seconds is not None and (
                isinstance(seconds, bool) or not isinstance(seconds, int | float)
            ):
                from ..errors import CacheError

                raise CacheError(
                    f"the ttl callable of cache {self.name!r} must return seconds (a number) or "
                    f"None, got {seconds!r} ({type(seconds).__name__})"
                )
            return seconds
        return ttl

    def _copy_ttl(self, remaining: float) -> float:
        """The TTL of a memory copy of an entry with ``remaining`` seconds left (shorter than
        this cache's own TTL). A store without per-entry expiry (no ``ttl`` configured) cannot
        hold it: 0 means "do not copy", the entry is read from its tier until it expires."""
        return remaining if self.per_entry else 0.0

    def put_locked(self, key: Any, value: Any, ttl: float | None) -> None:
        if (ttl is not None and ttl <= 0) or self.no_store:
            return
        if value is None and not self.cache_none:
            return
        self._pending_ttl = ttl
        self.store[key] = value
        self.stats.puts += 1

    def delete_locked(self, key: Any) -> bool:
        try:
            del self.store[key]
        except KeyError:  # absent, or TTLCache telling us it had expired (it is gone either way)
            return False
        self.stats.evictions_explicit += 1
        return True

    def size(self) -> int:
        with self.lock:
            return len(self.store)

    # -- shared tiers -------------------------------------------------------------------------
    def stable(self, keysrc: Callable[[], str] | None) -> str | None:
        shared = self.shared
        return None if shared is None else shared.stable(keysrc)

    def _shared_get(self, skey: str | None) -> Any:
        shared = self.shared
        return MISSING if shared is None or skey is None else shared.get(skey)

    def _after(self, skey: str | None, token: str | None, value: Any, ttl: float | None) -> None:
        """Write the computed value through the shared tiers, then release the lease."""
        shared = self.shared
        if shared is None or skey is None:
            return
        if not ((ttl is not None and ttl <= 0) or (value is None and not self.cache_none)):
            shared.put(skey, value, ttl)
        shared.release(skey, token)

    def _release(self, skey: str | None, token: str | None) -> None:
        if self.shared is not None:
            self.shared.release(skey, token)

    def _load_attrs(self) -> dict[str, str]:
        return {"cache": self.name}

    # -- sync -----------------------------------------------------------------------------------
    def call(
        self,
        key: Any,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        keysrc: Callable[[], str] | None,
        cache_exceptions: tuple[type[BaseException], ...] = (),
        *,
        fixed_ttl: Any = MISSING,
        skey: Any = MISSING,
    ) -> Any:
        """The miss path of a decorated sync function (the wrapper already missed L1 once).

        ``fixed_ttl`` overrides :meth:`value_ttl` for this load (``NamedCache.get_or_set``).
        ``skey``: the stable key when the caller has built it (then ``keysrc`` is not used)."""
        shared = self.shared
        if shared is None or key in self.flights:
            # Memory only, or a load of this key is under way: wait for it, do not ask L2.
            return self._flight(key, fn, args, kwargs, keysrc, cache_exceptions, fixed_ttl, skey)
        # The L2 hit path (measured in benchmarks/bench_cache.py): read the shared tiers before
        # building any single-flight state. Concurrent callers may each read L2 here; that is a
        # cheap read, and only a miss goes on to the flight, where one caller computes.
        if skey is MISSING:
            skey = shared.stable(keysrc)
        if skey is None:
            return self._flight(key, fn, args, kwargs, keysrc, cache_exceptions, fixed_ttl, None)
        loads = self.loads
        if shared.disk is None:
            entry = shared.get_redis(skey)
            from_disk = False
        else:
            entry = shared.read_disk(skey)
            from_disk = entry is not MISSING
            if not from_disk:
                with self.lock:
                    self.stats.disk_misses += 1
                entry = shared.get_redis(skey)
        if entry is MISSING:
            return self._flight(
                key, fn, args, kwargs, keysrc, cache_exceptions, fixed_ttl, skey, loads
            )
        value, remaining = entry
        # value_ttl() and put_locked() spelled out (a shared-tier value is never a Raised).
        if fixed_ttl is MISSING:
            own = self.ttl
            ttl = self.value_ttl(value) if callable(own) else own
        else:
            ttl = fixed_ttl
        if remaining is not None and (ttl is None or remaining < ttl):
            ttl = self._copy_ttl(remaining)
        lock = self.lock
        lock.acquire()  # one lock for the counts and the copy into memory (not ``with``: cheaper)
        try:
            stats = self.stats
            stats.misses += 1  # an L1 miss
            if from_disk:
                stats.disk_hits += 1  # (a Redis hit was counted by get_redis)
            if (
                (ttl is None or ttl > 0)
                and (value is not None or self.cache_none)
                and not self.no_store
            ):
                self._pending_ttl = ttl
                self.store[key] = value
                stats.puts += 1
        finally:
            lock.release()
        return value

    def _flight(
        self,
        key: Any,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        keysrc: Callable[[], str] | None,
        cache_exceptions: tuple[type[BaseException], ...],
        fixed_ttl: Any,
        skey: Any = MISSING,
        loads_seen: int = -1,
    ) -> Any:
        """Single-flight: lead the load of ``key`` (:meth:`lead`) or wait for its leader.

        ``skey``/``loads_seen``: the stable key and :attr:`loads` when :meth:`call` has already
        read the shared tiers and missed. The leader reads them again only if a load finished
        since (its value may have been written to L2 after that read and already evicted from
        L1), so a cold miss costs one L2 read and the function still runs once per key."""
        ident = get_ident()
        store = self.store
        lock = self.lock
        # An RLock, so that an argument's __eq__/__hash__ calling this function while the hit
        # path holds the lock re-enters instead of deadlocking (CPython's test_need_for_rlock).
        # Such a call must not wait for another thread's flight while it holds the lock: that
        # leader needs the lock to finish.
        held = lock._is_owned()  # type: ignore[attr-defined]
        while True:
            # acquire/release, not ``with``: measured 2.5x cheaper per round trip on CPython
            # 3.11-3.13 (benchmarks/bench_cache.py --miss-only), and a miss takes two.
            lock.acquire()
            try:
                # Look again: another thread may have stored the value since the wrapper
                # missed. ``in`` first, because raising KeyError costs more than a membership
                # test.
                if key in store:
                    try:
                        value = store[key]
                    except KeyError:
                        pass  # expired between the two reads
                    else:
                        self.stats.hits += 1
                        return _unwrap(value)
                flight = self.flights.get(key)
                if flight is None:
                    flight = self.flights[key] = Flight(ident)
                    self.stats.misses += 1
                    read = skey is MISSING or loads_seen != self.loads
                    break
                if flight.owner == ident or held:
                    # Re-entry (recursion with the same key, __eq__ calling the function):
                    # compute again, as functools.lru_cache does, never wait for ourselves.
                    self.stats.misses += 1
                    reentrant = True
                else:
                    reentrant = False
                    event = flight.waiter_event()
            finally:
                lock.release()
            if reentrant:
                return self._reenter(key, fn, args, kwargs, cache_exceptions, fixed_ttl)
            event.wait()
            if flight.error is not None or flight.value is not RETRY:
                with lock:
                    # Served by another caller's load: neither a hit (nothing was cached when
                    # it looked) nor a miss (it did not load); cache_stats() reports ``waited``.
                    self.stats.waits += 1
                return flight.result()
            # The leader failed with an exception that is not cached: it was its own, and
            # the next waiter computes (cachetools' behaviour); back to the top.
        return self.lead(key, fn, args, kwargs, flight, cache_exceptions, fixed_ttl, keysrc, skey, read)

    def lead(
        self,
        key: Any,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        flight: Flight,
        cache_exceptions: tuple[type[BaseException], ...] = (),
        fixed_ttl: Any = MISSING,
        keysrc: Callable[[], str] | None = None,
        skey: Any = MISSING,
        read: bool = True,
    ) -> Any:
        """The leader of ``key``'s ``flight`` (registered, under the lock, by :meth:`_flight`
        or by the wrapper of a memory-only cache): get the value from a shared tier or by
        computing it, store it, wake the waiters.

        This is the whole miss path of a memory-only cache, measured against a cachetools miss
        (benchmarks/bench_cache.py --miss-only): one lock round trip after the load, in which
        the value is stored, the load duration observed (no separate lock for the histogram)
        and the flight ended."""
        stats = self.stats
        lock = self.lock
        token: str | None = None
        seconds = -1.0  # >= 0: a load with no span, observed below under the lock
        try:
            value = MISSING
            remaining = None
            shared = self.shared
            if shared is not None:
                if skey is MISSING:
                    skey = shared.stable(keysrc)
                if skey is not None:
                    if read:
                        entry = shared.get(skey)
                        if entry is not MISSING:
                            value, remaining = entry
                    if value is MISSING and shared.redis is not None:
                        value, token = _drive(shared.lease(skey))
            else:
                skey = None
            if value is MISSING:
                # telemetry: a cache.load span only in a sampled context (recording.load_start)
                load = load_start(stats)
                try:
                    value = fn(*args, **kwargs)
                except BaseException as exc:
                    load_end(stats, load, lock, exc)
                    raise
                end = perf_counter()
                # recording.load_quiet(load, end), spelled out: no span to end
                if load[1] is None and (not load[3] or end < load[3]):
                    seconds = end - load[0]
                else:
                    load_end(stats, load, lock)
                own = self.ttl
                if fixed_ttl is not MISSING:
                    ttl = fixed_ttl
                elif callable(own):
                    ttl = self.value_ttl(value)
                else:
                    ttl = own
                if skey is not None:
                    self._after(skey, token, value, ttl)
                    token = None
            else:
                ttl = self.value_ttl(value) if fixed_ttl is MISSING else fixed_ttl
                if remaining is not None and (ttl is None or remaining < ttl):
                    ttl = self._copy_ttl(remaining)
        except BaseException as exc:
            self._release(None if skey is MISSING else skey, token)
            with lock:
                share = bool(cache_exceptions) and isinstance(exc, cache_exceptions)
                if share:
                    raised = Raised(exc)
                    self.put_locked(key, raised, self.value_ttl(raised))
                del self.flights[key]
                flight.fail(exc, share=share)
            raise
        lock.acquire()
        try:
            if seconds >= 0.0:
                record_quiet_load(stats, seconds)
            # put_locked(), spelled out
            if (ttl is None or ttl > 0) and not self.no_store and (value is not None or self.cache_none):
                self._pending_ttl = ttl
                self.store[key] = value
                stats.puts += 1
            self.loads += 1
            del self.flights[key]
            flight.done(value)
        finally:
            lock.release()
        return value

    def _reenter(
        self,
        key: Any,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        cache_exceptions: tuple[type[BaseException], ...],
        fixed_ttl: Any,
    ) -> Any:
        """A re-entrant miss: compute outside single-flight and store in memory (the leader
        of the key writes the shared tiers when it finishes)."""
        try:
            value = self._compute(fn, args, kwargs)
        except BaseException as exc:
            if cache_exceptions and isinstance(exc, cache_exceptions):
                raised = Raised(exc)
                with self.lock:
                    self.put_locked(key, raised, self.value_ttl(raised))
            raise
        ttl = self.value_ttl(value) if fixed_ttl is MISSING else fixed_ttl
        with self.lock:
            self.put_locked(key, value, ttl)
        return value

    def _compute(
        self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        # telemetry: a cache.load span only in a sampled context; the duration into plain
        # buckets under the cache's lock (the histogram's lists are not thread-safe)
        load = load_start(self.stats)
        try:
            value = fn(*args, **kwargs)
        except BaseException as exc:
            load_end(self.stats, load, self.lock, exc)
            raise
        load_end(self.stats, load, self.lock)
        return value

    # -- async ----------------------------------------------------------------------------------
    async def acall(
        self,
        key: Any,
        fn: Callable[..., Awaitable[Any]],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        keysrc: Callable[[], str] | None,
        cache_exceptions: tuple[type[BaseException], ...] = (),
    ) -> Any:
        """The miss path of a decorated ``async def`` function (in :mod:`._async_miss`, which
        imports asyncio: only programs with coroutine functions load it)."""
        from ._async_miss import acall

        return await acall(self, key, fn, args, kwargs, keysrc, cache_exceptions)

    # -- plain get/set (CacheManager) -----------------------------------------------------------
    def get(self, key: Any, keysrc: Callable[[], str] | None, default: Any = None) -> Any:
        with self.lock:
            try:
                value = self.store[key]
            except KeyError:
                self.stats.misses += 1
            else:
                self.stats.hits += 1
                return value
        entry = self._shared_get(self.stable(keysrc))
        if entry is MISSING:
            return default
        value, remaining = entry
        ttl = self.value_ttl(value)
        if remaining is not None and (ttl is None or remaining < ttl):
            ttl = self._copy_ttl(remaining)
        with self.lock:
            self.put_locked(key, value, ttl)  # a copy from a shared tier
        return value

    def set(
        self, key: Any, value: Any, keysrc: Callable[[], str] | None, ttl: float | None
    ) -> None:
        with self.lock:
            self.put_locked(key, value, ttl)
        self._after(self.stable(keysrc), None, value, ttl)

    def delete(self, key: Any, keysrc: Callable[[], str] | None) -> bool:
        with self.lock:
            found = self.delete_locked(key)
        skey = self.stable(keysrc)
        if skey is not None and self.shared is not None:
            self.shared.delete(skey)
        return found

    def clear(self, *, tiers: bool = True) -> int:
        """Drop every entry (counted as ``explicit`` evictions); returns how many L1 held."""
        with self.lock:
            n = len(self.store)
            self.store.clear()
            self.stats.evictions_explicit += n
        if tiers and self.shared is not None:
            self.shared.clear()
        return n

    def close(self) -> None:
        if self.shared is not None:
            self.shared.close()


def _size_of(ref: weakref.ref[TieredCache]) -> int:
    core = ref()
    return 0 if core is None else core.size()


def _unwrap(value: Any) -> Any:
    if type(value) is Raised:
        value.reraise()
    return value


def _drive(steps: Steps) -> Any:
    """Run a miss-path generator synchronously: sleep when it asks, return what it returns."""
    try:
        while True:
            time.sleep(next(steps))
    except StopIteration as stop:
        return stop.value
