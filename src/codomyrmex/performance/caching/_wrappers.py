"""The wrappers ``cached_function`` returns: the L1 hit path, inlined, for every call shape.

One wrapper per shape (sync/async, function/method, fast/general), chosen once at decoration,
so the hit path never tests configuration: build the key as cachetools does (the argument
tuple), take the cache's lock, read the store, ``stats.hits += 1``. No telemetry call, no stable
key, no call into :class:`~._core.TieredCache`; a miss hands over to ``TieredCache.call`` or
``acall`` (a memory-only cache's fast wrapper joins the key's flight under the hit lookup's lock
and calls ``TieredCache.lead`` directly).

Peer semantics kept here (``functools.lru_cache``; README "Differences from functools/cachetools"):

- **One ``__hash__`` per call** when the first argument is not a builtin scalar (an object
  with a ``__hash__`` of its own): the key is a :class:`HashedKey`, which hashes the arguments
  once and remembers it, as ``functools._HashedSeq`` does. Every later dict operation (the
  lookup, the LRU move, the insert, the eviction) uses the remembered hash.
- **A cache-internal exception never becomes the caller's ``__context__``**: the miss path is
  entered after the ``except KeyError`` block has ended (bpo-13177).
- **``key=`` results must be hashable**: an unhashable one is a ``TypeError`` naming ``key=``
  (it used to fall back silently to the argument key, which a versioned key must not do).
- **Methods**: a function defined in a class body is cached per instance, whatever its first
  parameter is called; the instance is not kept alive (a ``weakref.finalize`` drops its cache).
  Instances that cannot be weakly referenced (``__slots__`` without ``__weakref__``, e.g. slots
  dataclasses, NamedTuples) share one cache keyed by the instance, as ``lru_cache`` keys
  ``self``, so such an instance stays alive until its entries are evicted.

    >>> from codomyrmex.performance.caching._core import TieredCache
    >>> core = TieredCache("doc_wrappers")
    >>> f, _ = function_wrapper(lambda x: x + 1, core, False, None, (), False)
    >>> f(1), f(1), core.stats.hits
    (2, 2, 1)
"""

from __future__ import annotations

import functools
import threading
import weakref
from collections.abc import Callable
from threading import get_ident
from typing import Any

from ._core import MISSING, Raised, TieredCache
from ._keys import KWMARK, EncodedKey, KeyEncodingError, canonical, encoded_key, l1_key
from ._policies import hit_reader
from ._singleflight import Flight

__all__ = [
    "FAST_TYPES",
    "HashedKey",
    "Locate",
    "fast_key",
    "function_wrapper",
    "keysrc_of",
    "method_wrapper",
    "unhashable_key",
]

#: Types whose hash is computed in C (no Python ``__hash__`` to call twice): a first argument
#: of one of these keeps the plain argument tuple as its key, the fastest hit.
FAST_TYPES: frozenset[type] = frozenset({int, str, float, bool, bytes, type(None), tuple})

#: ``(args, kwargs) -> (cache, L1 key, stable key source)`` of a call (for ``invalidate``).
Locate = Callable[[tuple[Any, ...], dict[str, Any]], tuple[TieredCache | None, Any, Any]]


class HashedKey(list[Any]):
    """An argument key that remembers its hash (``functools._HashedSeq``): the arguments'
    ``__hash__`` runs once per call, not once per dict operation. A list, so it is never equal
    to a plain tuple key or to an :class:`~._keys.EncodedKey`."""

    __slots__ = ("hashvalue",)

    def __init__(self, key: tuple[Any, ...]) -> None:
        self[:] = key
        self.hashvalue = hash(key)

    def __hash__(self) -> int:  # type: ignore[override]
        return self.hashvalue


def unhashable_key(args: tuple[Any, ...], kwargs: dict[str, Any]) -> EncodedKey:
    try:
        return encoded_key(args, kwargs)
    except KeyEncodingError as exc:
        raise TypeError(f"unhashable argument with no canonical encoding: {exc}") from None


def keysrc_of(
    args: tuple[Any, ...], kwargs: dict[str, Any], typed: bool = False
) -> Callable[[], str]:
    # A partial, not a lambda: calling it adds no Python frame on the L2 hit path. ``typed``:
    # the shared key follows the L1 key's typed rule (see _keys).
    if typed:
        return functools.partial(canonical, args, kwargs, True)
    return functools.partial(canonical, args, kwargs)


