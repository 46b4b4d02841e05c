"""``CacheManager``: named caches over shared tiers, with TTLs per entry and tag invalidation.

    >>> from codomyrmex.performance import CacheManager
    >>> manager = CacheManager()
    >>> manager.set("answer", 42, ttl=60, tags=["demo"])
    >>> manager.get("answer")
    42
    >>> manager.invalidate_tags("demo")
    1
    >>> manager.get("answer") is None
    True

``CacheManager(persist="cache.sqlite3", redis="redis://host:6379/0")`` adds the shared tiers;
every named cache (:meth:`get_cache`) and every function decorated with
``cached_function(cache_manager=manager)`` uses them. Lookups go memory -> SQLite -> Redis and
writes go through all of them.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ..errors import CacheError
from ._core import TieredCache
from ._keys import EncodedKey, KeyEncodingError, canonical, name_part
from ._options import (
    Tiers,
    check_max_size,
    check_name,
    check_policy,
    check_timer,
    check_ttl,
    deprecated,
    make_disk,
    make_redis,
    make_serializer,
    merge_tiers,
)

if TYPE_CHECKING:  # pathlib (and urllib.parse) load only when a cache_dir is given
    from pathlib import Path

    from ._stats import CacheSnapshot

__all__ = ["CacheManager", "NamedCache"]

_MISSING: Any = object()


def _l1(key: Any) -> Any:
    try:
        hash(key)
    except TypeError:
        try:
            return EncodedKey(canonical((key,), {}))
        except KeyEncodingError as exc:
            raise TypeError(f"key must be hashable or canonically encodable: {exc}") from None
    return key


def _src(key: Any) -> Callable[[], str]:
    return lambda: canonical((key,), {})


class NamedCache:
    """One named cache of a :class:`CacheManager` (``manager.get_cache(name)``)."""

    def __init__(self, core: TieredCache, default_ttl: float | None) -> None:
        self._core = core
        self.name = core.name
        self.default_ttl = default_ttl
        # tag -> {memory key: the key as given}. Only for deleting memory entries: the shared
        # tiers keep their own tag index (other processes' entries). Pruned of keys memory no
        # longer holds whenever it has grown past twice the cache's size.
        self._tags: dict[str, dict[Any, Any]] = {}
        self._tagged = 0
        self._tags_lock = threading.Lock()

    def get(self, key: Any, default: Any = None) -> Any:
        """The value stored under ``key`` (memory, then disk, then Redis), else ``default``."""
        return self._core.get(_l1(key), _src(key), default)

    def __contains__(self, key: Any) -> bool:
        return self._core.get(_l1(key), _src(key), _MISSING) is not _MISSING

    def set(
        self, key: Any, value: Any, ttl: float | None = None, tags: Iterable[str] | None = None
    ) -> None:
        """Store ``value`` in every tier for ``ttl`` seconds (default: the manager's
        ``default_ttl``; ``None`` there too: no expiry), remembering its ``tags``."""
        check_ttl("ttl", ttl, allow_callable=False)
        tag_list = _check_tags(tags)
        k = _l1(key)
        ttl = ttl if ttl is not None else self.default_ttl
        core = self._core
        core.set(k, value, _src(key), ttl)
        if not tag_list:
            return
        if core.shared is not None:
            skey = core.stable(_src(key))
            if skey is not None:
                core.shared.add_tags(skey, tag_list, ttl)
        with self._tags_lock:
            for tag in tag_list:
                self._tags.setdefault(tag, {})[k] = key
            self._tagged += len(tag_list)
            if self._tagged > 2 * core.size() + 64:
                self._prune_tags()

    def _prune_tags(self) -> None:
        # Under self._tags_lock. Evicted, expired and deleted entries leave their tags here;
        # this drops them (O(n) once per ~n tagged writes, so amortised O(1)).
        core = self._core
        with core.lock:
            store = core.store
            pruned = {t: {k: o for k, o in m.items() if k in store} for t, m in self._tags.items()}
        self._tags = {t: m for t, m in pruned.items() if m}
        self._tagged = sum(len(m) for m in self._tags.values())

    def get_or_set(self, key: Any, factory: Callable[[], Any], ttl: float | None = None) -> Any:
        """The cached value, or ``factory()`` computed once (single-flight) and stored."""
        check_ttl("ttl", ttl, allow_callable=False)
        if not callable(factory):
            raise TypeError(f"factory must be callable, got {factory!r}")
        ttl = ttl if ttl is not None else self.default_ttl
        return self._core.call(_l1(key), factory, (), {}, _src(key), fixed_ttl=ttl)

    def delete(self, key: Any) -> bool:
        """Remove ``key`` from every tier; ``True`` if memory held it."""
        return self._core.delete(_l1(key), _src(key))

    def clear(self) -> None:
        """Remove every entry of this cache from every tier."""
        self._core.clear()
        with self._tags_lock:
            self._tags.clear()
            self._tagged = 0

    def invalidate_tags(self, *tags: str) -> int:
        """Delete every entry set with any of ``tags``, in every tier (entries other processes
        set with the tags too: the shared tiers keep the tag index); returns how many of them
        this process's memory held. Other processes' memory copies live out their TTL."""
        tag_list = _check_tags(tags)
        with self._tags_lock:
            victims: dict[Any, Any] = {}
            for tag in tag_list:
                popped = self._tags.pop(tag, {})
                self._tagged -= len(popped)
                victims.update(popped)
        core = self._core
        held = sum(core.delete(k, _src(orig)) for k, orig in victims.items())
        if core.shared is not None:
            for skey in core.shared.pop_tags(tag_list):
                core.shared.delete(skey)
        return held

    def cache_stats(self) -> CacheSnapshot:
        """This cache's counters (as ``cached_function(...).cache_stats()``)."""
        core = self._core
        from ._stats import snapshot  # dataclasses loads on the first snapshot

        return snapshot(core.stats, _max_size(core), entries=core.size())

    def stats(self) -> dict[str, Any]:
        """Deprecated: ``cache_stats().as_dict()``."""
        deprecated("NamedCache.stats()", "cache_stats() (a CacheSnapshot; .as_dict() for a dict)")
        return self.cache_stats().as_dict()

    def __len__(self) -> int:
        return self._core.size()


