"""Contract tests: the same behaviour on every tier (memory, SQLite, Redis)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codomyrmex.performance import CacheManager, cached_function
from codomyrmex.performance.caching import SQLiteTier

from .conftest import Tier

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)  # fmt: skip


def test_a_value_is_computed_once(tier: Tier, unique_name: str) -> None:
    calls: list[int] = []

    @cached_function(name=unique_name, **tier.options())
    def f(x: int) -> dict[str, int]:
        calls.append(x)
        return {"x": x}

    assert f(1) == f(1) == {"x": 1}
    assert calls == [1]


def test_a_second_process_view_reads_the_shared_tier(tier: Tier, unique_name: str) -> None:
    """A second cache with the same name and an empty memory tier: shared tiers serve it."""
    calls: list[str] = []

    def make() -> Any:
        @cached_function(name=unique_name, **tier.options())
        def f(x: int) -> list[int]:
            calls.append("computed")
            return [x, x]

        return f

    first, second = make(), make()
    assert first(3) == [3, 3]
    assert second(3) == [3, 3]
    assert calls == (["computed"] if tier.shared else ["computed", "computed"])


def test_none_is_stored_in_every_tier(tier: Tier, unique_name: str) -> None:
    calls: list[int] = []

    def make() -> Any:
        @cached_function(name=unique_name, **tier.options())
        def f(x: int) -> None:
            calls.append(x)

        return f

    make()(1)
    make()(1)
    assert len(calls) == (1 if tier.shared else 2)


def test_invalidate_removes_the_entry_from_every_tier(tier: Tier, unique_name: str) -> None:
    calls: list[int] = []

    @cached_function(name=unique_name, **tier.options())
    def f(x: int) -> int:
        calls.append(x)
        return x

    f(1)
    f.invalidate(1)  # type: ignore[attr-defined]
    f(1)
    assert calls == [1, 1]


def test_cache_clear_removes_entries_from_every_tier(tier: Tier, unique_name: str) -> None:
    calls: list[int] = []

    @cached_function(name=unique_name, **tier.options())
    def f(x: int) -> int:
        calls.append(x)
        return x

    f(1), f(2)
    f.cache_clear()  # type: ignore[attr-defined]
    f(1), f(2)
    assert calls == [1, 2, 1, 2]


def test_unhashable_and_typed_keys_are_distinct_in_every_tier(tier: Tier, unique_name: str) -> None:
    calls: list[Any] = []

    def make() -> Any:
        @cached_function(name=unique_name, **tier.options())
        def f(*args: Any) -> str:
            calls.append(args)
            return repr(args)

        return f

    f = make()
    for args in [(1,), ("1",), ("a b",), ("a", "b"), ({"k": [1]},), ({"k": ["1"]},)]:
        assert f(*args) == repr(args)
    assert len(calls) == 6
    g = make()  # fresh memory tier
    assert g({"k": [1]}) == repr(({"k": [1]},))
    assert len(calls) == (6 if tier.shared else 7)


@pytest.mark.parametrize("policy", ["lru", "lfu", "fifo", "rr"])
def test_memory_never_exceeds_max_size_and_values_stay_right(
    tier: Tier, unique_name: str, policy: str
) -> None:
    @cached_function(name=unique_name, maxsize=3, policy=policy, **tier.options())
    def square(x: int) -> int:
        return x * x

    for x in [1, 2, 3, 4, 1, 5, 2, 6, 7, 1]:
        assert square(x) == x * x
        assert square.cache_info().currsize <= 3  # type: ignore[attr-defined]
    assert square.cache_stats().evictions["size"] >= 4  # type: ignore[attr-defined]


def test_manager_set_get_delete_over_tiers(tier: Tier, unique_name: str) -> None:
    opts = tier.options()
    one = CacheManager(name=unique_name, **opts)
    one.set("k", {"a": [1, 2.5, None, True]}, ttl=60)
    assert one.get("k") == {"a": [1, 2.5, None, True]}
    two = CacheManager(name=unique_name, **opts)
    assert two.get("k") == ({"a": [1, 2.5, None, True]} if tier.shared else None)
    assert one.delete("k") is True
    assert CacheManager(name=unique_name, **opts).get("k", "gone") == "gone"


def test_manager_tags_invalidate_every_tier(tier: Tier, unique_name: str) -> None:
    opts = tier.options()
    manager = CacheManager(name=unique_name, **opts)
    manager.set("a", 1, tags=["t1"])
    manager.set("b", 2, tags=["t1", "t2"])
    manager.set("c", 3, tags=["t2"])
    assert manager.invalidate_tags("t1") == 2
    fresh = CacheManager(name=unique_name, **opts)
    assert (fresh.get("a"), fresh.get("b"), fresh.get("c")) == (
        None,
        None,
        3 if tier.shared else None,
    )


def test_named_caches_are_separate(tier: Tier, unique_name: str) -> None:
    manager = CacheManager(name=unique_name, **tier.options())
    manager.get_cache("one").set("k", 1)
    manager.get_cache("two").set("k", 2)
    assert (manager.get_cache("one").get("k"), manager.get_cache("two").get("k")) == (1, 2)
    manager.clear_cache("one")
    assert manager.get_cache("one").get("k") is None
    assert manager.get_cache("two").get("k") == 2
    manager.clear_cache()
    assert manager.get_cache("two").get("k") is None


def test_get_or_set_computes_once(tier: Tier, unique_name: str) -> None:
    manager = CacheManager(name=unique_name, **tier.options())
    calls: list[int] = []
    cache = manager.get_cache("g")
    assert cache.get_or_set("k", lambda: calls.append(1) or 42) == 42
    assert cache.get_or_set("k", lambda: calls.append(1) or 42) == 42
    assert calls == [1]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=json_values)
def test_json_safe_values_read_back_equal(tier: Tier, unique_name: str, value: Any) -> None:
    opts = tier.options()
    CacheManager(name=unique_name, **opts).set("v", value)
    reader = CacheManager(name=unique_name, **opts) if tier.shared else None
    got = (reader or CacheManager(name=unique_name, **opts)).get("v", "MISSING")
    if tier.shared:
        assert got == value
    else:
        assert got == "MISSING"  # a fresh manager has a fresh memory tier


def test_sqlite_tier_honours_ttl_with_an_injected_clock(tmp_path: Path) -> None:
    now = [1_000_000.0]
    tier = SQLiteTier(tmp_path / "c.sqlite3", clock=lambda: now[0])
    tier.set("k", b"J1", 10.0)
    tier.set("forever", b"J2", None)
    assert tier.get("k") == b"J1"
    now[0] += 10.5
    assert tier.get("k") is None
    assert tier.get("forever") == b"J2"
    rows = (
        sqlite3.connect(tmp_path / "c.sqlite3").execute("SELECT key FROM cache_entries").fetchall()
    )
    assert rows == [("forever",)]  # the expired row was deleted when read
    tier.close()


def test_sqlite_tier_uses_wal(tmp_path: Path) -> None:
    tier = SQLiteTier(tmp_path / "c.sqlite3")
    mode = sqlite3.connect(tmp_path / "c.sqlite3").execute("PRAGMA journal_mode").fetchone()
    assert mode == ("wal",)
    tier.close()


def test_redis_entries_carry_their_ttl(redis_url: str, unique_name: str) -> None:
    import redis

    @cached_function(name=unique_name, redis=redis_url, ttl=30)
    def f(x: int) -> int:
        return x

    f(1)
    client = redis.Redis.from_url(redis_url)
    keys = [k for k in client.keys(f"codomyrmex:{unique_name}:*") if not k.endswith(b":lease")]
    assert len(keys) == 1
    assert 0 < client.pttl(keys[0]) <= 30_000
    client.close()


def test_a_memory_hit_never_touches_redis(own_redis_url: str, unique_name: str) -> None:
    import redis

    @cached_function(name=unique_name, redis=own_redis_url)
    def f(x: int) -> int:
        return x

    f(1)
    client = redis.Redis.from_url(own_redis_url)
    client.config_resetstat()
    for _ in range(20):
        assert f(1) == 1
    commands = {k: v["calls"] for k, v in client.info("commandstats").items()}
    assert set(commands) <= {"cmdstat_config|resetstat", "cmdstat_info"}
    client.close()


def test_cache_key_prefix_namespaces_the_shared_keys(redis_url: str, unique_name: str) -> None:
    import redis

    @cached_function(name=unique_name, redis=redis_url, key_prefix="app1:")
    def f(x: int) -> int:
        return x

    f(1)
    client = redis.Redis.from_url(redis_url)
    assert [k.split(b":")[:2] for k in client.keys("*")] == [[b"app1", unique_name.encode()]]
    client.close()
