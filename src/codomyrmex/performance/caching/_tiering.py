"""The shared tiers of one named cache: stable keys, fail-open reads and writes, the Redis lease.

Order: disk (SQLite) then Redis; a Redis hit is copied to disk. Every backend call goes through
here so that a failure is handled in one way: the error is counted
(``codomyrmex_cache_errors_total{tier,op}``), a warning is logged once per tier and cause, and
the call carries on as a tier miss. After a backend failure (Redis down, SQLite file locked
past its busy timeout) the tier is skipped for ``retry_after`` seconds (a circuit breaker: a
down server or a locked file is not asked on every call); then it is simply used again,
redis-py reconnecting on its own. The breaker skips reads and writes only: deletes, clears, tag
pops and lease releases are always sent (a skipped one would leave a stale value or a lease).

    >>> from codomyrmex.performance.telemetry.stats import CacheStats
    >>> import threading
    >>> tiers = SharedTiers("doc", CacheStats("doc"), threading.Lock(), disk=None, redis=None)
    >>> tiers.stable(lambda: "(i1;)").startswith("codomyrmex:doc:")
    True
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Generator
from hashlib import blake2b
from typing import Any

from ..telemetry.stats import CacheStats
from ._keys import KeyEncodingError, canonical, name_part
from ._lease import LEASE_MS, RENEWER
from ._missing import MISSING
from ._redis_tier import RedisTier
from ._serialize import Corrupt, DecodeError, NotSerializable, Serializer, UntrustedValue
from ._sqlite_tier import SQLiteTier

__all__ = ["MISSING", "SharedTiers", "Steps", "copy_ttl"]

log = logging.getLogger("codomyrmex.performance.caching")

Steps = Generator[float, None, Any]  # yields seconds to sleep, returns its result


def _no_ttl(_value: Any) -> float | None:
    return None


def copy_ttl(own: float | None, remaining: float | None) -> float | None:
    """The TTL of a copy: the copying cache's own TTL, cut to the entry's remaining lifetime
    (``None`` is "no expiry" on either side)."""
    if remaining is None:
        return own
    return remaining if own is None or remaining < own else own


class SharedTiers:
    """Disk and/or Redis for the cache ``name``; ``lock`` guards ``stats`` (the cache's lock)."""

    def __init__(
        self,
        name: str,
        stats: CacheStats,
        lock: threading.Lock,
        *,
        disk: SQLiteTier | None,
        redis: RedisTier | None,
        serializer: Serializer | None = None,
        namespace: str | None = None,
        value_ttl: Callable[[Any], float | None] = _no_ttl,
        lease_ms: int = 30_000,
        lease_wait: float = 30.0,
        retry_after: float = 1.0,
    ) -> None:
        self.name = name
        self.stats = stats
        self.lock = lock
        self.disk = disk
        self.redis = redis
        self.tiers: tuple[Any, ...] = tuple(t for t in (disk, redis) if t is not None)
        self.serializer = serializer or Serializer()
        self.namespace = namespace or f"codomyrmex:{name_part(name)}"
        self._prefix = self.namespace + ":"
        self.value_ttl = value_ttl
        self.lease_ms = lease_ms
        self.lease_wait = lease_wait
        self.retry_after = retry_after
        self._down_until: dict[str, float] = {}
        self._warned: set[tuple[str, str]] = set()
        for tier in self.tiers:
            error = getattr(tier, "open_error", None)
            if error is not None:
                # Could not be opened at decoration (fail open): counted, logged once, skipped
                # for retry_after seconds, then simply tried again by the next call.
                self._failed(tier.name, "open", error)

    def stable(self, keysrc: Callable[[], str] | None) -> str | None:
        """The cross-process key, built now (after an L1 miss); ``None`` if it cannot be.

        :func:`~._keys.stable_key` inlined (a test checks they agree): this runs on every L2
        hit."""
        return None if keysrc is None else self._stable(keysrc)

    def stable_args(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str | None:
        """:meth:`stable` of a call's own arguments (``keysrc_of(args, kwargs)`` without
        building that callable: the fast wrapper's L2 hit path)."""
        return self._stable(canonical, args, kwargs)

    def _stable(self, encode: Callable[..., str], *parts: Any) -> str | None:
        try:
            encoding = encode(*parts)
        except KeyEncodingError as exc:
            self._warn_once("key", "KeyEncodingError", exc)
            return None
        data = encoding.encode("utf-8", "surrogatepass")
        return self._prefix + blake2b(data, digest_size=16).hexdigest()

    # -- failure handling ---------------------------------------------------------------------
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
        # A backend failure (not a bad value) opens the breaker: a down server or a locked
        # file (busy timeout, 5 s by default) is not asked again on every call.
        if op not in ("decode", "encode", "verify") and self.retry_after > 0:
            self._down_until[tier] = time.monotonic() + self.retry_after
        self._warn_once(tier, type(exc).__name__, exc)

    def _call(
        self, tier: Any, op: str, fn: Callable[..., Any], *args: Any, always: bool = False
    ) -> Any:
        """``fn(*args)`` or :data:`MISSING` when the tier fails (counted, logged once).

        ``always``: ask the tier even while its breaker is open. For deletes: skipping one
        would leave the invalidated value to be served (here and by other processes) once the
        tier is back, and nothing would count it."""
        until = self._down_until.get(tier.name)
        if until is not None and not always:
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

    def _undecodable(self, tier: Any, skey: str, exc: DecodeError) -> Any:
        # A seal that does not verify (checksum or MAC: corrupt, copied, re-dated, forged) is
        # op="verify"; a payload that verifies but cannot be parsed is op="decode".
        verify = isinstance(exc, Corrupt | UntrustedValue)
        self._failed(tier.name, "verify" if verify else "decode", exc)
        if not isinstance(exc, UntrustedValue):
            # A structurally corrupt row would fail every time, for everyone: drop it. A value
            # we may not read (signed with a key we lack, or unsigned while we require a
            # signature) is a peer's valid entry: leave it (a tampered one simply expires or is
            # overwritten by the next write of a process with the key).
            self._call(tier, "delete", tier.delete, skey)
        return MISSING

    # -- reads and writes ---------------------------------------------------------------------
    # Reads return MISSING or ``(value, seconds left)``, ``None`` for no expiry: whatever copies
    # the value into another tier (memory, or disk after a Redis hit) gives the copy at most the
    # entry's remaining lifetime (copy_ttl), so a copy never outlives the entry it was made from.
    def tier_get(self, tier: Any, skey: str, *, count: bool = True) -> Any:
        # Inlined rather than through _call(): this is the L2 hit path, measured against a raw
        # SELECT / GET in benchmarks/bench_cache.py.
        if self._down_until and tier.name in self._down_until:
            entry = self._call(tier, "get", tier.read, skey)
        else:
            try:
                entry = tier.read(skey)
            except Exception as exc:  # fail open
                self._failed(tier.name, "get", exc)
                entry = None
        if entry is None or entry is MISSING:
            out = MISSING
        else:
            data, expires_at = entry
            try:
                value = self.serializer.loads(data, skey, expires_at)
                out = value, (None if expires_at is None else expires_at - tier.now())
            except DecodeError as exc:
                # count=False: a re-read within one lookup (the lease), whose first read
                # already counted this value's error.
                out = self._undecodable(tier, skey, exc) if count else MISSING
        if count:
            self._count(tier, out is not MISSING)
        return out

    def get(self, skey: str) -> Any:
        """Ask disk then Redis; a Redis hit is copied to disk. MISSING if none has it."""
        if self.disk is not None:
            entry = self.read_disk(skey)
            with self.lock:
                if entry is not MISSING:
                    self.stats.disk_hits += 1
                    return entry
                self.stats.disk_misses += 1
        return self.get_redis(skey)

    def read_disk(self, skey: str) -> Any:
        """The disk tier's ``(value, seconds left)`` or MISSING; errors are counted, hit/miss
        are not (the caller counts them under the lock it takes anyway).

        :meth:`tier_get` spelled out: this is the L2 hit path, measured against a raw
        ``SELECT`` in benchmarks/bench_cache.py."""
        disk = self.disk
        if disk is None:
            return MISSING
        if self._down_until:
            until = self._down_until.get("disk")
            if until is not None:
                if time.monotonic() < until:
                    return MISSING
                self._down_until.pop("disk", None)
        try:
            entry = disk.read(skey)
        except Exception as exc:  # fail open
            self._failed("disk", "get", exc)
            return MISSING
        if entry is None:
            return MISSING
        data, expires_at = entry
        try:
            value = self.serializer.loads(data, skey, expires_at)
            return value, (None if expires_at is None else expires_at - disk.now())
        except DecodeError as exc:
            return self._undecodable(disk, skey, exc)

    def get_redis(self, skey: str) -> Any:
        """Ask Redis (counted); a hit is copied to disk. MISSING without Redis."""
        redis = self.redis
        if redis is None:
            return MISSING
        entry = self.tier_get(redis, skey)
        if entry is not MISSING and self.disk is not None:
            value, remaining = entry
            self._write(self.disk, skey, value, copy_ttl(self.value_ttl(value), remaining))
        return entry

    def _write(
        self, tier: Any, skey: str, value: Any, ttl: float | None, payload: bytes | None = None
    ) -> None:
        if payload is None:
            try:
                payload = self.serializer.encode(value)
            except NotSerializable as exc:
                self._failed(tier.name, "encode", exc)
                return
        # The seal covers the absolute expiry by the tier's own clock, the one it checks with.
        expires_at = None if ttl is None else tier.now() + ttl
        data = self.serializer.seal(payload, skey, expires_at)
        self._call(tier, "set", tier.write, skey, data, expires_at)

    def put(self, skey: str, value: Any, ttl: float | None) -> None:
        """Write through every tier (``ttl`` seconds, ``None``: no expiry)."""
        try:
            payload = self.serializer.encode(value)  # once, sealed per tier
        except NotSerializable as exc:
            for tier in self.tiers:
                self._failed(tier.name, "encode", exc)
            return
        for tier in self.tiers:
            self._write(tier, skey, value, ttl, payload)

    def add_tags(self, skey: str, tags: list[str], ttl: float | None) -> None:
        """Record the entry's tags in every shared tier (where other processes can see them)."""
        full = [self._tag_key(tag) for tag in tags]
        for tier in self.tiers:
            self._call(tier, "set", tier.add_tags, skey, full, ttl)

    def pop_tags(self, tags: list[str]) -> set[str]:
        """The stable keys tagged with any of ``tags`` in any shared tier (forgetting them)."""
        out: set[str] = set()
        for tier in self.tiers:
            for tag in tags:
                keys = self._call(tier, "get", tier.pop_tag, self._tag_key(tag), always=True)
                if keys is not MISSING:
                    out.update(keys)
        return out

    def _tag_key(self, tag: str) -> str:
        return f"{self._prefix}tag:{len(tag)}:{tag}"  # length-prefixed: no tag can forge another

    def delete(self, skey: str) -> None:
        for tier in self.tiers:
            self._call(tier, "delete", tier.delete, skey, always=True)

    def clear(self) -> None:
        for tier in self.tiers:
            self._call(tier, "clear", tier.clear, self.namespace + ":", always=True)

    # -- the Redis lease ----------------------------------------------------------------------
    def lease(self, skey: str) -> Steps:
        """After every tier missed: take the Redis lease or wait for its holder's value.

        Returns ``(value, token)``: the holder's value (token ``None``), or :data:`MISSING` and
        the lease token to release after computing (``None`` when computing without a lease).
        A generator yielding seconds to sleep, so that sync and async callers share it."""
        redis, lease = self.redis, skey + ":lease"
        if redis is None:
            return MISSING, None
        token = secrets.token_hex(16)
        deadline = time.monotonic() + self.lease_wait
        pause = 0.005
        # A short lease, renewed while we compute (see _lease): a holder that dies is noticed
        # by the others within LEASE_MS, not after the whole lease_timeout.
        px = min(self.lease_ms, LEASE_MS)
        while True:
            got = self._call(redis, "lease", redis.acquire, lease, token, px)
            if got is MISSING:
                return MISSING, None  # Redis is failing: compute without a lease
            if got and self.lease_ms > px:
                RENEWER.hold(self, lease, token, time.monotonic() + self.lease_ms / 1000)
            # Read the value even when we got the lease at once: a holder may have written it
            # and released the lease between our miss and our acquire, and we would compute
            # it a second time. (Or someone else holds the lease: their value may be there
            # now; a holder writes the value before releasing.)
            entry = self.tier_get(redis, skey, count=False)
            if entry is not MISSING:
                if got:
                    self.release(skey, token)
                self._count(redis, True)
                value, remaining = entry
                if self.disk is not None:
                    self._write(self.disk, skey, value, copy_ttl(self.value_ttl(value), remaining))
                return value, None
            if got:
                return MISSING, token  # the holder failed or died: we compute
            if time.monotonic() >= deadline:
                return MISSING, None  # holder is too slow: compute ourselves
            yield pause
            pause = min(pause * 2, 0.1)

    def renew(self, lease_key: str, token: str, lease_ms: int) -> Any:
        """Extend our lease (the renewer thread); ``False`` when it is no longer ours."""
        assert self.redis is not None
        return self._call(self.redis, "lease", self.redis.renew, lease_key, token, lease_ms)

    def release(self, skey: str | None, token: str | None) -> None:
        if token is not None:
            RENEWER.drop(token)
        if token is not None and skey is not None and self.redis is not None:
            # always: a lease left behind would make other processes wait for lease_wait
            self._call(
                self.redis, "lease", self.redis.release, skey + ":lease", token, always=True
            )

    def close(self) -> None:
        for tier in self.tiers:
            try:
                tier.close()
            except Exception as exc:  # closing a dead connection is not worth an exception
                log.debug("closing %s tier of %r: %s", tier.name, self.name, exc)
