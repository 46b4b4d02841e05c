"""``cached_function``: memoize sync functions, ``async def`` functions and methods.

    >>> from codomyrmex.performance import cached_function
    >>> @cached_function(ttl=3600)
    ... def square(x: int) -> int:
    ...     return x * x
    >>> square(4), square(4), square.cache_info().hits
    (16, 16, 1)

The wrapper built here inlines the L1 hit path: build the key as cachetools does (the argument
tuple), take the cache's lock, read the store, ``stats.hits += 1``. No telemetry call, no stable
key, no method call into the cache object; everything else is :meth:`TieredCache.call`.
"""

from __future__ import annotations

import functools
import inspect
import threading
import time
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar, overload

from ..errors import CacheError
from ._core import Raised, TieredCache
from ._keys import KWMARK, EncodedKey, KeyEncodingError, canonical, encoded_key, l1_key
from ._options import (
    check_bool,
    check_exceptions,
    check_max_size,
    check_name,
    check_optional_callable,
    check_policy,
    check_ttl,
    make_disk,
    make_redis,
    make_serializer,
)
from ._redis_tier import RedisTier
from ._sqlite_tier import SQLiteTier
from ._stats import CacheSnapshot, snapshot

if TYPE_CHECKING:
    from ._manager import CacheManager

__all__ = ["CacheInfo", "cached_function"]

F = TypeVar("F", bound=Callable[..., Any])


class CacheInfo(NamedTuple):
    """Same fields as :func:`functools.lru_cache`'s ``cache_info()``."""

    hits: int
    misses: int
    maxsize: int
    currsize: int


def _unhashable(args: tuple[Any, ...], kwargs: dict[str, Any]) -> EncodedKey:
    try:
        return encoded_key(args, kwargs)
    except KeyEncodingError as exc:
        raise TypeError(f"unhashable argument with no canonical encoding: {exc}") from None


def _is_method(fn: Callable[..., Any]) -> bool:
    # A function defined in a class body whose first parameter is ``self``: cache per instance.
    code = getattr(fn, "__code__", None)
    qualname = getattr(fn, "__qualname__", "")
    return (
        code is not None
        and code.co_argcount > 0
        and code.co_varnames[0] == "self"
        and "." in qualname
        and not qualname.endswith("<locals>." + fn.__name__)
    )


@overload
def cached_function(func: F, /) -> F: ...
@overload
def cached_function(
    func: None = None,
    /,
    *,
    ttl: float | Callable[[Any], float | None] | None = None,
    ttl_seconds: float | None = None,
    max_size: int = 1024,
    policy: str = "lru",
    typed: bool = False,
    key: Callable[..., Any] | None = None,
    cache_key_prefix: str | None = None,
    cache_manager: CacheManager | None = None,
    cache_none: bool = True,
    cache_exceptions: tuple[type[BaseException], ...] = (),
    exception_ttl: float | None = None,
    name: str | None = None,
    persist: Any = None,
    redis: Any = None,
    signing_key: bytes | str | None = None,
    strict: bool = False,
    lease_timeout: float = 30.0,
    lease_wait: float = 30.0,
    retry_after: float = 1.0,
    timer: Callable[[], float] = time.monotonic,
) -> Callable[[F], F]: ...


