"""Single-flight: one computation per key at a time, in threads and in asyncio tasks.

The cache keeps a ``key -> flight`` map under its own lock. The first caller that misses becomes
the leader and computes; later callers for the *same* key wait on that flight only (one
``Event`` / ``Future`` per flight, so waiters for other keys are never woken).

Peer semantics (``functools.lru_cache``, cachetools' ``cached``), which this module follows:

- **Re-entry computes again.** A call of the same key from inside its own computation (recursion
  with the same arguments, an argument's ``__eq__`` calling the function) is not a waiter: it
  computes, as ``lru_cache`` does, instead of waiting for itself forever. Threads are told apart
  by the leader's thread id; asyncio tasks by a context variable holding the keys being computed
  in this context, which child tasks inherit.
- **A leader's failure is shared only when it is cached.** When the leader raises an exception
  that ``cache_exceptions`` covers, its waiters get that exception (it is what a later hit
  would raise too). Any other failure is the leader's alone: the waiters wake up and the next
  one computes (cachetools' behaviour), so one caller's timeout or interrupt is not everyone's.

    >>> f = Flight(owner=1)
    >>> ev = f.waiter_event()
    >>> f.done(42); ev.is_set(), f.result()
    (True, 42)
    >>> g = Flight(owner=1); g.fail(KeyError("x"), share=False); g.result() is RETRY
    True
"""

from __future__ import annotations

import contextvars
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio  # at run time only async flights need it, and their caller has loaded it

__all__ = ["ACTIVE", "RETRY", "AsyncFlight", "Flight"]

#: (id(cache), key) pairs being computed in the current context (asyncio re-entrancy).
ACTIVE: contextvars.ContextVar[frozenset[tuple[int, Any]]] = contextvars.ContextVar(
    "codomyrmex_cache_active", default=frozenset()
)


class _Retry:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<RETRY>"


#: What :meth:`Flight.result` returns when the leader failed with an exception that is not
#: cached: the waiter goes back to the start of the miss path (and may lead this time).
RETRY: Any = _Retry()


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

    def fail(self, error: BaseException, *, share: bool = True) -> None:
        """The leader raised ``error``. ``share``: hand it to the waiters (it is a cached
        exception); otherwise they retry."""
        if share:
            self.error = error
            self.tb = error.__traceback__
        else:
            self.value = RETRY
        if self.event is not None:
            self.event.set()

    def result(self) -> Any:
        """After the event: the leader's value, :data:`RETRY`, or its shared exception."""
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

    def fail(self, error: BaseException, *, share: bool = True) -> None:
        """The leader raised ``error``: waiters get it if ``share`` (a cached exception), else
        they see a cancelled flight and retry (they were not cancelled themselves)."""
        fut = self.future
        if fut.done():
            return
        if share:
            fut.set_exception(error)
            fut.exception()  # mark retrieved: no "exception was never retrieved" without waiters
        else:
            fut.cancel()
