"""``cached_function``: memoize sync functions, ``async def`` functions and methods.

    >>> from codomyrmex.performance import cached_function
    >>> @cached_function(ttl=3600)
    ... def square(x: int) -> int:
    ...     return x * x
    >>> square(4), square(4), square.cache_info().hits
    (16, 16, 1)

The wrappers (:mod:`._wrappers`) inline the L1 hit path: build the key as cachetools does (the
argument tuple), take the lock, read the store, ``stats.hits += 1``. No telemetry call, no stable
key, no method call into the cache object; everything else is :meth:`TieredCache.call`.
"""

from __future__ import annotations

import functools
import sys
import threading
import time
import weakref
from collections.abc import Callable
from types import CodeType, MethodType
from typing import TYPE_CHECKING, Any, NamedTuple, ParamSpec, TypeVar, overload

from ..errors import CacheError
from ..telemetry.stats import default_registry
from ._core import TieredCache
from ._identity import CLAIMS, check_default_name, check_version, tier_id
from ._keys import namespace
from ._options import (
    Tiers,
    check_bool,
    check_exceptions,
    check_name,
    check_optional_callable,
    check_policy,
    check_timer,
    check_ttl,
    deprecated,
    make_disk,
    make_redis,
    make_serializer,
    merge_tiers,
)
from ._policies import clock_in_seconds, lru_maxsize
from ._wrappers import function_wrapper, method_wrapper

if TYPE_CHECKING:
    from ._manager import CacheManager
    from ._protocol import CachedFunction
    from ._redis_tier import RedisTier
    from ._sqlite_tier import SQLiteTier
    from ._stats import CacheSnapshot

__all__ = ["CacheInfo", "cached_function"]

P = ParamSpec("P")
R = TypeVar("R")

_UNSET: Any = object()  # "not passed", for the deprecated spellings


class CacheInfo(NamedTuple):
    """Same fields as :func:`functools.lru_cache`'s ``cache_info()``."""

    hits: int
    misses: int
    maxsize: int | None
    currsize: int


_CO_COROUTINE = 0x80  # inspect.CO_COROUTINE; spelled out so that decorating does not import
# inspect (~4 ms), and a sync-only program never imports asyncio (~20 ms) because of us.


def _is_async(fn: Callable[..., Any]) -> bool:
    """``inspect.iscoroutinefunction(fn)`` without importing :mod:`inspect`.

    Like it: bound methods and :func:`functools.partial` objects are unwrapped (in any nesting,
    so ``partial(obj.async_method)`` is async too), then the code object's ``CO_COROUTINE``
    flag decides, for functions and function-like objects (``AsyncMock``); callable instances
    and builtins are sync. A function marked by ``inspect.markcoroutinefunction`` (3.12+) is
    async.
    """
    f: Any = fn
    while True:
        if isinstance(f, MethodType):
            f = f.__func__
        elif isinstance(f, functools.partial):
            f = f.func
        else:
            break
    marker = getattr(f, "_is_coroutine_marker", None)
    if marker is not None:
        # Only inspect.markcoroutinefunction sets it, so inspect is already imported.
        import inspect

        if marker is getattr(inspect, "_is_coroutine_mark", None):
            return True
    code = getattr(f, "__code__", None)
    if code is None:
        return False
    flags = code.co_flags if isinstance(code, CodeType) else getattr(code, "co_flags", 0)
    return isinstance(flags, int) and bool(flags & _CO_COROUTINE)


_CO_GENERATOR, _CO_ASYNC_GENERATOR = 0x20, 0x200  # inspect.CO_GENERATOR, CO_ASYNC_GENERATOR


