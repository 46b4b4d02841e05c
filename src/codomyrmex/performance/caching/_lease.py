"""Renewing the Redis leases this process holds, so that a dead holder is noticed in seconds.

A lease (``SET <key>:lease <token> NX PX``) lives :data:`LEASE_MS` at a time, not the whole
``lease_timeout``: a holder that dies (killed, crashed host) leaves a lease that is gone within
a few seconds, and the next process waiting for the value computes it. A holder that is alive
keeps its lease: one daemon thread per process extends every lease held here (compare-token
``PEXPIRE``) every third of :data:`LEASE_MS`, until the leader releases it or its
``lease_timeout`` has passed (then the lease simply runs out: a hung leader does not hold
others forever). So long computations stay single-flight across processes.

The thread starts with the first lease held for longer than :data:`LEASE_MS` and sleeps while
no lease is held.

    >>> RENEWER.held()
    0
"""

from __future__ import annotations

import os
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._tiering import SharedTiers

__all__ = ["LEASE_MS", "RENEWER", "Renewer"]

#: Milliseconds a lease lives between renewals: how long a dead holder can hold others up.
LEASE_MS = 3_000


class Renewer:
    """The leases held by this process, renewed by one daemon thread."""

    def __init__(self, lease_ms: int = LEASE_MS) -> None:
        self.lease_ms = lease_ms
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        # token -> (tiers, lease key, monotonic deadline for renewing)
        self._held: dict[str, tuple[SharedTiers, str, float]] = {}
        self._thread: threading.Thread | None = None

    def held(self) -> int:
        with self._lock:
            return len(self._held)

    def hold(self, tiers: SharedTiers, lease_key: str, token: str, until: float) -> None:
        """Renew ``lease_key`` (ours while it holds ``token``) until :meth:`drop` or the
        monotonic time ``until``."""
        with self._lock:
            self._held[token] = (tiers, lease_key, until)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="codomyrmex-cache-lease", daemon=True
                )
                self._thread.start()
            self._wake.notify()

    def drop(self, token: str) -> None:
        with self._lock:
            self._held.pop(token, None)

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._held:
                    self._wake.wait()
                self._wake.wait(self.lease_ms / 3000)  # (woken early by a new hold: harmless)
                held = list(self._held.items())
            now = time.monotonic()
            for token, (tiers, lease_key, until) in held:
                if now >= until:
                    self.drop(token)  # lease_timeout reached: let it run out
                    continue
                ok = tiers.renew(lease_key, token, self.lease_ms)
                if ok is False:
                    self.drop(token)  # no longer ours (expired while Redis was away)

    def _after_fork(self) -> None:
        # The child holds no lease (the parent's are the parent's) and has no renewer thread.
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._held = {}
        self._thread = None


#: The process's renewer.
RENEWER = Renewer()

if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=RENEWER._after_fork)
