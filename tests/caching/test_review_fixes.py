"""Regression tests for the review of issue 3 (one test per finding, each failed before its fix)."""

from __future__ import annotations

import asyncio
import gc
import sqlite3
import threading
import time
import traceback
import weakref
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from codomyrmex.performance import CacheManager, cached_function
from codomyrmex.performance.caching import SQLiteTier

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


def test_a_reader_without_the_key_leaves_signed_rows_alone(
    tmp_path: Path, unique_name: str
) -> None:
    path = tmp_path / "k.sqlite3"
    signer = CacheManager(persist=path, signing_key=SIGNING_KEY, name=unique_name)
    signer.set("k", {"v": 1})
    keyless = CacheManager(persist=path, name=unique_name)
    assert keyless.get("k") is None  # a miss here ...
    assert keyless.cache_stats()["caches"][unique_name]["errors"] == {"disk/verify": 1}
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


# -- finding 1: a copy from a shared tier lives at most the entry's remaining lifetime ----------
class Clocks:
    """A wall clock for the SQLite rows and a monotonic one for memory, moved together."""

    def __init__(self) -> None:
        self.wall, self.mono = 1_700_000_000.0, 1000.0

    def advance(self, seconds: float) -> None:
        self.wall += seconds
        self.mono += seconds


def _manager_on(path: Path, clocks: Clocks, name: str) -> CacheManager:
    tier = SQLiteTier(path, clock=lambda: clocks.wall)
    return CacheManager(persist=tier, name=name, timer=lambda: clocks.mono)


def test_a_memory_copy_of_a_disk_entry_expires_with_the_entry(
    tmp_path: Path, unique_name: str
) -> None:
    clocks = Clocks()
    writer = _manager_on(tmp_path / "c.sqlite3", clocks, unique_name)
    reader = _manager_on(tmp_path / "c.sqlite3", clocks, unique_name)
    writer.set("k", "v", ttl=10)
    clocks.advance(6)
    assert reader.get("k") == "v"  # copied into the reader's memory with 4 s left
    clocks.advance(5)
    assert writer.get("k") is None
    assert reader.get("k") is None  # before the fix: "v" forever (default_ttl None)


def test_a_decorated_functions_copy_does_not_restart_the_full_ttl(
    tmp_path: Path, unique_name: str
) -> None:
    clocks = Clocks()
    calls: list[int] = []

    def view() -> Any:
        @cached_function(
            name=unique_name, ttl=100, persist=SQLiteTier(tmp_path / "c.sqlite3", clock=lambda: clocks.wall),
            timer=lambda: clocks.mono,
        )  # fmt: skip
        def f(x: int) -> int:
            calls.append(x)
            return x

        return f

    first, second = view(), view()
    assert first(1) == 1
    clocks.advance(60)
    assert second(1) == 1  # from disk, 40 s left
    assert calls == [1]
    clocks.advance(50)
    assert second(1) == 1
    assert calls == [1, 1]  # before the fix: the copy lived 100 s from the copy, no recompute


def _age(redis_url: str, key: str, *, left: float) -> None:
    """Rewrite a Redis entry as if only ``left`` seconds of its life remained."""
    from codomyrmex.performance.caching import RedisTier, Serializer

    # Re-sealed with the new expiry (as a writer with ``left`` seconds would have written it):
    # a re-dated entry that is not re-sealed no longer verifies.
    rtier = RedisTier(redis_url)
    entry = rtier.read(key)
    assert entry is not None
    value = Serializer().loads(entry[0], key, entry[1])
    expires_at = rtier.now() + left
    rtier.write(key, Serializer().dumps(value, key, expires_at), expires_at)
    rtier.close()


def test_a_memory_copy_of_a_redis_entry_expires_with_the_entry(
    redis_url: str, unique_name: str
) -> None:
    import redis

    clocks = Clocks()
    writer = CacheManager(redis=redis_url, name=unique_name)
    reader = CacheManager(redis=redis_url, name=unique_name, timer=lambda: clocks.mono)
    writer.set("k", "v", ttl=100)
    client = redis.Redis.from_url(redis_url)
    try:
        (key,) = [k for k in client.keys(f"codomyrmex:{unique_name}:*")]
        _age(redis_url, key.decode(), left=5.0)  # as if 95 s of its life had passed
        assert reader.get("k") == "v"
        client.delete(key)  # the entry expires in Redis ...
        clocks.advance(6)
        assert reader.get("k") is None  # ... and the memory copy is gone too (before: "v")
    finally:
        client.close()


