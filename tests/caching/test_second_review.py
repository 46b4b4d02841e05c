"""Regression tests of the second review of the caching layer: one test per fixed finding."""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from codomyrmex.performance import CacheManager, cached_function
from codomyrmex.performance.caching import SQLiteTier
from codomyrmex.performance.caching._serialize import (
    DecodeError,
    NotSerializable,
    Serializer,
    bound,
)
from codomyrmex.performance.errors import CacheError


class Color(enum.IntEnum):
    RED = 1


class Name(enum.StrEnum):
    A = "a"


def test_an_unhashable_key_and_a_string_spelling_its_encoding_are_two_entries() -> None:
    manager = CacheManager()
    manager.set([1], "list")
    manager.set("([i1;])", "string")  # the canonical encoding of the call with [1]
    assert (manager.get([1]), manager.get("([i1;])"), len(manager._default)) == (
        "list",
        "string",
        2,
    )


def test_a_key_function_returning_strings_does_not_collide_with_unhashable_calls(
    unique_name: str,
) -> None:
    @cached_function(name=unique_name, key=lambda x: x if isinstance(x, str) else [x])
    def f(x: object) -> str:
        return f"value of {x!r}"

    # Issue 9: an unhashable key= result is a TypeError naming key= (it used to be replaced
    # by the encoded argument key, which could collide with a string key like this one).
    with pytest.raises(TypeError, match=r"key= of cached function .*f must return a hashable"):
        f(1)
    assert f("(i1;)") == "value of '(i1;)'"


def test_get_stats_reports_an_unbounded_function_cache_as_max_size_none(unique_name: str) -> None:
    manager = CacheManager()

    @cached_function(name=unique_name, maxsize=None, cache_manager=manager)
    def f(x: int) -> int:
        return x

    f(1)
    assert f.cache_info().maxsize is None  # type: ignore[attr-defined]
    assert manager.cache_stats()["caches"][unique_name]["max_size"] is None


def test_an_int_enum_result_is_not_read_back_from_disk_as_a_plain_int(
    tmp_path: Path, unique_name: str
) -> None:
    def make() -> Any:
        @cached_function(name=unique_name, persist=tmp_path / "c.sqlite3")
        def color(x: int) -> Color:
            return Color.RED

        return color

    first, second = make(), make()  # second: a fresh memory tier over the same file
    assert first(1) is Color.RED
    assert second(1) is Color.RED


@pytest.mark.parametrize(
    "value",
    [Color.RED, [Color.RED], {"k": Color.RED}, {Name.A: 1}, Name.A],
    ids=["int-enum", "in-list", "in-dict", "str-enum-key", "str-enum"],
)
def test_json_refuses_values_that_would_read_back_with_other_types(value: Any) -> None:
    with pytest.raises(NotSerializable):
        Serializer().dumps(value)
    assert Serializer().loads(Serializer().dumps([1, 2.5, True, None, {"a": "b"}])) == [
        1, 2.5, True, None, {"a": "b"},
    ]  # fmt: skip


class _Unpicklable:
    def __reduce__(self) -> Any:
        raise RuntimeError("not picklable")


def test_an_unpicklable_result_with_a_signing_key_is_returned_and_kept_in_memory(
    tmp_path: Path, unique_name: str
) -> None:
    calls = []

    @cached_function(name=unique_name, persist=tmp_path / "c.sqlite3", signing_key=b"k" * 16)
    def f(x: int) -> Any:
        calls.append(x)

        def local() -> int:  # a local function: pickle raises AttributeError
            return x

        return local if x == 1 else _Unpicklable()

    first, other = f(1), f(2)
    assert (first(), type(other)) == (1, _Unpicklable)
    assert (f(1), f(2)) == (first, other) and calls == [1, 2]  # memory hits
    assert f.cache_stats().errors == {"disk/encode": 2}  # type: ignore[attr-defined]


def test_a_row_nested_too_deep_to_parse_is_a_corrupt_row_not_a_crash(
    tmp_path: Path, unique_name: str
) -> None:
    path = tmp_path / "c.sqlite3"
    def ident(x: int) -> int:
        return x

    f = cached_function(name=unique_name, persist=path)(ident)
    assert f(1) == 1
    deep = b"J" + b"[" * 200_000 + b"]" * 200_000
    with closing(sqlite3.connect(path)) as conn, conn:
        (skey,) = conn.execute("SELECT key FROM cache_entries").fetchone()
        sealed = Serializer().seal(deep, skey, None)  # a valid checksum over unparseable JSON
        assert conn.execute("UPDATE cache_entries SET value = ?", (sealed,)).rowcount == 1
    g = cached_function(name=unique_name, persist=path)(ident)  # fresh memory tier
    assert g(1) == 1
    assert g.cache_stats().errors == {"disk/decode": 1}  # type: ignore[attr-defined]
    key = b"k" * 16  # the signed path too: a correctly signed but unparseable payload
    data = b"S" + hmac.new(key, bound("k", None) + deep, hashlib.sha256).digest() + deep
    with pytest.raises(DecodeError, match="corrupt JSON value"):
        Serializer(key).loads(data, "k", None)


