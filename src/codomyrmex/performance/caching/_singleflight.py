"""Single-flight: one computation per key at a time, in threads and in asyncio tasks.

The cache keeps a ``key -> flight`` map under its own lock. The first caller that misses becomes
the leader and computes; later callers for the *same* key wait on that flight only (one
``Event`` / ``Future`` per flight, so waiters for other keys are never woken). A re-entrant call of
the same key from inside the computation would wait for itself forever, so it is detected and
rejected with :class:`~codomyrmex.performance.errors.CacheError` instead:

- threads: the flight remembers the leader's thread id;
- asyncio: a context variable holds the keys being computed in this context, which child tasks
  inherit (a task that awaits a child task calling the same key is caught too).

    >>> f = Flight(owner=1)
    >>> ev = f.waiter_event()
    >>> f.done(42); ev.is_set(), f.result()
    (True, 42)
"""

from __future__ import annotations

import contextvars
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio  # at run time only async flights need it, and their caller has loaded it

__all__ = ["ACTIVE", "AsyncFlight", "Flight", "reentrant_error"]

#: (id(cache), key) pairs being computed in the current context (asyncio re-entrancy).
ACTIVE: contextvars.ContextVar[frozenset[tuple[int, Any]]] = contextvars.ContextVar(
    "codomyrmex_cache_active", default=frozenset()
)


def reentrant_error(cache: str) -> Exception:
    from ..errors import CacheError

    return CacheError(
        f"re-entrant call: cache {cache!r} was called with the same key from inside the "
        "computation of that key, which would wait for itself forever; call the undecorated "
        "function (fn.__wrapped__) or use a different key"
    )


class Flight:
    """One in-progress computation for threads.

    Every method is called under the cache's lock. The ``Event`` is made only when a second
    caller arrives: most misses have no waiter, and an ``Event`` costs a ``Condition`` and a lock
    to build and to set. The leader finishes (:meth:`done`/:meth:`fail`) under the same lock, so
    a waiter can never register after the wake-up it needs.
    """

    __slots__ = ("error", "event", "owner", "tb", "value")

    def __init__(self, owner: int) -> None:
        self.owner = owner
        self.event: threading.Event | None = None
        self.value: Any = None
        self.error: BaseException | None = None
        self.tb: Any = None

    def waiter_event(self) -> threading.Event:
        if self.event is None:
            self.event = threading.Event()
        return self.event

    def done(self, value: Any) -> None:
        self.value = value
        if self.event is not None:
            self.event.set()

    def fail(self, error: BaseException) -> None:
        self.error = error
        self.tb = error.__traceback__
        if self.event is not None:
            self.event.set()

    def result(self) -> Any:
        """After the event: the leader's value, or its exception re-raised to this waiter."""
        if self.error is not None:
            # The leader's traceback each time: every waiter raising the same object would
            # otherwise add its frames to one ever-longer traceback.
            raise self.error.with_traceback(self.tb)
        return self.value


class AsyncFlight:
    """One in-progress computation for asyncio tasks, bound to the leader's event loop."""

    __slots__ = ("future", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.future: asyncio.Future[Any] = loop.create_future()

    def done(self, value: Any) -> None:
        if not self.future.done():
            self.future.set_result(value)

    def fail(self, error: BaseException) -> None:
        from asyncio import CancelledError

        fut = self.future
        if fut.done():
            return
        if isinstance(error, CancelledError):
            fut.cancel()  # waiters see a cancelled flight and retry; they were not cancelled
        else:
            fut.set_exception(error)
            fut.exception()  # mark retrieved: no "exception was never retrieved" without waiters
