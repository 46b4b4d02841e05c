"""Regression tests for the review of issue 3 (one test per finding, each failed before its fix)."""

from __future__ import annotations

import asyncio
import sqlite3
import traceback
from contextlib import closing
from pathlib import Path
from typing import Any

from codomyrmex.performance import CacheManager, cached_function

SIGNING_KEY = b"review-signing-key-0123456789"


def _tb_len(exc: BaseException) -> int:
    return len(traceback.extract_tb(exc.__traceback__))


# -- finding 3: a cached exception's traceback must not grow with every raise -------------------
def test_a_cached_exception_keeps_the_same_traceback_length_on_every_hit(unique_name: str) -> None:
    @cached_function(name=unique_name, cache_exceptions=(ValueError,))
    def boom(x: int) -> int:
        raise ValueError(x)

    lengths = []
    for _ in range(50):
        try:
            boom(1)
        except ValueError as exc:
            lengths.append(_tb_len(exc))
    assert lengths[1] == lengths[-1]  # before the fix: +2 frames per cached raise (1 -> 49)


def test_a_cached_exception_of_an_async_function_keeps_its_traceback_length(
    unique_name: str,
) -> None:
    @cached_function(name=unique_name, cache_exceptions=(ValueError,))
    async def boom(x: int) -> int:
        raise ValueError(x)

    async def main() -> list[int]:
        lengths = []
        for _ in range(20):
            try:
                await boom(1)
            except ValueError as exc:
                lengths.append(_tb_len(exc))
        return lengths

    lengths = asyncio.run(main())
    assert lengths[1] == lengths[-1]


def test_waiters_of_a_failed_flight_each_get_the_leaders_traceback() -> None:
    from codomyrmex.performance.caching._singleflight import Flight

    flight = Flight(owner=1)
    try:
        raise ValueError("leader failed")
    except ValueError as exc:
        flight.fail(exc)
    lengths = []
    for _ in range(10):  # ten waiters woken by the one flight
        try:
            flight.result()
        except ValueError as exc:
            lengths.append(_tb_len(exc))
    assert lengths == [lengths[0]] * 10  # before the fix: 2, 3, 4, ... 11


# -- finding 4: typed=True types follow the sorted keyword items --------------------------------
def test_typed_keyword_types_follow_the_keyword_names_not_the_call_order(unique_name: str) -> None:
    calls: list[dict[str, Any]] = []

    @cached_function(name=unique_name, typed=True)
    def f(**kw: Any) -> tuple[str, ...]:
        calls.append(kw)
        return tuple(type(kw[k]).__name__ for k in sorted(kw))

    assert f(a=1, b=1.0) == ("int", "float")
    assert f(b=1, a=1.0) == ("float", "int")  # before the fix: ('int', 'float') from the cache


def test_typed_same_call_with_keywords_in_another_order_is_one_entry(unique_name: str) -> None:
    calls: list[dict[str, Any]] = []

    @cached_function(name=unique_name, typed=True)
    def f(**kw: Any) -> int:
        calls.append(kw)
        return len(calls)

    assert f(a=1, b=1.0) == 1
    assert f(b=1.0, a=1) == 1  # before the fix: a second miss
    assert len(calls) == 1


# -- finding 8: a process without the signing key must not delete its peers' signed rows --------
def _rows(path: Path) -> int:
    with closing(sqlite3.connect(path)) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM cache_entries").fetchone()[0])


def test_a_reader_without_the_key_leaves_signed_rows_alone(tmp_path: Path, unique_name: str) -> None:
    path = tmp_path / "k.sqlite3"
    signer = CacheManager(persist=path, signing_key=SIGNING_KEY, name=unique_name)
    signer.set("k", {"v": 1})
    keyless = CacheManager(persist=path, name=unique_name)
    assert keyless.get("k") is None  # a miss here ...
    assert keyless.get_stats()["caches"][unique_name]["errors"] == {"disk/decode": 1}
    assert _rows(path) == 1  # ... but the row stays (before the fix: deleted, 0 rows)
    peer = CacheManager(persist=path, signing_key=SIGNING_KEY, name=unique_name)
    assert peer.get("k") == {"v": 1}


def test_a_row_signed_with_another_key_is_a_miss_and_is_kept(
    tmp_path: Path, unique_name: str
) -> None:
    path = tmp_path / "k.sqlite3"
    CacheManager(persist=path, signing_key=SIGNING_KEY, name=unique_name).set("k", 1)
    other = CacheManager(persist=path, signing_key=b"another-key-0123456789", name=unique_name)
    assert other.get("k") is None
    assert _rows(path) == 1


def test_a_structurally_corrupt_row_is_still_deleted(tmp_path: Path, unique_name: str) -> None:
    path = tmp_path / "k.sqlite3"
    CacheManager(persist=path, name=unique_name).set("k", 1)
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("UPDATE cache_entries SET value = ?", (b"J{not json",))
        conn.commit()
    assert CacheManager(persist=path, name=unique_name).get("k") is None
    assert _rows(path) == 0
