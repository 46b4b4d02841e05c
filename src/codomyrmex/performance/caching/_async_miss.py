"""The miss path of decorated ``async def`` functions: :meth:`TieredCache.acall <._core.TieredCache.acall>`.

A module of its own so that asyncio is imported only by programs that decorate coroutine
functions (it is imported here, at the first async miss, from inside a running event loop).
The same steps as the sync path in :mod:`._core`: look at L1 again under the lock, lead or join
the key's :class:`~._singleflight.AsyncFlight`, ask the shared tiers, take the Redis lease
(sleeping with ``asyncio.sleep``), compute inside a ``cache.load`` span, write through. Every
SQLite and Redis call runs on a small pool of I/O threads (``codomyrmex-cache-io``), never on
the event loop's thread: a slow or hung tier delays the call that needs it, not other tasks.

    >>> import asyncio
    >>> from codomyrmex.performance.caching._core import TieredCache
    >>> core = TieredCache("doc_async_miss")
    >>> async def double(x): return 2 * x
    >>> asyncio.run(core.acall((2,), double, (2,), {}, None))
    4
"""

from __future__ import annotations

import asyncio
import functools
import os
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from ..telemetry import recording
from ._core import Raised, _unwrap
from ._missing import MISSING
from ._singleflight import ACTIVE, AsyncFlight

if TYPE_CHECKING:
    from ._core import TieredCache
    from ._tiering import Steps

__all__ = ["acall"]


async def acall(
    core: TieredCache,
    key: Any,
    fn: Callable[..., Awaitable[Any]],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    keysrc: Callable[[], str] | None,
    cache_exceptions: tuple[type[BaseException], ...] = (),
) -> Any:
    """The miss path of a decorated ``async def`` function (``TieredCache.acall``)."""
    loop = asyncio.get_running_loop()
    marker = (id(core), key)
    with core.lock:
        try:
            value = core.store[key]
        except KeyError:
            pass
        else:
            core.stats.hits += 1
            return _unwrap(value)
        current = core.aflights.get(key)
        flight: AsyncFlight
        if current is None or current.loop is not loop or marker in ACTIVE.get():
            # (a flight of another thread's event loop cannot be awaited here, and a re-entrant
            # call of the key being computed in this context would await itself: compute, as
            # functools.lru_cache does)
            flight, leader = AsyncFlight(loop), True
            if current is None:
                core.aflights[key] = flight
            core.stats.misses += 1
        else:
            flight, leader = current, False
    if not leader:
        try:
            value = await asyncio.shield(flight.future)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if flight.future.cancelled() and not (task and task.cancelling()):
                # The leader was cancelled, not us: try again (maybe lead this time).
                return await acall(core, key, fn, args, kwargs, keysrc, cache_exceptions)
            raise
        with core.lock:
            core.stats.waits += 1  # served by the leader's load (see TieredCache._flight)
        return value
    token_ctx = ACTIVE.set(ACTIVE.get() | {marker})
    skey: str | None = None
    token: str | None = None
    try:
        skey = core.stable(keysrc)
        shared = core.shared
        value, remaining = MISSING, None
        if shared is not None and skey is not None:
            # Every SQLite and Redis call runs on the cache's I/O threads, never on the event
            # loop's: a Redis that accepts but never answers must not stall the other tasks.
            entry = await _io(loop, core._shared_get, skey)
            if entry is not MISSING:
                value, remaining = entry
            if value is MISSING:
                steps = shared.lease(skey)
                while True:
                    done, out = await _lease_step(core, skey, steps)
                    if done:
                        value, token = out
                        break
                    await asyncio.sleep(out)
        if value is MISSING:
            value = await _acompute(core, fn, args, kwargs)
            ttl = core.value_ttl(value)
            if shared is not None and skey is not None:
                await _io(loop, core._after, skey, token, value, ttl)
            token = None
        else:
            ttl = core.value_ttl(value)
            if remaining is not None and (ttl is None or remaining < ttl):
                ttl = core._copy_ttl(remaining)
    except BaseException as exc:
        if token is not None:
            # (not awaited: a cancelled task must not wait; the release runs on an I/O thread)
            loop.run_in_executor(_executor(), core._release, skey, token)
        with core.lock:
            if cache_exceptions and isinstance(exc, cache_exceptions):
                raised = Raised(exc)
                core.put_locked(key, raised, core.value_ttl(raised))
            if core.aflights.get(key) is flight:
                del core.aflights[key]
        # Waiters get the exception only when it is cached; otherwise the next one computes.
        flight.fail(exc, share=bool(cache_exceptions) and isinstance(exc, cache_exceptions))
        raise
    finally:
        ACTIVE.reset(token_ctx)
    with core.lock:
        core.put_locked(key, value, ttl)
        if core.aflights.get(key) is flight:
            del core.aflights[key]
    flight.done(value)
    return value


_EXECUTOR: ThreadPoolExecutor | None = None
_EXECUTOR_LOCK = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    """The cache's I/O threads (a few: the shared tiers have short timeouts, and a call that
    waits for a slow tier occupies one thread, not the event loop)."""
    global _EXECUTOR
    if _EXECUTOR is None:
        with _EXECUTOR_LOCK:
            if _EXECUTOR is None:
                _EXECUTOR = ThreadPoolExecutor(4, thread_name_prefix="codomyrmex-cache-io")
    return _EXECUTOR


def _reset_after_fork() -> None:
    global _EXECUTOR, _EXECUTOR_LOCK
    _EXECUTOR, _EXECUTOR_LOCK = None, threading.Lock()  # the parent's threads do not exist here


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


async def _io(loop: asyncio.AbstractEventLoop, fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` on the cache's I/O threads."""
    return await loop.run_in_executor(_executor(), fn, *args)


async def _lease_step(core: TieredCache, skey: str, steps: Steps) -> tuple[bool, Any]:
    """One lease step on an I/O thread. If this task is cancelled meanwhile and the step took
    the lease, the lease is released there (otherwise nobody would, and its renewal would hold
    the other processes up to ``lease_timeout``)."""
    future = _executor().submit(_step, steps)
    try:
        return await asyncio.wrap_future(future)
    except asyncio.CancelledError:
        future.add_done_callback(functools.partial(_release_taken, core, skey))
        raise


def _release_taken(core: TieredCache, skey: str, future: Future[tuple[bool, Any]]) -> None:
    # (called on the I/O thread that finished the step, or on the loop's if it had finished
    # already: the release itself is always handed to an I/O thread)
    if future.cancelled() or future.exception() is not None:
        return
    done, out = future.result()
    if done and out[1] is not None:
        _executor().submit(core._release, skey, out[1])


def _step(steps: Steps) -> tuple[bool, Any]:
    """One step of a lease generator, as a value (a StopIteration cannot cross a future):
    ``(False, seconds to sleep)`` or ``(True, its result)``."""
    try:
        return False, next(steps)
    except StopIteration as stop:
        return True, stop.value


async def _acompute(
    core: TieredCache,
    fn: Callable[..., Awaitable[Any]],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    load = recording.load_start(core.stats)  # the span, if any, is current in this task only
    try:
        value = await fn(*args, **kwargs)
    except BaseException as exc:
        recording.load_end(core.stats, load, core.lock, exc)
        raise
    recording.load_end(core.stats, load, core.lock)
    return value