def cached_function(
    func: Callable[..., Any] | None = None,
    /,
    *,
    ttl: float | Callable[[Any], float | None] | None = None,
    ttl_seconds: float | None = None,
    max_size: int = 1024,
    policy: str = "lru",
    typed: bool = False,
    key: Callable[..., Any] | None = None,
    cache_key_prefix: str | None = None,
    cache_manager: CacheManager | None = None,
    cache_none: bool = True,
    cache_exceptions: tuple[type[BaseException], ...] = (),
    exception_ttl: float | None = None,
    name: str | None = None,
    persist: Any = None,
    redis: Any = None,
    signing_key: bytes | str | None = None,
    strict: bool = False,
    lease_timeout: float = 30.0,
    lease_wait: float = 30.0,
    retry_after: float = 1.0,
    timer: Callable[[], float] = time.monotonic,
) -> Any:
    """Cache a function's results: in memory, and optionally in SQLite (``persist=``) and Redis.

    - ``ttl`` (or ``ttl_seconds``): seconds an entry lives, or a callable of the result returning
      seconds (per-entry TTL; ``<= 0`` or ``None`` from it means "do not cache"/"never expires").
      Without it entries never expire and ``policy`` (``lru``, ``lfu``, ``fifo``, ``rr``) decides.
    - ``max_size``: entries kept in memory (per instance for methods).
    - ``typed``: ``f(1)`` and ``f(1.0)`` are separate entries. ``f(1)`` and ``f("1")`` always are.
    - ``key``: custom key function of the call's arguments (its result must be hashable, and for
      shared tiers canonically encodable).
    - ``cache_none``: cache ``None`` results (default). ``cache_exceptions``: exception types whose
      raising is cached too (memory only), for ``exception_ttl`` seconds (default ``ttl``).
    - ``name``: the ``cache`` label in metrics (default ``module.qualname``).
    - ``persist``/``redis``/``signing_key``/``strict``: shared tiers, see :class:`CacheManager`;
      ``cache_manager``: register this cache in a manager and use its tiers.
    - ``lease_timeout``/``lease_wait``: the Redis lease (seconds it is held at most; seconds
      another process waits for the holder's value before computing itself).

    The wrapper has ``cache_info()``, ``cache_clear()``, ``invalidate(*args, **kwargs)`` and
    ``cache_stats()``. Methods (first parameter ``self``) are cached per instance without
    keeping the instance alive.
    """
    if ttl_seconds is not None:
        check_ttl("ttl_seconds", ttl_seconds, allow_callable=False)
        if ttl is not None and ttl != ttl_seconds:
            raise CacheError(
                f"pass ttl or ttl_seconds, not both (got ttl={ttl!r}, ttl_seconds={ttl_seconds!r})"
            )
        ttl = ttl_seconds
    check_ttl("ttl", ttl)
    check_ttl("exception_ttl", exception_ttl, allow_callable=False)
    check_max_size("max_size", max_size)
    policy = check_policy(policy)
    check_bool("typed", typed)
    check_bool("cache_none", cache_none)
    check_bool("strict", strict)
    check_optional_callable("key", key)
    excs = check_exceptions(cache_exceptions)
    check_ttl("lease_timeout", lease_timeout, allow_callable=False)
    check_ttl("lease_wait", lease_wait, allow_callable=False)
    if isinstance(retry_after, bool) or not isinstance(retry_after, int | float) or retry_after < 0:
        raise CacheError(f"retry_after must be a number of seconds >= 0, got {retry_after!r}")
    if name is not None:
        check_name("name", name)
    if cache_key_prefix is not None and not isinstance(cache_key_prefix, str):
        raise TypeError(f"cache_key_prefix must be a string, got {cache_key_prefix!r}")
    if cache_manager is not None and not hasattr(cache_manager, "_register"):
        raise TypeError(f"cache_manager must be a CacheManager, got {cache_manager!r}")
    # Tiers are built now, so a bad path or an unreachable Redis (strict=True) fails here.
    disk = make_disk(persist)
    rtier = make_redis(redis, strict=strict)
    options: dict[str, Any] = dict(
        ttl=ttl, max_size=max_size, policy=policy, typed=typed, key=key,
        prefix=cache_key_prefix, manager=cache_manager, cache_none=cache_none, excs=excs,
        exception_ttl=exception_ttl, name=name, disk=disk, rtier=rtier,
        signing_key=signing_key, lease_ms=int(lease_timeout * 1000),
        lease_wait=lease_wait, retry_after=retry_after, timer=timer,
    )  # fmt: skip

    def decorate(fn: Callable[..., Any]) -> Any:
        if not callable(fn):
            raise TypeError(
                f"cached_function must decorate a callable, got {fn!r} ({type(fn).__name__})"
            )
        return _build(fn, **options)

    if func is not None:
        return decorate(func)
    return decorate