def fast_key(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The L1 key of the fast wrappers (no ``key=``, not ``typed``): the argument tuple, the
    keywords sorted after :data:`KWMARK`, a :class:`HashedKey` unless the first argument is of
    a :data:`FAST_TYPES` type. The sync fast wrapper spells this out (a frame less per hit).

        >>> fast_key((1, "a"), {}), fast_key((), {"b": 2})[1:]
        ((1, 'a'), (('b', 2),))
    """
    if kwargs:
        k: Any = args + KWMARK + tuple(sorted(kwargs.items()))
        if type(args[0] if args else None) not in FAST_TYPES:
            return HashedKey(k)
        return k
    if args and type(args[0]) not in FAST_TYPES:
        return HashedKey(args)
    return args


def _bad_key(fn: Callable[..., Any], k: Any) -> TypeError:
    name = getattr(fn, "__qualname__", repr(fn))
    return TypeError(
        f"key= of cached function {name} must return a hashable value, got {k!r:.80} "
        f"({type(k).__name__}); return a tuple instead of a list, a frozenset instead of a set"
    )


def _key_maker(
    fn: Callable[..., Any], typed: bool, key: Callable[..., Any] | None
) -> Callable[[tuple[Any, ...], dict[str, Any]], tuple[Any, Callable[[], str]]]:
    """``(args, kwargs) -> (L1 key, stable key source)`` for the general wrappers (``args``
    without the instance for methods; ``key=`` gets the instance first)."""
    fast = FAST_TYPES

    if key is not None:
        user_key = key

        def from_key(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            k = user_key(*args, **kwargs)
            try:
                hash(k)
            except TypeError:
                raise _bad_key(fn, k) from None
            return k, keysrc_of((k,), {})

        return from_key

    def from_args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        src = keysrc_of(args, kwargs, typed)
        k = l1_key(args, kwargs, typed)
        if args and type(args[0]) not in fast:
            try:
                return HashedKey(k), src
            except TypeError:
                return unhashable_key(args, kwargs), src
        return k, src

    return from_args


def function_wrapper(
    fn: Callable[..., Any], core: TieredCache, typed: bool, key: Callable[..., Any] | None,
    excs: tuple[type[BaseException], ...], is_async: bool,
) -> tuple[Any, Locate]:  # fmt: skip
    """The wrapper of a plain function, and its :data:`Locate`."""
    store, lock, stats = core.store, core.lock, core.stats
    miss, amiss = core.call, core.acall
    kwmark, fast = KWMARK, FAST_TYPES
    make_key = _key_maker(fn, typed, key)
    # acquire/release rather than ``with lock`` on every hit path: measured 2.5x cheaper per
    # round trip on CPython 3.11-3.13 (benchmarks/bench_cache.py)
    acquire, release = lock.acquire, lock.release
    get, touch = hit_reader(store)  # the fast paths' store read (a plain LRU: C calls only)
    absent = MISSING

    def locate(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        k, src = make_key(args, kwargs)
        try:
            hash(k)
        except TypeError:
            k = unhashable_key(args, kwargs)
        return core, k, src

    if key is None and not typed and not excs and not is_async:
        # The fast path, measured against cachetools.cached(..., lock=Lock()) in
        # benchmarks/bench_cache.py: the same key tuple, one lock, one store read, one ``+= 1``
        # (no KeyError raised on a miss: the L2 hit path and the miss path start here).
        # A memory-only cache that misses becomes the leader of the key's flight
        # under that same lock (no second round trip, no second look at the store); with
        # shared tiers the miss goes to TieredCache.call, which reads them before any flight.
        flights, lead, local = core.flights, core.lead, core.shared is None
        shared = core.shared

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            flight = None
            try:
                # fast_key(args, kwargs), spelled out
                if kwargs:
                    k: Any = args + kwmark + tuple(sorted(kwargs.items()))
                    if type(args[0] if args else None) not in fast:
                        k = HashedKey(k)
                elif args and type(args[0]) not in fast:
                    k = HashedKey(args)  # the argument's own __hash__ runs once, here
                else:
                    k = args
                acquire()
                try:
                    v = get(k, absent)
                    if v is not absent:
                        if touch is not None:
                            touch(k)
                        stats.hits += 1
                        return v
                    if local and k not in flights:
                        flight = flights[k] = Flight(get_ident())
                        stats.misses += 1
                finally:
                    release()
            except TypeError:
                k = unhashable_key(args, kwargs)
            if flight is not None:
                return lead(k, fn, args, kwargs, flight)
            if shared is None:
                return miss(k, fn, args, kwargs, None)
            # the stable key now (no key source object to build): the L2 read needs it
            return miss(k, fn, args, kwargs, None, skey=shared.stable_args(args, kwargs))

        return functools.update_wrapper(wrapper, fn), locate

    if not is_async:

        def swrapper(*args: Any, **kwargs: Any) -> Any:
            k, src = make_key(args, kwargs)
            try:
                acquire()
                try:
                    v = store[k]
                    stats.hits += 1
                finally:
                    release()
            except KeyError:
                v = miss
            except TypeError:
                k, v = unhashable_key(args, kwargs), miss
            if v is miss:
                return miss(k, fn, args, kwargs, src, excs)
            if type(v) is Raised:
                v.reraise()
            return v

        return functools.update_wrapper(swrapper, fn), locate

    if key is None and not typed and not excs:
        # The async fast path: the sync fast path's key (fast_key, the same tuple) and store
        # read; the key source object is built only on a miss. Measured against the sync hit
        # in benchmarks/bench_cache.py (target: an async hit costs at most twice a sync hit).
        async def afast(*args: Any, **kwargs: Any) -> Any:
            try:
                k = fast_key(args, kwargs)
                acquire()
                try:
                    v = get(k, absent)
                    if v is not absent:
                        if touch is not None:
                            touch(k)
                        stats.hits += 1
                        return v
                finally:
                    release()
            except TypeError:
                k = unhashable_key(args, kwargs)
            return await amiss(k, fn, args, kwargs, keysrc_of(args, kwargs), excs)

        return functools.update_wrapper(afast, fn), locate

    async def awrapper(*args: Any, **kwargs: Any) -> Any:
        k, src = make_key(args, kwargs)
        try:
            acquire()
            try:
                v = store[k]
                stats.hits += 1
            finally:
                release()
        except KeyError:
            v = amiss
        except TypeError:
            k, v = unhashable_key(args, kwargs), amiss
        if v is amiss:
            return await amiss(k, fn, args, kwargs, src, excs)
        if type(v) is Raised:
            v.reraise()
        return v

    return functools.update_wrapper(awrapper, fn), locate


def method_wrapper(
    fn: Callable[..., Any], cores: dict[int, TieredCache], new_core: Callable[[], TieredCache],
    typed: bool, key: Callable[..., Any] | None, excs: tuple[type[BaseException], ...],
    is_async: bool,
) -> tuple[Any, Locate]:  # fmt: skip
    """The wrapper of a function defined in a class body (cached per instance), and its
    :data:`Locate`. ``cores[0]`` is the one cache of instances without weak references."""
    guard = threading.Lock()
    make_key = _key_maker(fn, typed, key)
    no_weakref: set[type] = set()

    def core_for(obj: Any) -> TieredCache | None:
        """The instance's cache, created on first use; ``None`` if it has no weak references."""
        core = cores.get(id(obj))
        if core is not None:
            return core
        if type(obj) in no_weakref:
            return None
        with guard:
            core = cores.get(id(obj))
            if core is None:
                try:
                    # The cache dies with the instance; the finalizer runs before the id can be
                    # reused by another object, so a new instance never sees old entries.
                    weakref.finalize(obj, cores.pop, id(obj), None)
                except TypeError:
                    no_weakref.add(type(obj))
                    return None
                core = cores[id(obj)] = new_core()
        return core

    def shared_core() -> TieredCache:
        core = cores.get(0)
        if core is None:
            with guard:
                core = cores.get(0)
                if core is None:
                    core = cores[0] = new_core()
        return core

    def key_of(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """``(cache, L1 key, source)`` of a call on ``obj``."""
        core = core_for(obj)
        if key is not None:
            k, src = make_key((obj, *args), kwargs)
        else:
            k, src = make_key(args, kwargs)
        if core is None:
            # No weak reference: one cache for these instances, keyed by the instance too.
            core = shared_core()
            if key is None:
                try:
                    k = (obj, k)
                    hash(k)
                except TypeError:
                    k = unhashable_key((obj, *args), kwargs)
        return core, k, src

    def locate(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if not args:
            raise TypeError(f"{fn.__qualname__}.invalidate() needs the instance as first argument")
        obj, rest = args[0], args[1:]
        if id(obj) not in cores and type(obj) not in no_weakref:
            # Never cached on this instance: nothing in memory; the shared tiers (key=) may
            # still hold the entry, so any cache of this function can delete it there.
            k, src = make_key(args if key is not None else rest, kwargs)
            return None, k, src
        return key_of(obj, rest, kwargs)

    if not is_async:

        def mwrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            core, k, src = key_of(self, args, kwargs)
            call = core.call
            try:
                lock = core.lock
                lock.acquire()
                try:
                    v = core.store[k]
                    core.stats.hits += 1
                finally:
                    lock.release()
            except KeyError:
                v = call
            except TypeError:
                k, v = unhashable_key(args, kwargs), call
            if v is call:
                return call(k, functools.partial(fn, self), args, kwargs, src, excs)
            if type(v) is Raised:
                v.reraise()
            return v

        return functools.update_wrapper(mwrapper, fn), locate

    async def amwrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        core, k, src = key_of(self, args, kwargs)
        acall = core.acall
        try:
            lock = core.lock
            lock.acquire()
            try:
                v = core.store[k]
                core.stats.hits += 1
            finally:
                lock.release()
        except KeyError:
            v = acall
        except TypeError:
            k, v = unhashable_key(args, kwargs), acall
        if v is acall:
            return await acall(k, functools.partial(fn, self), args, kwargs, src, excs)
        if type(v) is Raised:
            v.reraise()
        return v

    return functools.update_wrapper(amwrapper, fn), locate