def test_a_redis_client_that_decodes_responses_is_refused(redis_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    message = (
        "redis must be a client with decode_responses=False, got a Redis with "
        "decode_responses=True; the cache stores bytes: pass a client made without it, or a "
        "redis:// URL"
    )
    with pytest.raises(CacheError, match=f"^{re.escape(message)}$"):
        cached_function(redis=client)
    with pytest.raises(CacheError, match=f"^{re.escape(message)}$"):
        CacheManager(redis=client)
    client.close()


def test_a_plain_redis_client_is_used_by_another_cache_of_the_same_name(
    redis_url: str, unique_name: str
) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    calls: list[int] = []

    def make() -> Any:
        @cached_function(name=unique_name, redis=client, retry_after=0)
        def f(x: int) -> int:
            calls.append(x)
            return x

        return f

    a, b = make(), make()
    assert (a(1), b(1), calls) == (1, 1, [1])
    assert b.cache_stats().redis_hits == 1  # type: ignore[attr-defined]
    client.close()


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts /proc/self/fd")
def test_a_connection_that_fails_to_set_up_is_closed(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    tier = SQLiteTier(path)
    tier.close()
    for leftover in tmp_path.iterdir():
        leftover.unlink()
    path.write_bytes(b"this is not a database" * 100)  # replaced after the tier was built
    before = len(list(Path("/proc/self/fd").iterdir()))
    for _ in range(20):
        with pytest.raises(sqlite3.DatabaseError, match="file is not a database"):
            tier.get("k")
    assert len(list(Path("/proc/self/fd").iterdir())) == before


def test_invalidate_reaches_redis_while_its_breaker_is_open(
    redis_url: str, unique_name: str
) -> None:
    import redis

    admin = redis.Redis.from_url(redis_url)
    calls: list[int] = []

    def make() -> Any:
        @cached_function(name=unique_name, redis=redis_url, retry_after=3600)
        def f(x: int) -> int:
            calls.append(x)
            return x * 10

        return f

    f = make()
    assert f(1) == 10  # written to Redis
    memory = admin.config_get("maxmemory")["maxmemory"]
    policy = admin.config_get("maxmemory-policy")["maxmemory-policy"]
    admin.config_set("maxmemory-policy", "noeviction")
    admin.config_set("maxmemory", 1)  # writes now fail with OOM: the breaker opens
    try:
        assert f(2) == 20
        # (the lease is the first write: it fails, and the value write is skipped)
        assert f.cache_stats().errors == {"redis/lease": 1}  # type: ignore[attr-defined]
    finally:
        admin.config_set("maxmemory", memory)
        admin.config_set("maxmemory-policy", policy)
    assert f.invalidate(1) is True  # Redis is fine again; the breaker is still open
    assert make()(1) == 10 and calls == [1, 2, 1]  # another cache computes: no stale copy
    admin.close()


def test_clearing_a_cache_leaves_a_cache_named_with_its_name_and_a_colon(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    manager = CacheManager(persist=path)
    manager.get_cache("users").set("k", "old")
    manager.get_cache("users:v2").set("k", "new")
    manager.clear_cache("users")
    fresh = CacheManager(persist=path)  # reads the file: memory of `manager` does not count
    assert (fresh.get_cache("users").get("k"), fresh.get_cache("users:v2").get("k")) == (
        None,
        "new",
    )


def test_a_bound_method_is_cached_like_a_function(unique_name: str) -> None:
    class Svc:
        def __init__(self) -> None:
            self.calls: list[int] = []

        def compute(self, x: int) -> int:
            self.calls.append(x)
            return x * 2

    svc = Svc()
    f = cached_function(name=unique_name)(svc.compute)
    assert (f(5), f(5), f(6)) == (10, 10, 12)
    assert svc.calls == [5, 6]
    assert f.cache_info() == (1, 2, 1024, 2)  # type: ignore[attr-defined]


def test_an_int_too_long_for_decimal_text_still_gets_a_shared_key(
    tmp_path: Path, unique_name: str
) -> None:
    calls: list[int] = []

    def make() -> Any:
        @cached_function(name=unique_name, persist=tmp_path / "c.sqlite3")
        def f(x: Any) -> int:
            n = x[0] if isinstance(x, list) else x
            calls.append(n % 1000)
            return int(n % 7)

        return f

    big = 2**20_000  # ~6000 digits: str(big) raises ValueError (limit 4300 by default)
    a, b = make(), make()
    assert (a(big), a([big]), b(big), b([big])) == (4, 4, 4, 4)  # b: from the disk tier
    assert len(calls) == 2 and b.cache_stats().disk_hits == 2  # type: ignore[attr-defined]


def test_cache_clear_resets_cache_info_like_lru_cache_but_not_the_counters(
    unique_name: str,
) -> None:
    @cached_function(name=unique_name)
    def f(x: int) -> int:
        return x

    f(1), f(1), f(2)
    f.cache_clear()  # type: ignore[attr-defined]
    assert f.cache_info() == (0, 0, 1024, 0)  # type: ignore[attr-defined]
    f(1), f(1)
    assert f.cache_info() == (1, 1, 1024, 1)  # type: ignore[attr-defined]
    stats = f.cache_stats()  # type: ignore[attr-defined]
    assert (stats.hits, stats.misses) == (2, 3)  # monotonic: what the exporters read
