"""One named cache across its tiers: L1 (memory) -> SQLite (disk) -> Redis, write-through.

:class:`TieredCache` is what both :func:`cached_function` and :class:`CacheManager` drive. It owns
the L1 store and its lock, the single-flight maps, the optional shared tiers and the stats
object. The decorator inlines the L1 *hit* path itself (no call into this class); everything
here is the miss path, where telemetry is allowed:

1. L1 lookup again under the lock (another thread may have filled it), else become the leader
   of a flight for the key (or wait on the current leader).
2. Build the stable key (only now) and ask the shared tiers in order, disk then Redis; a hit
   in a later tier is copied into the earlier ones.
3. With Redis, take a lease (``SET NX PX``) so that one process computes; others poll for the
   value, bounded by ``lease_wait``, then compute anyway.
4. Compute inside a ``cache.load`` span, record the load duration, write through every tier.

A failing tier never breaks the caller: the error is counted (``codomyrmex_cache_errors_total``
by tier and op), logged once per tier and cause, and the call carries on as a tier miss.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, Generator
from typing import Any

from ..telemetry import names, recording
from ..telemetry.stats import default_registry
from ._keys import KeyEncodingError, canonical, stable_key
from ._policies import EntryTTL, make_store
from ._redis_tier import RedisTier
from ._serialize import DecodeError, NotSerializable, Serializer
from ._singleflight import ACTIVE, AsyncFlight, Flight, reentrant_error
from ._sqlite_tier import SQLiteTier

__all__ = ["MISSING", "Raised", "TieredCache", "keysrc_for", "shared_lock"]

log = logging.getLogger("codomyrmex.performance.caching")

MISSING: Any = object()  # "no entry": None is a value like any other


class Raised:
    """A cached exception (``cache_exceptions=``); raised again on every hit. L1 only."""

    __slots__ = ("exc",)

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


# Caches that share a name share one CacheStats object (as prometheus children with equal labels
# do), so they also share one lock: the plain ``+=`` increments stay exact.
_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def shared_lock(name: str) -> threading.Lock:
    with _LOCKS_GUARD:
        lock = _LOCKS.get(name)
        if lock is None:
            lock = _LOCKS[name] = threading.Lock()
        return lock


Steps = Generator[float, None, Any]  # yields seconds to sleep, returns its result


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
    ) -> None:
        self.name = name
        self.stats = default_registry().cache(name)
        self.lock = shared_lock(name)
        self._load_lock = shared_lock(name + "\0load")
        self.ttl = ttl
        self.exception_ttl = exception_ttl
        self.cache_none = cache_none
        self._pending_ttl: float | None = None
        per_entry = per_entry or callable(ttl)
        entry_ttl: EntryTTL | None = None
        if per_entry:
            entry_ttl = self._entry_ttl
        self.store = make_store(policy, max_size, ttl, self.stats, timer=timer, per_entry=per_entry)
        if entry_ttl is not None:
            self.store.entry_ttl = entry_ttl
        self.flights: dict[Any, Flight] = {}
        self.aflights: dict[Any, AsyncFlight] = {}
        self.disk = disk
        self.redis = redis
        self.tiers: tuple[Any, ...] = tuple(t for t in (disk, redis) if t is not None)
        self.serializer = serializer or Serializer()
        self.namespace = namespace or f"codomyrmex:{name}"
        self.lease_ms = lease_ms
        self.lease_wait = lease_wait
        self.retry_after = retry_after
        self._down_until: dict[str, float] = {}
        self._warned: set[tuple[str, str]] = set()

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
            return ttl(value)
        return ttl

    def put_locked(self, key: Any, value: Any, ttl: float | None) -> None:
        if ttl is not None and ttl <= 0:
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
        """The cross-process key, built now (after an L1 miss); ``None`` if it cannot be."""
        if keysrc is None or not self.tiers:
            return None
        try:
            return stable_key(self.namespace, keysrc())
        except KeyEncodingError as exc:
            self._warn_once("key", "KeyEncodingError", exc)
            return None

    def _warn_once(self, tier: str, cause: str, exc: BaseException) -> None:
        if (tier, cause) not in self._warned:
            self._warned.add((tier, cause))
            log.warning(
                "cache %r: %s tier %s (%s); falling back to computing. Logged once per tier "
                "and cause; codomyrmex_cache_errors_total counts every occurrence.",
                self.name, tier, cause, exc,
            )  # fmt: skip

    def _failed(self, tier: str, op: str, exc: BaseException) -> None:
        with self.lock:
            self.stats.count_error(tier, op)
        if tier == "redis" and self.retry_after > 0:
            # Circuit breaker: a down server is not asked again on every call for a while.
            self._down_until[tier] = time.monotonic() + self.retry_after
        self._warn_once(tier, type(exc).__name__, exc)

    def _call(self, tier: Any, op: str, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` or :data:`MISSING` when the tier fails (counted, logged once)."""
        until = self._down_until.get(tier.name)
        if until is not None:
            if time.monotonic() < until:
                return MISSING
            self._down_until.pop(tier.name, None)
        try:
            return fn(*args)
        except Exception as exc:  # fail open: any backend error means "tier unavailable"
            self._failed(tier.name, op, exc)
            return MISSING

    def _count(self, tier: Any, hit: bool) -> None:
        with self.lock:
            s = self.stats
            if tier.name == "disk":
                if hit:
                    s.disk_hits += 1
                else:
                    s.disk_misses += 1
            elif hit:
                s.redis_hits += 1
            else:
                s.redis_misses += 1

    def _decode(self, tier: Any, skey: str, data: bytes) -> Any:
        try:
            return self.serializer.loads(data)
        except DecodeError as exc:
            self._failed(tier.name, "decode", exc)
            self._call(tier, "delete", tier.delete, skey)  # a corrupt row would fail every time
            return MISSING

    def tier_get(self, tier: Any, skey: str, *, count: bool = True) -> Any:
        # Inlined rather than through _call(): this is the L2 hit path, measured against a raw
        # SELECT / GET in benchmarks/bench_cache.py.
        if self._down_until and tier.name in self._down_until:
            data = self._call(tier, "get", tier.get, skey)
        else:
            try:
                data = tier.get(skey)
            except Exception as exc:  # fail open
                self._failed(tier.name, "get", exc)
                data = None
        value = MISSING if data is None or data is MISSING else self._decode(tier, skey, data)
        if count:
            self._count(tier, value is not MISSING)
        return value

    def tiers_get(self, skey: str) -> Any:
        """Ask disk then Redis; a Redis hit is copied to disk. :data:`MISSING` if none has it."""
        for i, tier in enumerate(self.tiers):
            value = self.tier_get(tier, skey)
            if value is not MISSING:
                for earlier in self.tiers[:i]:
                    self._write(earlier, skey, value, self.value_ttl(value))
                return value
        return MISSING

    def _write(self, tier: Any, skey: str, value: Any, ttl: float | None) -> None:
        try:
            data = self.serializer.dumps(value)
        except NotSerializable as exc:
            self._failed(tier.name, "encode", exc)
            return
        self._call(tier, "set", tier.set, skey, data, ttl)

    def tiers_put(self, skey: str, value: Any, ttl: float | None) -> None:
        if (ttl is not None and ttl <= 0) or type(value) is Raised:
            return
        if value is None and not self.cache_none:
            return
        for tier in self.tiers:
            self._write(tier, skey, value, ttl)

    def tiers_delete(self, skey: str) -> None:
        for tier in self.tiers:
            self._call(tier, "delete", tier.delete, skey)

    def tiers_clear(self) -> None:
        for tier in self.tiers:
            self._call(tier, "clear", tier.clear, self.namespace + ":")

    # -- the miss path, shared by sync and async through generators ---------------------------
    def _lease(self, skey: str) -> Steps:
        """After every tier missed: take the Redis lease or wait for its holder's value.

        Returns ``(value, token)``: the holder's value (token ``None``), or :data:`MISSING` and
        the lease token to release after computing (``None`` when computing without a lease).
        A generator yielding seconds to sleep, so that sync and async callers share it."""
        redis, lease = self.redis, skey + ":lease"
        assert redis is not None
        token = secrets.token_hex(16)
        deadline = time.monotonic() + self.lease_wait
        pause, waited = 0.005, False
        while True:
            got = self._call(redis, "lease", redis.acquire, lease, token, self.lease_ms)
            if got is MISSING:
                return MISSING, None  # Redis is failing: compute without a lease
            if got and not waited:
                return MISSING, token
            # Someone else holds the lease, or held it while we waited and released it: their
            # value may be there now (a holder writes the value before releasing).
            value = self.tier_get(redis, skey, count=False)
            if value is not MISSING:
                if got:
                    self._release(skey, token)
                self._count(redis, True)
                if self.disk is not None:
                    self._write(self.disk, skey, value, self.value_ttl(value))
                return value, None
            if got:
                return MISSING, token  # the holder failed or died: we compute
            waited = True
            if time.monotonic() >= deadline:
                return MISSING, None  # holder is too slow: compute ourselves
            yield pause
            pause = min(pause * 2, 0.1)

    def _after(self, skey: str | None, token: str | None, value: Any, ttl: float | None) -> None:
        if skey is not None:
            self.tiers_put(skey, value, ttl)
        if token is not None and skey is not None and self.redis is not None:
            self._call(self.redis, "lease", self.redis.release, skey + ":lease", token)

    def _release(self, skey: str | None, token: str | None) -> None:
        if token is not None and skey is not None and self.redis is not None:
            self._call(self.redis, "lease", self.redis.release, skey + ":lease", token)

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
    ) -> Any:
        """The miss path of a decorated sync function (the wrapper already missed L1 once).

        ``fixed_ttl`` overrides :meth:`value_ttl` for this load (``NamedCache.get_or_set``)."""
        ident = threading.get_ident()
        store = self.store
        with self.lock:
            # Look again: another thread may have stored the value since the wrapper missed.
            # ``in`` first, because raising KeyError costs more than a membership test.
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
                leader = True
            elif flight.owner == ident:
                raise reentrant_error(self.name)
            else:
                leader = False
                event = flight.waiter_event()
        if not leader:
            event.wait()
            with self.lock:
                self.stats.hits += 1  # served without computing: another caller's load
            return flight.result()
        skey: str | None = None
        token: str | None = None
        try:
            skey = self.stable(keysrc)
            value = MISSING if skey is None else self.tiers_get(skey)
            if value is MISSING and skey is not None and self.redis is not None:
                value, token = _drive(self._lease(skey))
            if value is MISSING:
                value = self._compute(fn, args, kwargs)
                ttl = self.value_ttl(value) if fixed_ttl is MISSING else fixed_ttl
                self._after(skey, token, value, ttl)
                token = None
            else:
                ttl = self.value_ttl(value) if fixed_ttl is MISSING else fixed_ttl
        except BaseException as exc:
            self._release(skey, token)
            with self.lock:
                if cache_exceptions and isinstance(exc, cache_exceptions):
                    raised = Raised(exc)
                    self.put_locked(key, raised, self.value_ttl(raised))
                del self.flights[key]
                flight.fail(exc)
            raise
        with self.lock:
            self.put_locked(key, value, ttl)
            del self.flights[key]
            flight.done(value)
        return value

    def _compute(
        self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        start = time.perf_counter()
        with recording.span(names.SPAN_CACHE_LOAD, self._load_attrs()):
            try:
                value = fn(*args, **kwargs)
            except BaseException:
                self._record(time.perf_counter() - start, ok=False)
                raise
        self._record(time.perf_counter() - start, ok=True)
        return value

    def _record(self, seconds: float, *, ok: bool) -> None:
        # A lock of its own: the plain histogram's lists are not thread-safe, and the OTel record
        # (~8 µs) must not hold up hits, which take self.lock.
        with self._load_lock:
            recording.record_cache_load(self.stats, seconds, ok=ok)

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
        """The miss path of a decorated ``async def`` function."""
        loop = asyncio.get_running_loop()
        marker = (id(self), key)
        with self.lock:
            try:
                value = self.store[key]
            except KeyError:
                pass
            else:
                self.stats.hits += 1
                return _unwrap(value)
            flight = self.aflights.get(key)
            if flight is not None and marker in ACTIVE.get():
                raise reentrant_error(self.name)
            if flight is None or flight.loop is not loop:
                # (a flight of another thread's event loop cannot be awaited here: compute)
                mine = AsyncFlight(loop)
                if flight is None:
                    self.aflights[key] = mine
                flight, leader = mine, True
                self.stats.misses += 1
            else:
                leader = False
        if not leader:
            try:
                value = await asyncio.shield(flight.future)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if flight.future.cancelled() and not (task and task.cancelling()):
                    # The leader was cancelled, not us: try again (maybe lead this time).
                    return await self.acall(key, fn, args, kwargs, keysrc, cache_exceptions)
                raise
            with self.lock:
                self.stats.hits += 1
            return value
        token_ctx = ACTIVE.set(ACTIVE.get() | {marker})
        skey: str | None = None
        token: str | None = None
        try:
            skey = self.stable(keysrc)
            value = MISSING if skey is None else self.tiers_get(skey)
            if value is MISSING and skey is not None and self.redis is not None:
                steps = self._lease(skey)
                try:
                    while True:
                        await asyncio.sleep(next(steps))
                except StopIteration as stop:
                    value, token = stop.value
            if value is MISSING:
                value = await self._acompute(fn, args, kwargs)
                ttl = self.value_ttl(value)
                self._after(skey, token, value, ttl)
                token = None
            else:
                ttl = self.value_ttl(value)
        except BaseException as exc:
            self._release(skey, token)
            with self.lock:
                if cache_exceptions and isinstance(exc, cache_exceptions):
                    raised = Raised(exc)
                    self.put_locked(key, raised, self.value_ttl(raised))
                if self.aflights.get(key) is flight:
                    del self.aflights[key]
            flight.fail(exc)
            raise
        finally:
            ACTIVE.reset(token_ctx)
        with self.lock:
            self.put_locked(key, value, ttl)
            if self.aflights.get(key) is flight:
                del self.aflights[key]
        flight.done(value)
        return value

    async def _acompute(
        self, fn: Callable[..., Awaitable[Any]], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        start = time.perf_counter()
        with recording.span(names.SPAN_CACHE_LOAD, self._load_attrs()):
            try:
                value = await fn(*args, **kwargs)
            except BaseException:
                self._record(time.perf_counter() - start, ok=False)
                raise
        self._record(time.perf_counter() - start, ok=True)
        return value

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
        skey = self.stable(keysrc)
        if skey is None:
            return default
        value = self.tiers_get(skey)
        if value is MISSING:
            return default
        with self.lock:
            self.put_locked(key, value, self.value_ttl(value))  # a copy from a shared tier
        return value

    def set(
        self, key: Any, value: Any, keysrc: Callable[[], str] | None, ttl: float | None
    ) -> None:
        with self.lock:
            self.put_locked(key, value, ttl)
        skey = self.stable(keysrc)
        if skey is not None:
            self.tiers_put(skey, value, ttl)

    def delete(self, key: Any, keysrc: Callable[[], str] | None) -> bool:
        with self.lock:
            found = self.delete_locked(key)
        skey = self.stable(keysrc)
        if skey is not None:
            self.tiers_delete(skey)
        return found

    def clear(self, *, tiers: bool = True) -> int:
        """Drop every entry (counted as ``explicit`` evictions); returns how many L1 held."""
        with self.lock:
            n = len(self.store)
            self.store.clear()
            self.stats.evictions_explicit += n
        if tiers:
            self.tiers_clear()
        return n

    def close(self) -> None:
        for tier in self.tiers:
            try:
                tier.close()
            except Exception as exc:  # closing a dead connection is not worth an exception
                log.debug("closing %s tier of %r: %s", tier.name, self.name, exc)


def _unwrap(value: Any) -> Any:
    if type(value) is Raised:
        raise value.exc
    return value


def _drive(steps: Steps) -> Any:
    """Run a miss-path generator synchronously: sleep when it asks, return what it returns."""
    try:
        while True:
            time.sleep(next(steps))
    except StopIteration as stop:
        return stop.value


def keysrc_for(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Callable[[], str]:
    """A deferred canonical encoding: the stable key is only built after an L1 miss."""
    return lambda: canonical(args, kwargs)