def _max_size(core: TieredCache) -> int | None:
    # cached_function(max_size=None) stores sys.maxsize (cachetools needs a number); report
    # None, as its cache_info() and cache_stats() do.
    size: int = core.store.maxsize
    return None if size >= sys.maxsize else size


def _check_tags(tags: Iterable[str] | None) -> list[str]:
    if tags is None:
        return []
    if isinstance(tags, str):
        tags = [tags]
    elif isinstance(tags, bytes | bytearray) or not hasattr(tags, "__iter__"):
        raise TypeError(
            f"tags must be a string or an iterable of strings, got {tags!r} ({type(tags).__name__})"
        )
    out = list(tags)
    for tag in out:
        if not isinstance(tag, str):
            raise TypeError(
                f"tags must be non-empty strings, got {tag!r} ({type(tag).__name__}) in {out!r}"
            )
        if not tag.strip():
            raise CacheError(f"tags must be non-empty strings, got {tag!r} in {out!r}")
    return out


class CacheManager:
    """Named caches and their lifecycle. ``CacheManager()`` works with no argument (memory only).

    - ``cache_dir``: directory for the SQLite tier (``cache.sqlite3`` in it) — the seed's name;
      ``persist``: an explicit SQLite file (or ``True`` for the default location).
    - ``maxsize``: entries kept in memory per named cache (``max_memory_items``, its old name,
      still works with a DeprecationWarning); ``policy``: lru, lfu, fifo, rr.
    - ``default_ttl``: seconds an entry lives unless ``set(..., ttl=)`` says otherwise.
    - The shared tiers, as ``tiers=Tiers(...)`` or the same keywords (see
      :class:`~codomyrmex.performance.caching.Tiers`): ``persist``, ``redis`` (a ``redis://``
      URL, a redis-py or ``redis.asyncio`` client), ``signing_key`` (values sealed with an HMAC
      over namespace, key, expiry and value; enables signed pickle), ``strict`` (raise at set-up
      when a tier cannot be opened; default: fail open, count, log once, retry), ``key_prefix``,
      ``lease_timeout``, ``lease_wait``, ``retry_after``.

    ``cache_stats()`` returns the totals and one entry per cache (``get_stats()``, its old name,
    still works with a DeprecationWarning).
    """

    def __init__(
        self,
        cache_dir: str | Path | None = None,
        maxsize: int = 1000,
        default_ttl: float | None = None,
        *,
        name: str = "default",
        policy: str = "lru",
        timer: Callable[[], float] = time.monotonic,
        tiers: Tiers | None = None,
        persist: Any = None,
        redis: Any = None,
        signing_key: bytes | str | None = None,
        strict: bool = False,
        key_prefix: str = "codomyrmex:",
        lease_timeout: float = 30.0,
        lease_wait: float = 30.0,
        retry_after: float = 1.0,
        max_memory_items: Any = _MISSING,
    ) -> None:
        if max_memory_items is not _MISSING:
            deprecated("CacheManager(max_memory_items=...)", "maxsize=")
            if maxsize != 1000 and maxsize != max_memory_items:
                raise CacheError(
                    f"pass maxsize, not max_memory_items too (got {maxsize!r} and "
                    f"{max_memory_items!r})"
                )
            maxsize = max_memory_items
        check_max_size("maxsize", maxsize)
        check_ttl("default_ttl", default_ttl, allow_callable=False)
        check_name("name", name)
        self.policy = check_policy(policy)
        if cache_dir is not None and not isinstance(cache_dir, str | os.PathLike):
            raise TypeError(f"cache_dir must be a directory path or None, got {cache_dir!r}")
        # The tier set-up in one place: tiers= or the flat keywords (validated by Tiers).
        shared = merge_tiers(tiers, {
            "persist": persist, "redis": redis, "signing_key": signing_key, "strict": strict,
            "key_prefix": key_prefix, "lease_timeout": lease_timeout, "lease_wait": lease_wait,
            "retry_after": retry_after,
        })  # fmt: skip
        persist = shared.persist
        if persist is None and cache_dir is not None:
            from pathlib import Path

            persist = Path(cache_dir).expanduser() / "cache.sqlite3"
        self.cache_dir = cache_dir
        self.maxsize = maxsize
        self.default_ttl = default_ttl
        self.name = name
        self.tiers = shared
        self.key_prefix = shared.key_prefix
        self._timer = check_timer(timer)
        self._lease = (int(shared.lease_timeout * 1000), shared.lease_wait)
        self._retry_after = shared.retry_after
        self._serializer = make_serializer(shared.signing_key)
        self._disk = make_disk(persist, cache_dir=cache_dir, strict=shared.strict)
        self._redis = make_redis(shared.redis, strict=shared.strict)
        self._lock = threading.Lock()
        self._caches: dict[str, NamedCache] = {}
        self._functions: dict[str, tuple[TieredCache, Callable[[], None]]] = {}
        self._default = self.get_cache(name)

    # -- the default cache ------------------------------------------------------------------
    def get(self, key: Any, default: Any = None) -> Any:
        return self._default.get(key, default)

    def set(
        self, key: Any, value: Any, ttl: float | None = None, tags: Iterable[str] | None = None
    ) -> None:
        self._default.set(key, value, ttl, tags)

    def delete(self, key: Any) -> bool:
        return self._default.delete(key)

    def clear(self) -> None:
        """Clear the default cache (``clear_cache()`` clears every cache)."""
        self._default.clear()

    def __contains__(self, key: Any) -> bool:
        return key in self._default

    # -- named caches -----------------------------------------------------------------------
    def get_cache(self, name: str) -> NamedCache:
        """The named cache ``name``, created on first use with this manager's settings."""
        check_name("name", name)
        with self._lock:
            cache = self._caches.get(name)
            if cache is None:
                core = TieredCache(
                    name, policy=self.policy, max_size=self.maxsize, ttl=self.default_ttl,
                    per_entry=True, timer=self._timer, disk=self._disk, redis=self._redis,
                    serializer=self._serializer, namespace=f"{self.key_prefix}{name_part(name)}",
                    lease_ms=self._lease[0], lease_wait=self._lease[1],
                    retry_after=self._retry_after,
                )  # fmt: skip
                cache = self._caches[name] = NamedCache(core, self.default_ttl)
            return cache

    def clear_cache(self, name: str | None = None) -> None:
        """Clear cache ``name`` (a named cache or a registered function), or all with ``None``."""
        if name is not None:
            check_name("name", name)
        with self._lock:
            caches = dict(self._caches)
            functions = dict(self._functions)
        if name is None:
            for cache in caches.values():
                cache.clear()
            for _, clear in functions.values():
                clear()
            return
        if name in caches:
            caches[name].clear()
        elif name in functions:
            functions[name][1]()
        else:
            known = ", ".join(sorted({*caches, *functions})) or "none"
            raise CacheError(f"clear_cache: no cache named {name!r}; known: {known}")

    def invalidate_tags(self, *tags: str) -> int:
        """Delete the entries set with any of ``tags`` in every named cache."""
        with self._lock:
            caches = list(self._caches.values())
        return sum(cache.invalidate_tags(*tags) for cache in caches)

    @property
    def max_memory_items(self) -> int:
        """Old name of :attr:`maxsize` (no warning on reading it)."""
        return self.maxsize

    def get_stats(self) -> dict[str, Any]:
        """Deprecated spelling of :meth:`cache_stats`."""
        deprecated("CacheManager.get_stats()", "cache_stats()")
        return self.cache_stats()

    def cache_stats(self) -> dict[str, Any]:
        """Totals plus one entry per cache: ``{"hits", "misses", "hit_ratio", "caches": {...}}``."""
        with self._lock:
            cores = {n: c._core for n, c in self._caches.items()}
            cores.update({n: core for n, (core, _) in self._functions.items()})
        from ._stats import snapshot

        per = {n: snapshot(c.stats, _max_size(c)).as_dict() for n, c in sorted(cores.items())}
        hits = sum(s["hits"] for s in per.values())
        misses = sum(s["misses"] for s in per.values())
        return {
            "hits": hits,
            "misses": misses,
            "hit_ratio": hits / (hits + misses) if hits + misses else 0.0,
            "entries": sum(s["entries"] for s in per.values()),
            "caches": per,
        }

    def _register(self, name: str, core: TieredCache, clear: Callable[[], None]) -> None:
        with self._lock:
            self._functions[name] = (core, clear)

    def close(self) -> None:
        """Close the shared tiers' connections (the manager is unusable afterwards)."""
        for tier in (self._disk, self._redis):
            if tier is not None:
                tier.close()

    def __enter__(self) -> CacheManager:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
