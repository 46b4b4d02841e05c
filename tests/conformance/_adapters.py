"""The peers' decorators spelled as ``cached_function`` calls, so that their own test suites run
against this library (issue 9).

- :data:`functools` stands in for the ``functools`` module that CPython's ``TestLRU`` mixin
  reads as ``self.module``: ``lru_cache``, ``cache`` and ``_CacheInfo``.
- :data:`cachetools` stands in for the ``cachetools`` package in cachetools' own decorator
  tests: ``cached``, ``cachedmethod`` and ``func.*_cache`` build a ``cached_function``; the
  cache classes and ``keys`` are cachetools' own. cachetools' ``cached(cache)`` takes the cache
  object from the caller and the tests look into it (``len(cache)``, ``key in cache``), so the
  adapter hands that object to the cache as its memory store (:func:`_user_store`), the one
  place where it reaches into the library. The library keys a call exactly as
  ``cachetools.keys.hashkey``/``typedkey`` do (the argument tuple), so those checks hold.

Anything the library does not offer (``lock=``, ``condition=``, the ``cache``/``cache_key``
attributes of a cachetools wrapper) is passed on to nothing; the tests that need it are in the
one skip table, :mod:`tests.conformance.skips`, each with its reason.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools as _functools
import random
import time
import types
from collections.abc import Callable, Iterator
from typing import Any

import cachetools as _cachetools
import cachetools.keys as _keys

from codomyrmex.performance import cached_function
from codomyrmex.performance.caching import CacheInfo, _core

__all__ = ["cachetools", "functools"]


# -- the caller's cache object as the memory store ------------------------------------------------
_STORE: contextvars.ContextVar[Callable[[], Any] | None] = contextvars.ContextVar(
    "conformance_store", default=None
)
_library_make_store = _core.make_store


def _make_store(*args: Any, **kwargs: Any) -> Any:
    supplier = _STORE.get()
    return _library_make_store(*args, **kwargs) if supplier is None else supplier()


_core.make_store = _make_store  # the library's own store unless an adapter call supplies one


@contextlib.contextmanager
def _user_store(supplier: Callable[[], Any]) -> Iterator[None]:
    token = _STORE.set(supplier)
    try:
        yield
    finally:
        _STORE.reset(token)


# -- functools ------------------------------------------------------------------------------------
def _lru_cache(maxsize: Any = 128, typed: bool = False) -> Any:
    if callable(maxsize) and isinstance(typed, bool):
        return cached_function(maxsize=128)(maxsize)  # @lru_cache without arguments
    if maxsize is not None and not isinstance(maxsize, int):
        raise TypeError("Expected first argument to be an integer, a callable, or None")
    return cached_function(maxsize=maxsize, typed=typed)


def _cache(fn: Callable[..., Any]) -> Any:
    return cached_function(maxsize=None)(fn)


# The rest of the module (partial, WRAPPER_ASSIGNMENTS, ...) is functools' own: the LRU tests
# use it around the decorator under test.
functools = types.SimpleNamespace(
    **{name: getattr(_functools, name) for name in dir(_functools) if not name.startswith("__")}
)
functools.lru_cache = _lru_cache
functools.cache = _cache
functools._CacheInfo = CacheInfo


# -- cachetools -----------------------------------------------------------------------------------
def _key_options(key: Any, method: bool) -> dict[str, Any]:
    plain = _keys.methodkey if method else _keys.hashkey
    typed = _keys.typedmethodkey if method else _keys.typedkey
    if key is plain:
        return {}
    if key is typed:
        return {"typed": True}
    return {"key": key}


def _cached(
    cache: Any, key: Any = _keys.hashkey, lock: Any = None, condition: Any = None,
    info: bool = False,
) -> Any:  # fmt: skip
    def decorate(fn: Callable[..., Any]) -> Any:
        with _user_store(lambda: cache):
            return cached_function(
                maxsize=getattr(cache, "maxsize", None), **_key_options(key, False)
            )(fn)

    return decorate


def _cachedmethod(
    cache: Callable[[Any], Any], key: Any = _keys.methodkey, lock: Any = None,
    condition: Any = None, info: bool = False,
) -> Any:  # fmt: skip
    def decorate(fn: Callable[..., Any]) -> Any:
        inner = cached_function(maxsize=None, **_key_options(key, True))(fn)

        # The library makes a method's per-instance cache on the instance's first call; the
        # cachetools test supplies that cache through ``cache(self)``.
        @_functools.wraps(fn)
        def method(self: Any, *args: Any, **kwargs: Any) -> Any:
            with _user_store(lambda: cache(self)):
                return inner(self, *args, **kwargs)

        for name in ("cache_info", "cache_clear", "cache_parameters", "invalidate"):
            setattr(method, name, getattr(inner, name))
        return method

    return decorate


def _policy_cache(policy: str) -> Callable[..., Any]:
    def decorator(maxsize: Any = 128, typed: bool = False) -> Any:
        if callable(maxsize):
            return cached_function(maxsize=128, policy=policy)(maxsize)
        return cached_function(maxsize=maxsize, typed=typed, policy=policy)

    return decorator


def _rr_cache(maxsize: Any = 128, choice: Any = random.choice, typed: bool = False) -> Any:
    return _policy_cache("rr")(maxsize, typed)


def _ttl_cache(
    maxsize: Any = 128, ttl: Any = 600, timer: Any = time.monotonic, typed: bool = False
) -> Any:
    if callable(maxsize):
        return cached_function(maxsize=128, ttl=ttl, timer=timer)(maxsize)
    return cached_function(maxsize=maxsize, typed=typed, ttl=ttl, timer=timer)


_func = types.SimpleNamespace(
    fifo_cache=_policy_cache("fifo"),
    lfu_cache=_policy_cache("lfu"),
    lru_cache=_policy_cache("lru"),
    rr_cache=_rr_cache,
    ttl_cache=_ttl_cache,
)

cachetools = types.SimpleNamespace(
    **{name: getattr(_cachetools, name) for name in _cachetools.__all__},
)
cachetools.cached = _cached
cachetools.cachedmethod = _cachedmethod
cachetools.func = _func
cachetools.keys = _keys
