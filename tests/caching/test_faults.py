"""Fail-open: a failing, corrupt or tampered tier never breaks the caller; errors are counted."""

from __future__ import annotations

import logging
import pickle
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from codomyrmex.performance import cached_function
from codomyrmex.performance.caching import SQLiteTier

SIGNING_KEY = b"0123456789abcdef-test-key"
UNPICKLED: list[str] = []


def _mark() -> str:
    UNPICKLED.append("unpickled!")
    return "evil"


class Evil:
    def __reduce__(self) -> tuple[Any, tuple[()]]:
        return (_mark, ())


def make(name: str, calls: list[Any], **options: Any) -> Any:
    @cached_function(name=name, retry_after=0, **options)
    def f(x: int) -> dict[str, int]:
        calls.append(x)
        return {"double": 2 * x}

    return f


def redis_keys(url: str, name: str) -> list[bytes]:
    import redis

    client = redis.Redis.from_url(url)
    try:
        return [k for k in client.keys(f"codomyrmex:{name}:*") if not k.endswith(b":lease")]
    finally:
        client.close()


def test_redis_stopped_mid_run_then_restarted(
    redis_server: Any, redis_url: str, unique_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[int] = []
    f = make(unique_name, calls, redis=redis_url)
    assert f(1) == {"double": 2}
    redis_server.stop()
    try:
        with caplog.at_level(logging.WARNING, logger="codomyrmex.performance.caching"):
            for x in range(2, 6):
                assert f(x) == {"double": 2 * x}
        assert f(1) == {"double": 2}  # memory still serves
        errors = f.cache_stats().errors
        assert errors["redis/get"] == 4 and errors["redis/set"] == 4
        warnings = [r for r in caplog.records if "redis tier" in r.getMessage()]
        assert len(warnings) == 1  # logged once per tier and cause
    finally:
        redis_server.start()
    assert f(10) == {"double": 20}
    g = make(unique_name, calls, redis=redis_url)  # a fresh memory tier
    hits_before = g.cache_stats().redis_hits
    assert g(10) == {"double": 20}
    assert g.cache_stats().redis_hits == hits_before + 1  # Redis is used again
    assert calls == [1, 2, 3, 4, 5, 10]


def test_corrupt_sqlite_row_is_a_miss_and_an_error(tmp_path: Path, unique_name: str) -> None:
    path = tmp_path / "c.sqlite3"
    calls: list[int] = []
    make(unique_name, calls, persist=path)(1)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE cache_entries SET value = X'4a7b7b7b00ff'")
    g = make(unique_name, calls, persist=path)
    assert g(1) == {"double": 2}
    assert calls == [1, 1]
    stats = g.cache_stats()
    assert stats.errors == {"disk/verify": 1}  # no checksum: not ours
    assert (stats.disk_hits, stats.disk_misses) == (0, 1)  # g alone (f counts apart)
    h = make(unique_name, calls, persist=path)
    assert h(1) == {"double": 2} and calls == [1, 1]  # the row was rewritten by the recompute


def test_locked_sqlite_is_counted_and_computed(tmp_path: Path, unique_name: str) -> None:
    path = tmp_path / "c.sqlite3"
    calls: list[int] = []
    f = make(unique_name, calls, persist=SQLiteTier(path, busy_timeout=0.05))
    f(1)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        assert f(2) == {"double": 4}
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert f.cache_stats().errors.get("disk/set", 0) == 1
    assert calls == [1, 2]


def test_tampered_redis_value_is_a_miss_and_an_error(redis_url: str, unique_name: str) -> None:
    import redis

    calls: list[int] = []
    make(unique_name, calls, redis=redis_url)(1)
    (key,) = redis_keys(redis_url, unique_name)
    client = redis.Redis.from_url(redis_url)
    client.set(key, b"J{not json")
    g = make(unique_name, calls, redis=redis_url)
    assert g(1) == {"double": 2}
    assert calls == [1, 1]
    assert g.cache_stats().errors == {"redis/verify": 1}
    client.close()


def test_signed_values_reject_a_flipped_byte(redis_url: str, unique_name: str) -> None:
    import redis

    calls: list[int] = []
    make(unique_name, calls, redis=redis_url, signing_key=SIGNING_KEY)(1)
    (key,) = redis_keys(redis_url, unique_name)
    client = redis.Redis.from_url(redis_url)
    data = bytearray(client.get(key))
    assert data[:1] == b"S"
    data[-2] ^= 0x01  # flip one bit of the JSON payload
    client.set(key, bytes(data))
    g = make(unique_name, calls, redis=redis_url, signing_key=SIGNING_KEY)
    assert g(1) == {"double": 2}
    assert calls == [1, 1]
    assert g.cache_stats().errors == {"redis/verify": 1}
    client.close()


@pytest.mark.parametrize("signed", [False, True])
def test_unsigned_pickle_is_never_unpickled(redis_url: str, unique_name: str, signed: bool) -> None:
    import redis

    calls: list[int] = []
    opts: dict[str, Any] = {"redis": redis_url}
    if signed:
        opts["signing_key"] = SIGNING_KEY
    make(unique_name, calls, **opts)(1)
    (key,) = redis_keys(redis_url, unique_name)
    client = redis.Redis.from_url(redis_url)
    client.set(key, b"P" + pickle.dumps(Evil()))
    UNPICKLED.clear()
    g = make(unique_name, calls, **opts)
    assert g(1) == {"double": 2}
    assert UNPICKLED == []
    assert g.cache_stats().errors == {"redis/verify": 1}
    client.close()


def test_values_json_cannot_carry_stay_in_memory_without_a_key(
    tmp_path: Path, unique_name: str
) -> None:
    path = tmp_path / "c.sqlite3"

    @cached_function(name=unique_name, persist=path)
    def pair(x: int) -> tuple[int, int]:
        return (x, x)

    assert pair(1) == pair(1) == (1, 1)
    assert pair.cache_stats().errors == {"disk/encode": 1}  # type: ignore[attr-defined]
    assert sqlite3.connect(path).execute("SELECT COUNT(*) FROM cache_entries").fetchone() == (0,)


def test_signed_pickle_carries_other_values(tmp_path: Path, unique_name: str) -> None:
    path = tmp_path / "c.sqlite3"
    calls: list[int] = []

    def build() -> Any:
        @cached_function(name=unique_name, persist=path, signing_key=SIGNING_KEY)
        def pair(x: int) -> tuple[int, frozenset[int]]:
            calls.append(x)
            return (x, frozenset({x}))

        return pair

    assert build()(2) == (2, frozenset({2}))
    assert build()(2) == (2, frozenset({2}))
    assert calls == [2]
