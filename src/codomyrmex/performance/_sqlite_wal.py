"""Switching an SQLite file to WAL when other processes may be opening it at the same moment.

Used by the series store and the cache's disk tier, which both open their file in WAL mode
(readers never wait for a writer) from many processes at once: gunicorn workers, CI jobs.

    >>> import sqlite3, tempfile, os
    >>> conn = sqlite3.connect(os.path.join(tempfile.mkdtemp(), "doc.sqlite3"))
    >>> switch_to_wal(conn, timeout=5.0)
    >>> conn.execute("PRAGMA journal_mode").fetchone()
    ('wal',)
"""

from __future__ import annotations

import sqlite3
import time

__all__ = ["switch_to_wal"]


def switch_to_wal(conn: sqlite3.Connection, *, timeout: float) -> None:
    """``PRAGMA journal_mode = WAL``, retried for up to ``timeout`` seconds while another
    connection holds the file.

    Leaving rollback mode needs the database to itself, and SQLite answers "database is
    locked" at once, without calling the busy handler, to a connection that would otherwise
    deadlock with another one switching: so several processes opening a *new* file at the
    same moment failed at random (1 in ~30 with eight). Once one of them has switched, the mode
    is stored in the file and the pragma takes no lock. Any other error is raised at once."""
    deadline = time.monotonic() + timeout
    pause = 0.001
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL").fetchone()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.05)
