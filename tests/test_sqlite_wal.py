"""Opening SQLite files in WAL mode from many processes at once (the series store and the
cache's disk tier): "database is locked" while another process switches a new file is retried,
within the busy timeout; anything else is an error at once."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest


class _LockedThenFine:
    """A connection whose journal-mode switch finds the database locked ``times`` times."""

    def __init__(self, times: int, message: str = "database is locked") -> None:
        self.left, self.message, self.calls = times, message, 0

    def execute(self, sql: str) -> _LockedThenFine:
        assert sql == "PRAGMA journal_mode = WAL"
        self.calls += 1
        if self.left:
            self.left -= 1
            raise sqlite3.OperationalError(self.message)
        return self

    def fetchone(self) -> tuple[str]:
        return ("wal",)


def test_switching_a_new_store_to_wal_waits_while_another_process_holds_it() -> None:
    """Eight processes opening one new store at once: SQLite answers "database is locked" at
    once (no busy handler) to all but one of those switching it to WAL. Each retries until the
    switch is done, within the busy timeout; any other error is not retried."""
    from codomyrmex.performance._sqlite_wal import switch_to_wal

    conn = _LockedThenFine(3)
    switch_to_wal(conn, timeout=5.0)  # type: ignore[arg-type]
    assert conn.calls == 4
    other = _LockedThenFine(1, "disk I/O error")
    with pytest.raises(sqlite3.OperationalError, match="disk I/O error"):
        switch_to_wal(other, timeout=5.0)  # type: ignore[arg-type]
    assert other.calls == 1


def test_a_store_locked_longer_than_the_busy_timeout_is_an_error() -> None:
    from codomyrmex.performance._sqlite_wal import switch_to_wal

    conn = _LockedThenFine(10**6)
    with pytest.raises(sqlite3.OperationalError, match="database is locked"):
        switch_to_wal(conn, timeout=0.05)  # type: ignore[arg-type]
    assert 3 <= conn.calls < 100


def test_the_cache_disk_tier_switches_to_wal_the_same_way(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache's disk tier is opened by every worker of a server at once, too."""
    from codomyrmex.performance.caching import _sqlite_tier

    seen: list[float] = []
    real = _sqlite_tier.switch_to_wal

    def spy(conn: sqlite3.Connection, *, timeout: float) -> None:
        seen.append(timeout)
        real(conn, timeout=timeout)

    monkeypatch.setattr(_sqlite_tier, "switch_to_wal", spy)
    tier = _sqlite_tier.SQLiteTier(tmp_path / "c.sqlite3", busy_timeout=2.5)
    assert seen == [2.5]
    assert tier._conn().execute("PRAGMA journal_mode").fetchone() == ("wal",)
    tier.close()
