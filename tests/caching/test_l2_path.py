"""The L2 hit path: shared tiers read before any single-flight state, with exact counts.

Its fast paths (one-argument key encoding, the inlined stable key, the direct JSON scan) must
give exactly what the general code gives; the property tests here check that.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import cachetools
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from codomyrmex.performance import cached_function
from codomyrmex.performance.caching._core import TieredCache
from codomyrmex.performance.caching._keys import _text, canonical, stable_key
from codomyrmex.performance.caching._serialize import DecodeError, Serializer
from codomyrmex.performance.caching._sqlite_tier import SQLiteTier


def test_an_l2_hit_counts_one_memory_miss_and_one_disk_hit(
    tmp_path: Path, unique_name: str
) -> None:
    calls: list[int] = []

    @cached_function(name=unique_name, maxsize=1, persist=tmp_path / "c.sqlite3")
    def f(x: int) -> dict[str, int]:
        calls.append(x)
        return {"x": x}

    assert [f(0), f(1), f(0)] == [{"x": 0}, {"x": 1}, {"x": 0}]  # f(1) evicted 0 from memory
    s = f.cache_stats()  # type: ignore[attr-defined]
    assert calls == [0, 1]
    assert (s.hits, s.misses, s.disk_hits, s.disk_misses) == (0, 3, 1, 2)
    assert f.cache_info().currsize == 1  # type: ignore[attr-defined]


def test_a_redis_hit_behind_an_empty_disk_counts_both_and_fills_the_disk(
    tmp_path: Path, redis_url: str, unique_name: str
) -> None:
    calls: list[int] = []

    def build(db: str) -> Any:
        @cached_function(name=unique_name, persist=tmp_path / db, redis=redis_url)
        def f(x: int) -> int:
            calls.append(x)
            return x * 2

        return f

    assert build("first.sqlite3")(3) == 6  # computes; written to its disk file and to Redis
    second = build("second.sqlite3")  # empty memory, empty disk file, the same Redis
    before = second.cache_stats()
    assert second(3) == 6 and calls == [3]
    after = second.cache_stats()
    deltas = [
        getattr(after, f) - getattr(before, f)
        for f in ("misses", "disk_hits", "disk_misses", "redis_hits", "redis_misses")
    ]
    assert deltas == [1, 0, 1, 1, 0]
    with sqlite3.connect(tmp_path / "second.sqlite3") as conn:
        assert conn.execute("SELECT count(*) FROM cache_entries").fetchone() == (1,)


def test_32_threads_on_one_cold_key_with_a_disk_tier_run_it_once(
    tmp_path: Path, unique_name: str
) -> None:
    executions: list[int] = []
    arrived = threading.Barrier(32)

    @cached_function(name=unique_name, persist=tmp_path / "c.sqlite3")
    def slow(x: int) -> int:
        executions.append(x)
        time.sleep(0.05)  # keep the flight open while the others arrive (not an assertion)
        return x * 10

    results: list[int] = []

    def worker() -> None:
        arrived.wait()
        results.append(slow(4))

    threads = [threading.Thread(target=worker) for _ in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert executions == [4]
    assert results == [40] * 32


def _core_with_disk(tmp_path: Path, name: str) -> TieredCache:
    return TieredCache(name, max_size=1, disk=SQLiteTier(tmp_path / "c.sqlite3"))


def test_a_leader_reads_l2_again_when_a_load_finished_after_its_first_read(
    tmp_path: Path, unique_name: str
) -> None:
    """Caller B read L2 and missed; then A's load finished (L2 written) and memory evicted it.
    B, now leading a new flight, must find A's value in L2 instead of computing again."""
    core = _core_with_disk(tmp_path, unique_name)
    calls: list[int] = []

    def load(x: int) -> int:
        calls.append(x)
        return x * 10

    def src(x: int) -> Any:
        return functools.partial(canonical, (x,), {})

    skey = core.stable(src(1))
    seen = core.loads  # B's first read happens here (and misses)
    assert core.call((1,), load, (1,), {}, src(1)) == 10  # A loads and writes through
    assert core.call((2,), load, (2,), {}, src(2)) == 20  # ... and memory evicts key 1
    assert calls == [1, 2]
    value = core._flight((1,), load, (1,), {}, src(1), (), core.loads, skey, seen)
    assert value == 10 and calls == [1, 2]
    core.close()


def test_a_leader_does_not_read_l2_twice_on_a_cold_miss(tmp_path: Path, unique_name: str) -> None:
    core = _core_with_disk(tmp_path, unique_name)
    src = functools.partial(canonical, (7,), {})
    assert core.call((7,), lambda x: x + 1, (7,), {}, src) == 8
    assert (core.stats.disk_hits, core.stats.disk_misses) == (0, 1)
    core.close()