def _build(
    fn: Callable[..., Any], *, ttl: Any, max_size: int, policy: str, typed: bool,
    key: Callable[..., Any] | None, prefix: str | None, manager: CacheManager | None,
    cache_none: bool, excs: tuple[type[BaseException], ...], exception_ttl: float | None,
    name: str | None, disk: SQLiteTier | None, rtier: RedisTier | None, signing_key: Any,
    lease_ms: int,
    lease_wait: float, retry_after: float, timer: Callable[[], float],
) -> Any:  # fmt: skip
    qualname = getattr(fn, "__qualname__", type(fn).__name__)
    cache_name = name or f"{getattr(fn, '__module__', None) or '?'}.{qualname}"
    is_async = inspect.iscoroutinefunction(fn)
    is_method = _is_method(fn)
    serializer = make_serializer(signing_key)
    if manager is not None:
        disk = disk or manager._disk
        rtier = rtier or manager._redis
        serializer = serializer if signing_key is not None else manager._serializer
        if ttl is None:
            ttl = manager.default_ttl
    if is_method and (disk or rtier) and key is None:
        raise CacheError(
            f"{qualname} is a method: an instance has no identity across processes, so shared "
            "tiers (persist=/redis=) need key=... returning a key for (self, *args)"
        )
    per_entry = bool(excs) and exception_ttl is not None and exception_ttl != ttl

    def new_core() -> TieredCache:
        return TieredCache(
            cache_name, policy=policy, max_size=max_size, ttl=ttl, per_entry=per_entry,
            exception_ttl=exception_ttl, cache_none=cache_none, timer=timer, disk=disk,
            redis=rtier, serializer=serializer,
            namespace=f"{prefix if prefix is not None else 'codomyrmex:'}{cache_name}",
            lease_ms=lease_ms, lease_wait=lease_wait, retry_after=retry_after,
        )  # fmt: skip

    cores: dict[int, TieredCache] = {}
    if is_method:
        wrapper = _method_wrapper(fn, cores, new_core, typed, key, excs, is_async)
    else:
        cores[0] = new_core()
        wrapper = _function_wrapper(fn, cores[0], typed, key, excs, is_async)
    first = next(iter(cores.values()), None) or new_core()
    stats = first.stats

    def currsize() -> int:
        return sum(c.size() for c in list(cores.values()))

    # Caches sharing a name share one CacheStats; the entries gauge follows the newest of them.
    stats.entries_fn = currsize

    def core_of(args: tuple[Any, ...]) -> tuple[TieredCache | None, tuple[Any, ...]]:
        if not is_method:
            return cores[0], args
        if not args:
            raise TypeError(f"{qualname}.invalidate() needs the instance as first argument")
        return cores.get(id(args[0])), args[1:]

    def cache_info() -> CacheInfo:
        return CacheInfo(stats.hits, stats.misses, max_size, currsize())

    def cache_clear() -> None:
        all_cores = list(cores.values()) or [first]
        for i, c in enumerate(all_cores):
            c.clear(tiers=i == 0)  # the shared tiers are one namespace: clear them once

    def invalidate(*args: Any, **kwargs: Any) -> bool:
        """Forget the entry of this call (in every tier); ``True`` if memory held it."""
        core, rest = core_of(args)
        if key is not None:
            k = key(*args, **kwargs)
            src = _keysrc_of((k,), {})
        else:
            k = l1_key(rest, kwargs, typed)
            src = _keysrc_of(rest, kwargs)
            try:
                hash(k)
            except TypeError:
                k = _unhashable(rest, kwargs)
        return (core or first).delete(k, src)

    def cache_stats() -> CacheSnapshot:
        return snapshot(stats, max_size, entries=currsize())

    wrapper.cache_info = cache_info
    wrapper.cache_clear = cache_clear
    wrapper.invalidate = invalidate
    wrapper.cache_stats = cache_stats
    wrapper.cache_name = cache_name
    wrapper.cache_parameters = lambda: {
        "maxsize": max_size,
        "typed": typed,
        "ttl": ttl,
        "policy": policy,
    }
    if manager is not None:
        manager._register(cache_name, first, cache_clear)
    return wrapper