def test_a_disk_copy_of_a_redis_entry_keeps_the_remaining_lifetime(
    redis_url: str, tmp_path: Path, unique_name: str
) -> None:
    import redis

    path = tmp_path / "c.sqlite3"
    CacheManager(redis=redis_url, name=unique_name).set("k", "v", ttl=100)
    client = redis.Redis.from_url(redis_url)
    try:
        (key,) = [k for k in client.keys(f"codomyrmex:{unique_name}:*")]
        _age(redis_url, key.decode(), left=5.0)
    finally:
        client.close()
    before = time.time()
    assert CacheManager(redis=redis_url, persist=path, name=unique_name).get("k") == "v"
    with closing(sqlite3.connect(path)) as conn:
        (expires_at,) = conn.execute("SELECT expires_at FROM cache_entries").fetchone()
    assert expires_at is not None  # before the fix: None (the reader's default_ttl)
    assert expires_at <= before + 5.5


def test_tiers_report_the_seconds_left(redis_url: str, tmp_path: Path) -> None:
    disk = SQLiteTier(tmp_path / "c.sqlite3", clock=lambda: 100.0)
    disk.set("a", b"J1", 10.0)
    disk.set("b", b"J2", None)
    assert disk.get_entry("a") == (b"J1", 10.0)
    assert disk.get_entry("b") == (b"J2", None)
    assert disk.get_entry("c") is None
    disk.close()
    from codomyrmex.performance.caching import RedisTier

    rtier = RedisTier(redis_url)
    rtier.set("a", b"J1", 10.0)
    rtier.set("b", b"J2", None)
    entry = rtier.get_entry("a")
    assert entry is not None and entry[0] == b"J1" and entry[1] is not None
    assert 0 < entry[1] <= 10.0
    assert rtier.get_entry("b") == (b"J2", None)
    assert rtier.get_entry("c") is None
    assert rtier.get("a") == b"J1"  # the expiry header is the tier's own, never the value's
    rtier.close()


# -- finding 7: the expiry heap stays bounded when one key is rewritten over and over -----------
def test_rewriting_one_key_does_not_grow_the_expiry_heap(unique_name: str) -> None:
    manager = CacheManager(name=unique_name)
    for i in range(5000):
        manager.set("k", i, ttl=3600)
    store = manager.get_cache(unique_name)._core.store
    assert len(store) == 1
    assert len(store.heap) <= 2 * len(store.expires) + 64  # before the fix: 5000 records
    assert manager.get("k") == 4999


def test_expiry_still_follows_the_latest_ttl_after_compaction(unique_name: str) -> None:
    clock = [0.0]
    manager = CacheManager(name=unique_name, timer=lambda: clock[0])
    for i in range(300):
        manager.set(f"short{i % 3}", i, ttl=10)
        manager.set("long", i, ttl=1000)
    clock[0] = 11.0
    assert [manager.get(f"short{i}") for i in range(3)] == [None, None, None]
    assert manager.get("long") == 299


# -- finding 5: SQLite connections of finished threads are closed; cache_close() closes the rest -
def test_connections_of_finished_threads_are_closed(tmp_path: Path, unique_name: str) -> None:
    disk = SQLiteTier(tmp_path / "c.sqlite3")

    @cached_function(name=unique_name, persist=disk)
    def f(x: int) -> int:
        return x

    for i in range(40):  # short-lived workers, one miss each
        worker = threading.Thread(target=f, args=(i,))
        worker.start()
        worker.join()
    gc.collect()
    assert len(disk._all) <= 1  # the constructing thread's; before the fix: 41
    assert f(3) == 3 and f.cache_info().hits == 1  # type: ignore[attr-defined]
    f.cache_close()  # type: ignore[attr-defined]
    assert disk._all == []
    assert f(1000) == 1000  # a later call opens a connection again


def test_cache_close_leaves_a_managers_tiers_open(tmp_path: Path, unique_name: str) -> None:
    manager = CacheManager(persist=tmp_path / "c.sqlite3", name=unique_name)

    @cached_function(name=unique_name + "_f", cache_manager=manager)
    def f(x: int) -> int:
        return x

    f(1)
    f.cache_close()  # type: ignore[attr-defined]
    assert manager._disk is not None and manager._disk._all  # still open for the manager