@given(st.integers() | st.text() | st.booleans())
@settings(deadline=None)
def test_the_one_argument_key_fast_path_matches_the_general_encoder(arg: Any) -> None:
    assert canonical((arg,), {}) == _text((arg,))


def test_the_inlined_stable_key_matches_stable_key(tmp_path: Path, unique_name: str) -> None:
    core = _core_with_disk(tmp_path, unique_name)
    assert core.shared is not None
    encoding = canonical(("a b", 1), {"k": [1]})
    expected = stable_key(core.shared.namespace, encoding)
    assert core.stable(lambda: encoding) == expected
    assert core.shared.stable_args(("a b", 1), {"k": [1]}) == expected  # the fast wrapper's
    assert core.shared.stable_args((object(),), {}) is None  # no canonical form: no L2 key
    core.close()


@pytest.mark.parametrize(
    "text",
    [
        '{"a":[1,2.5,null,true]}',
        '"caf\\u00e9 \u00e9"',
        "12",
        ' {"a": 1} ',  # whitespace: not what we write, still read as json.loads reads it
        '{"a":1} x',  # trailing data
        '{"a":1}{"b":2}',
        "{",
        "",
        "nul",
        "-Infinity",
    ],
)
def test_decoding_a_json_value_accepts_and_rejects_exactly_what_json_loads_does(text: str) -> None:
    data = Serializer().seal(b"J" + text.encode("utf-8"), "k", None)
    try:
        expected = json.loads(text)
    except ValueError:
        with pytest.raises(DecodeError, match="corrupt JSON value"):
            Serializer().loads(data, "k", None)
    else:
        assert Serializer().loads(data, "k", None) == expected


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text()
        | st.floats(allow_nan=False, allow_infinity=False),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=12,
    )
)  # fmt: skip
@settings(deadline=None)
def test_a_signed_and_an_unsigned_serializer_read_back_every_json_value(value: Any) -> None:
    for serializer in (Serializer(), Serializer("k" * 16)):
        assert serializer.loads(serializer.dumps(value)) == value


@given(
    st.lists(
        st.tuples(st.sampled_from(["get", "hit", "set", "del", "pop"]), st.integers(0, 4)), max_size=60
    ),
    st.integers(1, 4),
)
@example(ops=[("set", 0), ("set", 1), ("set", 0), ("set", 2)], max_size=2)  # update = recent
@example(ops=[("set", 0), ("set", 1), ("get", 0), ("set", 2)], max_size=2)  # read = recent
@example(ops=[("set", 0), ("set", 1), ("hit", 0), ("set", 2)], max_size=2)  # a hit = recent
@settings(max_examples=300, deadline=None)
def test_the_lru_store_behaves_exactly_like_cachetools_lru(
    ops: list[tuple[str, int]], max_size: int
) -> None:
    """The memory tier's LRU store reads cachetools' internals for speed; same results,
    same evictions, same order as cachetools.LRUCache on any sequence of operations."""
    from codomyrmex.performance.caching._policies import make_store
    from codomyrmex.performance.telemetry.stats import CacheStats

    stats = CacheStats("lru-model")
    ours = make_store("lru", max_size, None, stats)
    ref = _CountingLRU(max_size)
    for op, k in ops:
        assert _apply(ours, op, k) == _apply(ref, "get" if op == "hit" else op, k)
        # Compared without reading through __getitem__ (.items() would touch every entry and
        # reset the recency order of both): the entries, the recency order, the sizes.
        assert ours._Cache__data == ref._Cache__data
        assert list(ours._LRUCache__order) == list(ref._LRUCache__order)
        assert (len(ours), ours.currsize) == (len(ref), ref.currsize)
        assert stats.evictions_size == ref.popped
    # the remaining order of eviction is the same too
    assert [ours.popitem() for _ in range(len(ours))] == [ref.popitem() for _ in range(len(ref))]


_ABSENT = object()


class _CountingLRU(cachetools.LRUCache[int, int]):
    popped = 0

    def popitem(self) -> tuple[int, int]:
        item = super().popitem()
        self.popped += 1
        return item


def _apply(store: Any, op: str, k: int) -> tuple[str, Any]:
    if op == "hit":  # the way the decorator's hit path reads the store (_policies.hit_reader)
        from codomyrmex.performance.caching._policies import hit_reader

        get, touch = hit_reader(store)
        assert touch is not None  # the plain LRU store is read with C calls
        v = get(k, _ABSENT)
        if v is _ABSENT:
            return ("KeyError", None)
        touch(k)
        return ("ok", v)
    try:
        if op == "get":
            return ("ok", store[k])
        if op == "set":
            store[k] = k * 10
            return ("ok", None)
        if op == "del":
            del store[k]
            return ("ok", None)
        return ("ok", store.popitem())
    except KeyError:
        return ("KeyError", None)