def _keysrc_of(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Callable[[], str]:
    return lambda: canonical(args, kwargs)


def _function_wrapper(
    fn: Callable[..., Any], core: TieredCache, typed: bool, key: Callable[..., Any] | None,
    excs: tuple[type[BaseException], ...], is_async: bool,
) -> Any:  # fmt: skip
    store, lock, stats = core.store, core.lock, core.stats
    miss, amiss = core.call, core.acall
    kwmark = KWMARK

    if key is None and not typed and not excs and not is_async:
        # The fast path, measured against cachetools.cached(..., lock=Lock()) in
        # benchmarks/bench_cache.py: the same key tuple, one lock, one store read, one ``+= 1``.
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            k: Any = args + kwmark + tuple(sorted(kwargs.items())) if kwargs else args
            try:
                with lock:
                    v = store[k]
                    stats.hits += 1
                    return v
            except KeyError:
                pass
            except TypeError:
                k = _unhashable(args, kwargs)
            return miss(k, fn, args, kwargs, _keysrc_of(args, kwargs))

        return functools.update_wrapper(wrapper, fn)

    def make_key(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Callable[[], str]]:
        if key is not None:
            k = key(*args, **kwargs)
            return k, _keysrc_of((k,), {})
        return l1_key(args, kwargs, typed), _keysrc_of(args, kwargs)

    if not is_async:

        def swrapper(*args: Any, **kwargs: Any) -> Any:
            k, src = make_key(args, kwargs)
            try:
                with lock:
                    v = store[k]
                    stats.hits += 1
            except KeyError:
                return miss(k, fn, args, kwargs, src, excs)
            except TypeError:
                return miss(_unhashable(args, kwargs), fn, args, kwargs, src, excs)
            if type(v) is Raised:
                raise v.exc
            return v

        return functools.update_wrapper(swrapper, fn)

    async def awrapper(*args: Any, **kwargs: Any) -> Any:
        k, src = make_key(args, kwargs)
        try:
            with lock:
                v = store[k]
                stats.hits += 1
        except KeyError:
            return await amiss(k, fn, args, kwargs, src, excs)
        except TypeError:
            return await amiss(_unhashable(args, kwargs), fn, args, kwargs, src, excs)
        if type(v) is Raised:
            raise v.exc
        return v

    return functools.update_wrapper(awrapper, fn)


def _method_wrapper(
    fn: Callable[..., Any], cores: dict[int, TieredCache], new_core: Callable[[], TieredCache],
    typed: bool, key: Callable[..., Any] | None, excs: tuple[type[BaseException], ...],
    is_async: bool,
) -> Any:  # fmt: skip
    guard = threading.Lock()

    def core_for(obj: Any) -> TieredCache:
        core = cores.get(id(obj))
        if core is not None:
            return core
        with guard:
            core = cores.get(id(obj))
            if core is None:
                core = new_core()
                try:
                    # The cache dies with the instance; the finalizer runs before the id can be
                    # reused by another object, so a new instance never sees old entries.
                    weakref.finalize(obj, cores.pop, id(obj), None)
                except TypeError:
                    raise TypeError(
                        f"cached method {fn.__qualname__}: {type(obj).__qualname__} instances do "
                        "not support weak references (add '__weakref__' to __slots__), so they "
                        "cannot be cached per instance without being kept alive"
                    ) from None
                cores[id(obj)] = core
        return core

    def make_key(self: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any]:
        if key is not None:
            k = key(self, *args, **kwargs)
            return k, _keysrc_of((k,), {})
        return l1_key(args, kwargs, typed), _keysrc_of(args, kwargs)

    if not is_async:

        def mwrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            core = cores.get(id(self)) or core_for(self)
            k, src = make_key(self, args, kwargs)
            try:
                with core.lock:
                    v = core.store[k]
                    core.stats.hits += 1
            except KeyError:
                return core.call(k, functools.partial(fn, self), args, kwargs, src, excs)
            except TypeError:
                k = _unhashable(args, kwargs)
                return core.call(k, functools.partial(fn, self), args, kwargs, src, excs)
            if type(v) is Raised:
                raise v.exc
            return v

        return functools.update_wrapper(mwrapper, fn)

    async def amwrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        core = cores.get(id(self)) or core_for(self)
        k, src = make_key(self, args, kwargs)
        try:
            with core.lock:
                v = core.store[k]
                core.stats.hits += 1
        except KeyError:
            return await core.acall(k, functools.partial(fn, self), args, kwargs, src, excs)
        except TypeError:
            k = _unhashable(args, kwargs)
            return await core.acall(k, functools.partial(fn, self), args, kwargs, src, excs)
        if type(v) is Raised:
            raise v.exc
        return v

    return functools.update_wrapper(amwrapper, fn)