# -- finding 2: caches that share a name count apart; exporters sum them by name ---------------
def test_a_managers_stats_are_its_own(unique_name: str) -> None:
    x, y = CacheManager(), CacheManager()  # both name their default cache "default"
    x.set("a", 1)
    x.get("a"), x.get("a"), x.get("b")
    assert (x.cache_stats()["hits"], x.cache_stats()["misses"]) == (2, 1)
    assert (y.cache_stats()["hits"], y.cache_stats()["misses"], y.cache_stats()["entries"]) == (0, 0, 0)


def test_closures_with_one_qualname_report_their_own_cache_info() -> None:
    def factory(k: int) -> Any:
        @cached_function
        def inner(x: int) -> int:
            return x * k

        return inner

    a, b = factory(1), factory(2)
    a(1), a(1), a(1), b(1)
    assert a.cache_name == b.cache_name
    assert tuple(a.cache_info()) == (2, 1, 1024, 1)  # before the fix: misses=2 (b's miss too)
    assert tuple(b.cache_info()) == (0, 1, 1024, 1)
    assert b(1) == 2


def _prom(registry: Any, metric: str, **labels: str) -> float:
    from prometheus_client import generate_latest
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(generate_latest(registry).decode()):
        for s in family.samples:
            if s.name == metric and all(s.labels.get(k) == v for k, v in labels.items()):
                return float(s.value)
    raise AssertionError(f"no sample {metric} {labels}")


def test_exporters_sum_caches_of_one_name_and_keep_counts_of_dropped_ones(
    unique_name: str, otel: Any
) -> None:
    from prometheus_client import CollectorRegistry

    from codomyrmex.performance import telemetry

    registry = CollectorRegistry()
    telemetry.register_collector(registry)

    class Box:
        def __init__(self, x: int) -> None:
            self.x = x

    def make() -> Any:
        @cached_function(name=unique_name)
        def f(x: int) -> Box:
            return Box(x)

        return f

    first, second = make(), make()
    gets = "codomyrmex_cache_gets_total"
    assert _prom(registry, gets, cache=unique_name, result="hit", tier="memory") == 0  # from creation
    first(1), first(1), second(1), second(2)
    assert _prom(registry, gets, cache=unique_name, result="hit", tier="memory") == 1
    assert _prom(registry, gets, cache=unique_name, result="miss", tier="memory") == 3
    assert _prom(registry, "codomyrmex_cache_entries", cache=unique_name) == 3
    assert otel.value("codomyrmex.cache.gets", cache=unique_name, result="miss", tier="memory") == 3
    probe = weakref.ref(second(2))
    del first, second
    gc.collect()
    assert probe() is None  # the dropped caches and their values are gone (before: kept) ...
    # ... their counts are not: the counters stay monotonic, the entries gauge drops.
    assert _prom(registry, gets, cache=unique_name, result="hit", tier="memory") == 2
    assert _prom(registry, gets, cache=unique_name, result="miss", tier="memory") == 3
    assert _prom(registry, "codomyrmex_cache_entries", cache=unique_name) == 0
    assert otel.value("codomyrmex.cache.gets", cache=unique_name, result="hit", tier="memory") == 2


# -- finding 6: the tag index stays bounded and invalidation reaches other processes' entries ---
def test_the_tag_index_is_pruned_of_entries_memory_no_longer_holds(unique_name: str) -> None:
    manager = CacheManager(maxsize=10, name=unique_name)
    for i in range(2000):
        manager.set(i, i, tags=["t"])
    index = manager.get_cache(unique_name)._tags
    assert sum(len(keys) for keys in index.values()) <= 2 * 10 + 64  # before the fix: 2000
    assert manager.invalidate_tags("t") == 10
    assert [manager.get(i) for i in range(1990, 2000)] == [None] * 10


