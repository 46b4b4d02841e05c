"""The persistent L2 tier: one SQLite file, shared safely by several processes.

WAL journal (readers never block the writer), a busy timeout (a second process waits for the
lock instead of failing), one connection per thread (``sqlite3`` connections are not shared
across threads). Each row carries its absolute expiry in Unix seconds, because monotonic clocks
mean nothing to another process; expired rows read as misses and are deleted lazily.

Errors are raised to the caller (:class:`~._core.TieredCache`), which counts them, logs once and
falls back to computing: this module never decides policy.

    >>> import tempfile, os
    >>> tier = SQLiteTier(os.path.join(tempfile.mkdtemp(), "c.sqlite3"))
    >>> tier.set("k", b"J1", None)
    >>> tier.get("k")
    b'J1'
    >>> tier.close()
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path

from .._sqlite_wal import switch_to_wal

__all__ = ["SQLiteTier"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cache_entries (
    key        TEXT PRIMARY KEY,
    value      BLOB NOT NULL,
    expires_at REAL
)
"""


# Tag -> stable keys, so that invalidate_tags in one process reaches entries another wrote.
_TAGS_SCHEMA = """
CREATE TABLE IF NOT EXISTS cache_tags (
    tag TEXT NOT NULL,
    key TEXT NOT NULL,
    PRIMARY KEY (tag, key)
) WITHOUT ROWID
"""

#: Every this many writes (per process), delete the expired rows of the whole file.
PURGE_EVERY = 1000
_GET = "SELECT value, expires_at FROM cache_entries WHERE key = ?"


_OPEN: weakref.WeakSet[SQLiteTier] = weakref.WeakSet()


def _forget_connections_after_fork() -> None:
    # A connection must never be used by two processes: a forked child opens its own, and
    # leaves the inherited ones alone (closing one is using it: it may checkpoint the parent's
    # WAL). Order matters: dropping the old thread-locals runs their connections' finalizers
    # now, which must find a fresh lock (the parent's may have been held by another thread at
    # fork time: a deadlock) and a fresh list (so they do not close the parent's connections).
    for tier in list(_OPEN):
        tier._lock = threading.Lock()
        tier._all = []
        tier._local = threading.local()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_connections_after_fork)


def _create_private(path: Path) -> None:
    """Create ``path`` (and missing parent directories) readable by its owner only (0600): a
    cache holds results of the user's computations. SQLite gives the ``-wal`` and ``-shm``
    files it creates the database file's permissions. An existing file is left as it is."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:  # another process created it first
        return
    os.close(fd)


class _ThreadConn:
    """Lives in one thread's locals; when the thread ends it is collected and its finalizer
    closes that thread's connection."""

    __slots__ = ("__weakref__",)


def _close_dead_thread_conn(tier_ref: weakref.ref[SQLiteTier], conn: sqlite3.Connection) -> None:
    tier = tier_ref()
    if tier is not None:
        with tier._lock:
            try:
                tier._all.remove(conn)
            except ValueError:  # already closed by close() (or forgotten after a fork)
                return
    with contextlib.suppress(Exception):  # best effort: the connection is unreachable anyway
        conn.close()