def _refuse_generators(fn: Callable[..., Any], qualname: str) -> None:
    # A generator's result is a one-shot iterator: cached, every later call would get the same
    # exhausted object. (Same unwrapping as _is_async, without importing inspect.)
    f: Any = fn
    while isinstance(f, MethodType | functools.partial):
        f = f.__func__ if isinstance(f, MethodType) else f.func
    code = getattr(f, "__code__", None)
    flags = getattr(code, "co_flags", 0) if code is not None else 0
    if isinstance(flags, int) and flags & (_CO_GENERATOR | _CO_ASYNC_GENERATOR):
        kind = "an async generator" if flags & _CO_ASYNC_GENERATOR else "a generator"
        raise TypeError(
            f"cached_function cannot cache {qualname}: it is {kind} function, whose result is a "
            "one-shot iterator (every later call would get the same exhausted one); cache a "
            "function returning a list instead"
        )


def _is_method(fn: Callable[..., Any]) -> bool:
    # A function defined in a class body whose first parameter is ``self``: cache per instance.
    # Not an already bound method (``cached_function(obj.method)``, as with lru_cache): its
    # ``self`` is bound, so the first argument of a call is an ordinary argument.
    if isinstance(fn, MethodType):
        return False
    code = getattr(fn, "__code__", None)
    qualname = getattr(fn, "__qualname__", "")
    # Whatever the first parameter is called (``self``, ``this``): what makes it a method is
    # being defined in a class body (a qualname ``Class.name``, not ``f.<locals>.name``),
    # where the function is bound as a descriptor and its first argument is the instance.
    return (
        code is not None
        and code.co_argcount > 0
        and "." in qualname
        and not qualname.endswith("<locals>." + fn.__name__)
    )


@overload
def cached_function(func: Callable[P, R], /) -> CachedFunction[P, R]: ...
@overload
def cached_function(
    func: None = None,
    /,
    *,
    # the memory tier and what is cached (functools / cachetools names)
    maxsize: int | None = 1024,
    typed: bool = False,
    ttl: float | Callable[[Any], float | None] | None = None,
    timer: Callable[[], float] = time.monotonic,
    key: Callable[..., Any] | None = None,
    policy: str = "lru",
    cache_none: bool = True,
    cache_exceptions: tuple[type[BaseException], ...] = (),
    exception_ttl: float | None = None,
    # identity: the metrics label and the shared-tier namespace
    name: str | None = None,
    version: str | int | None = None,
    # the shared tiers: tiers=Tiers(...) or these keywords
    tiers: Tiers | None = None,
    persist: Any = None,
    redis: Any = None,
    signing_key: bytes | str | None = None,
    strict: bool = False,
    key_prefix: str | None = None,
    lease_timeout: float = 30.0,
    lease_wait: float = 30.0,
    retry_after: float = 1.0,
    cache_manager: CacheManager | None = None,
    # old spellings (DeprecationWarning)
    max_size: Any = _UNSET,
    ttl_seconds: float | None = None,
    cache_key_prefix: str | None = None,
) -> Callable[[Callable[P, R]], CachedFunction[P, R]]: ...


