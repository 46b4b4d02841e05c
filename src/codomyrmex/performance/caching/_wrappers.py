"""The wrappers ``cached_function`` returns: the L1 hit path, inlined, for every call shape.

One wrapper per shape (sync/async, function/method, fast/general), chosen once at decoration,
so the hit path never tests configuration: build the key as cachetools does (the argument
tuple), take the cache's lock, read the store, ``stats.hits += 1``. No telemetry call, no stable
key, no call into :class:`~._core.TieredCache`; a miss hands over to ``TieredCache.call`` or
``acall``.

Methods (first parameter ``self``) get one :class:`TieredCache` per instance, created on first
use and dropped by a ``weakref.finalize`` when the instance dies, so the cache never keeps an
instance alive.

    >>> from codomyrmex.performance.caching._core import TieredCache
    >>> core = TieredCache("doc_wrappers")
    >>> f = function_wrapper(lambda x: x + 1, core, False, None, (), False)
    >>> f(1), f(1), core.stats.hits
    (2, 2, 1)
"""

from __future__ import annotations

import functools
import threading
import weakref
from collections.abc import Callable
from typing import Any

from ._core import Raised, TieredCache
from ._keys import KWMARK, EncodedKey, KeyEncodingError, canonical, encoded_key, l1_key

__all__ = ["function_wrapper", "keysrc_of", "method_wrapper", "unhashable_key"]


def unhashable_key(args: tuple[Any, ...], kwargs: dict[str, Any]) -> EncodedKey:
    try:
        return encoded_key(args, kwargs)
    except KeyEncodingError as exc:
        raise TypeError(f"unhashable argument with no canonical encoding: {exc}") from None


def keysrc_of(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Callable[[], str]:
    # A partial, not a lambda: calling it adds no Python frame on the L2 hit path.
    return functools.partial(canonical, args, kwargs)


def function_wrapper(
    fn: Callable[..., Any], core: TieredCache, typed: bool, key: Callable[..., Any] | None,
    excs: tuple[type[BaseException], ...], is_async: bool,
) -> Any:  # fmt: skip
    store, lock, stats = core.store, core.lock, core.stats
    miss, amiss = core.call, core.acall
    kwmark = KWMARK
    partial = functools.partial

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
                k = unhashable_key(args, kwargs)
            return miss(k, fn, args, kwargs, partial(canonical, args, kwargs))  # keysrc_of()

        return functools.update_wrapper(wrapper, fn)

    def make_key(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Callable[[], str]]:
        if key is not None:
            k = key(*args, **kwargs)
            return k, keysrc_of((k,), {})
        return l1_key(args, kwargs, typed), keysrc_of(args, kwargs)

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
                return miss(unhashable_key(args, kwargs), fn, args, kwargs, src, excs)
            if type(v) is Raised:
                v.reraise()
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
            return await amiss(unhashable_key(args, kwargs), fn, args, kwargs, src, excs)
        if type(v) is Raised:
            v.reraise()
        return v

    return functools.update_wrapper(awrapper, fn)


def method_wrapper(
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
            return k, keysrc_of((k,), {})
        return l1_key(args, kwargs, typed), keysrc_of(args, kwargs)

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
                k = unhashable_key(args, kwargs)
                return core.call(k, functools.partial(fn, self), args, kwargs, src, excs)
            if type(v) is Raised:
                v.reraise()
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
            k = unhashable_key(args, kwargs)
            return await core.acall(k, functools.partial(fn, self), args, kwargs, src, excs)
        if type(v) is Raised:
            v.reraise()
        return v

    return functools.update_wrapper(amwrapper, fn)