class SQLiteTier:
    """Bytes by stable key in ``path``; ``get`` returns ``None`` for a missing or expired row."""

    name = "disk"

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        busy_timeout: float = 5.0,
        clock: Callable[[], float] = time.time,
        strict: bool = True,
    ) -> None:
        self.path = Path(path).expanduser()
        self.busy_timeout = busy_timeout
        self._local = threading.local()
        self._lock = threading.Lock()
        self._all: list[sqlite3.Connection] = []
        self._writes = 0
        _OPEN.add(self)
        self._now = clock
        #: Why the file could not be opened at construction (``strict=False``); the cache
        #: counts it (``errors{op="open"}``), logs it once, and opens again on a later call.
        self.open_error: Exception | None = None
        try:
            self._conn()  # open now so that a bad path is known at construction
        except Exception as exc:  # a directory, a corrupt or truncated file, a full disk, ...
            if strict:
                raise
            self.open_error = exc

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        _create_private(self.path)
        # isolation_level=None: autocommit; each statement is its own short transaction, so a
        # write lock is never held across a (slow) user computation.
        conn = sqlite3.connect(
            self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False
        )
        try:
            conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout * 1000)}")
            switch_to_wal(conn, timeout=self.busy_timeout)  # many workers may open a new file at once
            conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across app crashes
            conn.execute(_SCHEMA)
            conn.execute(_TAGS_SCHEMA)
        except BaseException:
            # (a locked or corrupt file) Not kept: close it, or every retry of a failing tier
            # would leave one more open connection and file descriptor behind.
            conn.close()
            raise
        # The thread-local slot also holds a sentinel whose finalizer closes the connection
        # when the thread ends (CPython clears a dead thread's locals): 100 short-lived worker
        # threads must not leave 100 open connections and their file descriptors behind.
        holder = _ThreadConn()
        weakref.finalize(holder, _close_dead_thread_conn, weakref.ref(self), conn)
        self._local.holder = holder
        self._local.conn = conn
        with self._lock:
            self._all.append(conn)
        return conn

    def get(self, key: str) -> bytes | None:
        entry = self.get_entry(key)
        return None if entry is None else entry[0]

    def get_entry(self, key: str) -> tuple[bytes, float | None] | None:
        """``(value, seconds left)`` (``None``: no expiry), or ``None`` for a missing or expired
        row. A copy into another tier lives for the seconds left, never longer."""
        try:  # the L2 hit path: one attribute read instead of a method call
            conn: sqlite3.Connection = self._local.conn
        except AttributeError:
            conn = self._conn()
        row = conn.execute(_GET, (key,)).fetchone()
        if row is None:
            return None
        value, expires_at = row
        if type(value) is not bytes:
            raise sqlite3.DatabaseError(f"row {key!r} holds {type(value).__name__}, not bytes")
        if expires_at is None:
            return row  # type: ignore[no-any-return]  # (value, None): the row itself
        now = self._now()
        if expires_at <= now:
            conn.execute("DELETE FROM cache_entries WHERE key = ? AND expires_at <= ?", (key, now))
            return None
        return value, expires_at - now

    def now(self) -> float:
        """This tier's clock (Unix seconds): absolute expiries are computed and checked by it."""
        return self._now()

    def read(self, key: str) -> tuple[bytes, float | None] | None:
        """``(value, expires_at)`` (``None``: no expiry; Unix seconds by :meth:`now`), or
        ``None`` for a missing or expired row. The sealed value covers ``expires_at``: the
        shared tiers verify it against the row's own expiry, so a re-dated row does not
        verify. (The row itself is returned: this is the L2 hit path.)"""
        try:  # the L2 hit path: one attribute read instead of a method call
            conn: sqlite3.Connection = self._local.conn
        except AttributeError:
            conn = self._conn()
        row = conn.execute(_GET, (key,)).fetchone()
        if row is None:
            return None
        value, expires_at = row
        if type(value) is not bytes:
            raise sqlite3.DatabaseError(f"row {key!r} holds {type(value).__name__}, not bytes")
        if expires_at is None:
            return row  # type: ignore[no-any-return]
        if type(expires_at) is not float:
            raise sqlite3.DatabaseError(f"row {key!r} has expiry {expires_at!r}, not a number")
        now = self._now()
        if expires_at <= now:
            conn.execute("DELETE FROM cache_entries WHERE key = ? AND expires_at <= ?", (key, now))
            return None
        return row  # type: ignore[no-any-return]

    def set(self, key: str, value: bytes, ttl: float | None) -> None:
        self.write(key, value, None if ttl is None else self._now() + ttl)

    def write(self, key: str, value: bytes, expires_at: float | None) -> None:
        """Store ``value`` until ``expires_at`` (Unix seconds by :meth:`now`; ``None``: no
        expiry)."""
        now = self._now()
        conn = self._conn()
        conn.execute(
            "INSERT OR REPLACE INTO cache_entries (key, value, expires_at) VALUES (?, ?, ?)",
            (key, value, expires_at),
        )
        self._writes += 1
        if self._writes % PURGE_EVERY == 0:
            # Expired rows are otherwise only removed when read; purge now and then so that a
            # file of short-lived entries does not grow without bound.
            conn.execute("DELETE FROM cache_entries WHERE expires_at <= ?", (now,))
            conn.execute("DELETE FROM cache_tags WHERE key NOT IN (SELECT key FROM cache_entries)")

    def add_tags(self, key: str, tags: list[str], ttl: float | None) -> None:
        """Remember that entry ``key`` carries ``tags`` (full tag keys, namespaced by the
        caller); the rows go when the tag is popped, or with the entry at the next purge."""
        self._conn().executemany(
            "INSERT OR IGNORE INTO cache_tags (tag, key) VALUES (?, ?)", [(t, key) for t in tags]
        )

    def pop_tag(self, tag: str) -> list[str]:
        """The keys tagged ``tag`` (forgetting the tag)."""
        conn = self._conn()
        rows = conn.execute("SELECT key FROM cache_tags WHERE tag = ?", (tag,)).fetchall()
        conn.execute("DELETE FROM cache_tags WHERE tag = ?", (tag,))
        return [key for (key,) in rows]

    def delete(self, key: str) -> bool:
        cur = self._conn().execute("DELETE FROM cache_entries WHERE key = ?", (key,))
        return cur.rowcount > 0

    def clear(self, prefix: str) -> int:
        """Delete every row whose key starts with ``prefix`` (one cache's namespace)."""
        conn = self._conn()
        cur = conn.execute(
            "DELETE FROM cache_entries WHERE substr(key, 1, ?) = ?", (len(prefix), prefix)
        )
        conn.execute("DELETE FROM cache_tags WHERE substr(tag, 1, ?) = ?", (len(prefix), prefix))
        return cur.rowcount

    def close(self) -> None:
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()
        self._local = threading.local()