def cached_function(
    func: Callable[..., Any] | None = None,
    /,
    *,
    # the memory tier and what is cached (functools / cachetools names)
    maxsize: int | None = 1024,
    typed: bool = False,
    ttl: float | Callable[[Any], float | None] | None = None,
    timer: Callable[[], float] = time.monotonic,
    key: Callable[..., Any] | None = None,
    policy: str = "lru",
    cache_none: bool = True,
    cache_exceptions: tuple[type[BaseException], ...] = (),
    exception_ttl: float | None = None,
    # identity: the metrics label and the shared-tier namespace
    name: str | None = None,
    version: str | int | None = None,
    # the shared tiers: tiers=Tiers(...) or these keywords
    tiers: Tiers | None = None,
    persist: Any = None,
    redis: Any = None,
    signing_key: bytes | str | None = None,
    strict: bool = False,
    key_prefix: str | None = None,
    lease_timeout: float = 30.0,
    lease_wait: float = 30.0,
    retry_after: float = 1.0,
    cache_manager: CacheManager | None = None,
    # old spellings (DeprecationWarning)
    max_size: Any = _UNSET,
    ttl_seconds: float | None = None,
    cache_key_prefix: str | None = None,
) -> Any:
    """Cache a function's results: in memory, and optionally in SQLite (``persist=``) and Redis.

    What is cached, in memory (the names of :func:`functools.lru_cache` and cachetools):

    - ``maxsize``: entries kept in memory (per instance for methods); ``None``: unbounded,
      ``0``: nothing is cached (as functools).
    - ``typed``: ``f(1)`` and ``f(1.0)`` are separate entries, in memory and in the shared
      tiers alike. ``f(1)`` and ``f("1")`` always are.
    - ``ttl``: seconds an entry lives, or a callable of the result returning seconds (per-entry
      TTL; ``<= 0`` or ``None`` from it means "do not cache"/"never expires"). ``timer``: the
      clock (as cachetools' ``TTLCache``). Without a TTL ``policy`` (``lru``, ``lfu``,
      ``fifo``, ``rr``) decides what is evicted.
    - ``key``: custom key function of the call's arguments (its result must be hashable, and
      for shared tiers canonically encodable).
    - ``cache_none``: cache ``None`` results (default). ``cache_exceptions``: exception types
      whose raising is cached too (memory only), for ``exception_ttl`` seconds (default ``ttl``).

    Identity:

    - ``name``: the ``cache`` label in metrics and the cache's identity in the shared tiers
      (default ``module.qualname``). With shared tiers a lambda or a function under
      ``<locals>`` needs an explicit ``name=`` (their default names are shared by other
      functions), and two different live functions cannot use one name on one shared tier.
    - ``version``: part of the shared-tier keys (a string or an int); change it when the
      function's results change, so that it stops reading entries the old code wrote.

    The shared tiers, as ``tiers=Tiers(...)`` or the same keywords (see :class:`Tiers`):
    ``persist``, ``redis``, ``signing_key``, ``strict``, ``key_prefix``, ``lease_timeout``,
    ``lease_wait``, ``retry_after``. ``cache_manager``: register this cache in a manager and
    use its tiers.

    Old spellings, kept with a :class:`DeprecationWarning`: ``max_size`` (``maxsize``),
    ``ttl_seconds`` (``ttl``), ``cache_key_prefix`` (``key_prefix``).

    ``cache_info()`` counts hits and misses since the last ``cache_clear()`` (as
    :func:`functools.lru_cache` does); ``cache_stats()`` and the metrics count from creation.
    The wrapper has ``cache_info()``, ``cache_clear()``, ``cache_parameters()``,
    ``invalidate(*args, **kwargs)``, ``cache_stats()`` and ``cache_close()`` (closes the tiers
    it opened). Methods are cached per instance without keeping the instance alive.
    """
    if max_size is not _UNSET:
        deprecated("cached_function(max_size=...)", "maxsize= (as functools.lru_cache)")
        if maxsize != 1024 and maxsize != max_size:
            raise CacheError(f"pass maxsize, not max_size too (got {maxsize!r} and {max_size!r})")
        maxsize = max_size
    if cache_key_prefix is not None:
        deprecated("cached_function(cache_key_prefix=...)", "key_prefix= (as CacheManager)")
        if not isinstance(cache_key_prefix, str):
            raise TypeError(f"cache_key_prefix must be a string, got {cache_key_prefix!r}")
        key_prefix = cache_key_prefix if key_prefix is None else key_prefix
    if ttl_seconds is not None:
        deprecated("cached_function(ttl_seconds=...)", "ttl=")
        check_ttl("ttl_seconds", ttl_seconds, allow_callable=False)
        if ttl is not None and ttl != ttl_seconds:
            raise CacheError(
                f"pass ttl or ttl_seconds, not both (got ttl={ttl!r}, ttl_seconds={ttl_seconds!r})"
            )
        ttl = ttl_seconds
    check_timer(timer)
    # One unit everywhere: timedelta TTLs with a datetime timer (as cachetools allows) become
    # seconds; a timer that returns neither is a TypeError naming timer, not a failure later.
    timer, (ttl, exception_ttl) = clock_in_seconds(timer, ttl, exception_ttl)
    check_ttl("ttl", ttl)
    check_ttl("exception_ttl", exception_ttl, allow_callable=False)
    max_size = lru_maxsize(maxsize)  # as functools: 0 caches nothing, negative is 0
    policy = check_policy(policy)
    check_bool("typed", typed)
    check_bool("cache_none", cache_none)
    check_optional_callable("key", key)
    excs = check_exceptions(cache_exceptions)
    if name is not None:
        check_name("name", name)
    check_version(version)
    if cache_manager is not None and not hasattr(cache_manager, "_register"):
        raise TypeError(f"cache_manager must be a CacheManager, got {cache_manager!r}")
    # The tier set-up, in one place: tiers= or the flat keywords (validated by Tiers).
    shared = merge_tiers(tiers, {
        "persist": persist, "redis": redis, "signing_key": signing_key, "strict": strict,
        "key_prefix": "codomyrmex:" if key_prefix is None else key_prefix,
        "lease_timeout": lease_timeout, "lease_wait": lease_wait, "retry_after": retry_after,
    })  # fmt: skip
    # Tiers are built now, so a bad path or an unreachable Redis (strict=True) fails here.
    disk = make_disk(shared.persist, strict=shared.strict)
    rtier = make_redis(shared.redis, strict=shared.strict)
    options: dict[str, Any] = dict(
        ttl=ttl, max_size=max_size, policy=policy, typed=typed, key=key,
        prefix=shared.key_prefix, manager=cache_manager, cache_none=cache_none, excs=excs,
        exception_ttl=exception_ttl, name=name, version=version, disk=disk, rtier=rtier,
        signing_key=shared.signing_key, lease_ms=int(shared.lease_timeout * 1000),
        lease_wait=shared.lease_wait, retry_after=shared.retry_after, timer=timer,
    )  # fmt: skip

    def decorate(fn: Callable[..., Any]) -> Any:
        # @cached_function above @staticmethod/@classmethod: cache the function inside and
        # re-wrap, so the descriptor still binds (or not) as declared.
        if isinstance(fn, staticmethod | classmethod):
            return type(fn)(_build(fn.__func__, **options))
        if not callable(fn):
            raise TypeError(
                f"cached_function must decorate a callable, got {fn!r} ({type(fn).__name__})"
            )
        return _build(fn, **options)

    if func is not None:
        return decorate(func)
    return decorate