@pytest.mark.parametrize("shared", ["sqlite", "redis"])
def test_invalidate_tags_reaches_entries_another_process_set(
    shared: str, tmp_path: Path, unique_name: str, request: pytest.FixtureRequest
) -> None:
    if shared == "sqlite":
        options: dict[str, Any] = {"persist": tmp_path / "c.sqlite3"}
    else:
        options = {"redis": request.getfixturevalue("redis_url")}
    writer = CacheManager(name=unique_name, **options)
    writer.set("a", 1, tags=["group"])
    writer.set("b", 2, tags=["other"])
    invalidator = CacheManager(name=unique_name, **options)  # another process: empty memory
    invalidator.invalidate_tags("group")
    fresh = CacheManager(name=unique_name, **options)
    assert fresh.get("a") is None  # before the fix: 1 (the tag was only known to the writer)
    assert fresh.get("b") == 2


# -- finding 15: a locked SQLite file opens the circuit breaker like a down Redis ---------------
def test_a_locked_sqlite_file_is_not_asked_again_before_retry_after(
    tmp_path: Path, unique_name: str
) -> None:
    path = tmp_path / "c.sqlite3"
    calls: list[int] = []

    @cached_function(name=unique_name, persist=SQLiteTier(path, busy_timeout=0.05), retry_after=60)
    def f(x: int) -> int:
        calls.append(x)
        return x

    f(1)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        assert [f(2), f(3), f(4)] == [2, 3, 4]
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert calls == [1, 2, 3, 4]
    # One busy timeout, then the tier is skipped (before the fix: one error per write).
    assert f.cache_stats().errors == {"disk/set": 1}  # type: ignore[attr-defined]


# -- finding 16: the lease holder's value is read right after taking the lease ------------------
@pytest.mark.usefixtures("as_other_processes")
def test_a_value_written_between_our_miss_and_our_lease_is_not_computed_again(
    redis_url: str, unique_name: str
) -> None:
    import redis

    calls: list[str] = []

    def peer_view(who: str, target: Any) -> Any:
        @cached_function(name=unique_name, redis=target, retry_after=0)
        def f(x: int) -> int:
            calls.append(who)
            return x * 10

        return f

    peer = peer_view("peer", redis_url)

    class RacingClient(redis.Redis):  # a real client; the peer runs just before our acquire
        pending: Any = None

        def set(self, name: Any, value: Any, *args: Any, **kwargs: Any) -> Any:
            if kwargs.get("nx") and self.pending is not None:
                run, self.pending = self.pending, None
                run()  # the peer computes, writes the value and releases its lease
            return super().set(name, value, *args, **kwargs)

    client = RacingClient.from_url(redis_url)
    client.pending = lambda: peer(1)
    ours = peer_view("ours", client)
    try:
        assert ours(1) == 10
        assert calls == ["peer"]  # before the fix: ["peer", "ours"]
    finally:
        client.close()


# -- finding 20: max_size=None, generators refused, single-flight waiters reported apart --------
def test_max_size_none_is_unbounded_like_lru_cache(unique_name: str) -> None:
    @cached_function(name=unique_name, maxsize=None)
    def f(x: int) -> int:
        return x

    for i in range(3000):
        f(i)
    info = f.cache_info()
    assert (info.maxsize, info.currsize) == (None, 3000)  # before the fix: TypeError
    assert f.cache_stats().max_size is None


def test_generator_functions_are_refused() -> None:
    def gen(n: int) -> Any:
        yield from range(n)

    async def agen(n: int) -> Any:
        yield n

    with pytest.raises(TypeError, match="gen.*is a generator function"):
        cached_function(gen)
    with pytest.raises(TypeError, match="agen.*is an async generator function"):
        cached_function(agen)


def test_single_flight_waiters_are_neither_hits_nor_misses(unique_name: str) -> None:
    started, release = threading.Event(), threading.Event()
    results: list[int] = []

    @cached_function(name=unique_name)
    def slow(x: int) -> int:
        started.set()
        release.wait()
        return x

    leader = threading.Thread(target=lambda: results.append(slow(1)))
    leader.start()
    started.wait()
    waiters = [threading.Thread(target=lambda: results.append(slow(1))) for _ in range(4)]
    for t in waiters:
        t.start()
    release.set()
    for t in [leader, *waiters]:
        t.join()
    assert results == [1] * 5
    stats = slow.cache_stats()
    # Each of the 4 either joined the flight (waited) or came after it finished (a hit).
    assert (stats.misses, stats.hits + stats.waited) == (1, 4)
    assert slow.cache_info().hits == stats.hits  # before the fix waiters were counted as hits