def _build(
    fn: Callable[..., Any], *, ttl: Any, max_size: int | None, policy: str, typed: bool,
    key: Callable[..., Any] | None, prefix: str, manager: CacheManager | None,
    cache_none: bool, excs: tuple[type[BaseException], ...], exception_ttl: float | None,
    name: str | None, version: str | int | None, disk: SQLiteTier | None,
    rtier: RedisTier | None, signing_key: Any,
    lease_ms: int,
    lease_wait: float, retry_after: float, timer: Callable[[], float],
) -> Any:  # fmt: skip
    qualname = getattr(fn, "__qualname__", type(fn).__name__)
    _refuse_generators(fn, qualname)
    # Unbounded: cachetools needs a number; no process holds sys.maxsize entries.
    store_size = sys.maxsize if max_size is None else max_size
    cache_name = name or f"{getattr(fn, '__module__', None) or '?'}.{qualname}"
    is_async = _is_async(fn)
    is_method = _is_method(fn)
    serializer = make_serializer(signing_key)
    # The tiers this function opened itself (persist=/redis=): cache_close() closes those,
    # never a manager's, which other caches share.
    own_tiers = [t for t in (disk, rtier) if t is not None]
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
    if (disk or rtier) and name is None:
        shared = [f"{o}=..." for o, t in (("persist", disk), ("redis", rtier)) if t is not None]
        check_default_name(qualname, cache_name, shared)
    per_entry = bool(excs) and exception_ttl is not None and exception_ttl != ttl

    # This decorated function's own counters (and the lock guarding them), shared by the
    # per-instance caches of a method; other caches with the same name count apart, and the
    # exporters sum them by name.
    registry = default_registry()
    stats = registry.new_cache(cache_name)
    lock = threading.RLock()

    def new_core() -> TieredCache:
        return TieredCache(
            cache_name, policy=policy, max_size=store_size, ttl=ttl, per_entry=per_entry,
            exception_ttl=exception_ttl, cache_none=cache_none, timer=timer, disk=disk,
            redis=rtier, serializer=serializer,
            namespace=namespace(prefix, cache_name, version),
            lease_ms=lease_ms, lease_wait=lease_wait, retry_after=retry_after,
            stats=stats, lock=lock,
        )  # fmt: skip

    cores: dict[int, TieredCache] = {}
    if is_method:
        wrapper, locate = method_wrapper(fn, cores, new_core, typed, key, excs, is_async)
    else:
        cores[0] = new_core()
        wrapper, locate = function_wrapper(fn, cores[0], typed, key, excs, is_async)
    first = next(iter(cores.values()), None) or new_core()

    def currsize() -> int:
        return sum(c.size() for c in list(cores.values()))

    stats.entries_fn = currsize  # (refers to the caches, not to the wrapper)

    # cache_info() counts from the last cache_clear(), as functools.lru_cache's does; the
    # counters themselves (cache_stats(), the exported metrics) never go back.
    since = [0, 0]  # hits, misses at the last cache_clear()

    def cache_info() -> CacheInfo:
        return CacheInfo(stats.hits - since[0], stats.misses - since[1], max_size, currsize())

    def cache_clear() -> None:
        all_cores = list(cores.values()) or [first]
        for i, c in enumerate(all_cores):
            c.clear(tiers=i == 0)  # the shared tiers are one namespace: clear them once
        with lock:
            since[:] = [stats.hits, stats.misses]

    def invalidate(*args: Any, **kwargs: Any) -> bool:
        """Forget the entry of this call (in every tier); ``True`` if memory held it."""
        core, k, src = locate(args, kwargs)  # the key exactly as the wrapper builds it
        return (core or first).delete(k, src)

    def cache_stats() -> CacheSnapshot:
        from ._stats import snapshot  # dataclasses loads on the first snapshot, not at import

        return snapshot(stats, max_size, entries=currsize())

    def cache_close() -> None:
        """Close the SQLite connections and the Redis client this function opened (a later
        call opens them again); tiers of a ``cache_manager`` are the manager's to close."""
        for tier in own_tiers:
            tier.close()

    wrapper.cache_info = cache_info
    wrapper.cache_close = cache_close
    wrapper.cache_clear = cache_clear
    wrapper.invalidate = invalidate
    wrapper.cache_stats = cache_stats
    wrapper.cache_name = cache_name
    # Exactly functools.lru_cache's keys (issue 9); ttl, policy and the rest: cache_stats().
    wrapper.cache_parameters = lambda: {"maxsize": max_size, "typed": typed}
    if manager is not None:
        manager._register(cache_name, first, cache_clear)
    # When the decorated function is dropped its counts join its name's retired total (the
    # counters exported stay monotonic) and its entries leave the gauge.
    weakref.finalize(wrapper, registry.retire, stats)
    # Last, once nothing else can fail: the name is this function's on its shared tiers while
    # the wrapper lives (a claim that fails undoes the ones made before it).
    claims: list[tuple[Any, ...]] = []
    try:
        for tier in (disk, rtier):
            if tier is not None:
                claims.append(CLAIMS.claim(tier_id(tier), cache_name, version, fn))
    except CacheError:
        for claim in claims:
            CLAIMS.release(claim)
        raise
    for claim in claims:
        CLAIMS.bind(wrapper, claim)
    return wrapper
