"""Policy semantics of the memory tier (exactly cachetools'), invariants, multi-process SQLite."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codomyrmex.performance import CacheManager, cached_function

ROOT = Path(__file__).resolve().parents[2]


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def build(name: str, policy: str, calls: list[int], **kw: Any) -> Any:
    @cached_function(name=name, maxsize=2, policy=policy, **kw)
    def f(x: int) -> int:
        calls.append(x)
        return x

    return f


def test_lru_evicts_the_least_recently_used(unique_name: str) -> None:
    calls: list[int] = []
    f = build(unique_name, "lru", calls)
    f(1), f(2), f(1), f(3)  # 2 is least recently used
    f(1)
    f(2)
    assert calls == [1, 2, 3, 2]


def test_lfu_evicts_the_least_frequently_used(unique_name: str) -> None:
    calls: list[int] = []
    f = build(unique_name, "lfu", calls)
    f(1), f(1), f(1), f(2), f(3)  # 2 was used once, 1 three times
    f(1)
    f(2)
    assert calls == [1, 2, 3, 2]


def test_fifo_evicts_the_first_inserted(unique_name: str) -> None:
    calls: list[int] = []
    f = build(unique_name, "fifo", calls)
    f(1), f(2), f(1), f(3)  # 1 goes although it was just used
    f(2)
    f(1)
    assert calls == [1, 2, 3, 1]


def test_size_evictions_are_counted(unique_name: str) -> None:
    calls: list[int] = []
    f = build(unique_name, "lru", calls)
    for x in range(5):
        f(x)
    assert f.cache_stats().evictions == {"size": 3, "expired": 0, "explicit": 0}


def test_callable_ttl_of_zero_or_less_does_not_cache(unique_name: str) -> None:
    calls: list[int] = []

    @cached_function(name=unique_name, ttl=lambda v: 0 if v < 0 else None)
    def f(x: int) -> int:
        calls.append(x)
        return x

    f(-1), f(-1), f(1), f(1)
    assert calls == [-1, -1, 1]


@settings(max_examples=60, deadline=None)
@given(
    policy=st.sampled_from(["lru", "lfu", "fifo", "rr"]),
    max_size=st.integers(1, 5),
    ttl=st.sampled_from([None, 3.0, lambda v: float(v % 4) or None]),
    ops=st.lists(st.tuples(st.integers(0, 9), st.floats(0, 2)), max_size=60),
)
def test_size_never_exceeds_max_size_and_values_are_right(
    policy: str, max_size: int, ttl: Any, ops: list[tuple[int, float]]
) -> None:
    clock = FakeClock()

    @cached_function(name="hypothesis_size", maxsize=max_size, policy=policy, ttl=ttl, timer=clock)
    def f(x: int) -> int:
        return x * 7

    for x, advance in ops:
        clock.now += advance
        assert f(x) == x * 7
        assert f.cache_info().currsize <= max_size  # type: ignore[attr-defined]


@settings(max_examples=40, deadline=None)
@given(ops=st.lists(st.tuples(st.integers(0, 6), st.integers(0, 100)), max_size=40))
def test_manager_size_never_exceeds_max_memory_items(ops: list[tuple[int, int]]) -> None:
    manager = CacheManager(name="hypothesis_manager", maxsize=3)
    for key, value in ops:
        manager.set(key, value, ttl=50)
        assert manager.get(key) == value
        assert len(manager.get_cache("hypothesis_manager")) <= 3


WRITER = textwrap.dedent(
    """
    import sys
    from codomyrmex.performance import CacheManager
    path, worker = sys.argv[1], int(sys.argv[2])
    m = CacheManager(name="mp", persist=path)
    for i in range(60):
        m.set(f"w{worker}-{i}", {"worker": worker, "i": i})
        assert m.get(f"w{worker}-{i}") == {"worker": worker, "i": i}
    print(sum(m.cache_stats()["caches"]["mp"]["errors"].values()))
    """
)


@pytest.mark.slow
def test_several_processes_share_one_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite3"
    CacheManager(name="mp", persist=path).close()  # create the file and its WAL first
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), str(w)], cwd=ROOT, stdout=subprocess.PIPE,
            text=True,
        )
        for w in range(3)
    ]  # fmt: skip
    outputs = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0]
    assert outputs == ["0", "0", "0"]  # no tier error in any writer
    reader = CacheManager(name="mp", persist=path)
    for w in range(3):
        for i in range(60):
            assert reader.get(f"w{w}-{i}") == {"worker": w, "i": i}
    reader.close()


def test_env_vars_configure_redis_and_signing(
    monkeypatch: pytest.MonkeyPatch, redis_url: str, unique_name: str
) -> None:
    import redis

    monkeypatch.setenv("CODOMYRMEX_PERF_CACHE_REDIS_URL", redis_url)
    monkeypatch.setenv("CODOMYRMEX_PERF_CACHE_SIGNING_KEY", "an-env-signing-key-of-some-length")

    @cached_function(name=unique_name, redis=True)
    def f(x: int) -> int:
        return x

    f(1)
    client = redis.Redis.from_url(redis_url)
    (key,) = [k for k in client.keys(f"codomyrmex:{unique_name}:*") if not k.endswith(b":lease")]
    assert client.get(key)[:1] == b"S"  # signed with the key from the environment
    client.close()


def test_importing_caching_stays_cheap() -> None:
    code = (
        "import sys, codomyrmex.performance.caching; "
        "print(sorted(m for m in ('redis', 'prometheus_client', 'opentelemetry.sdk', 'numpy') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_a_forked_child_writes_through_the_inherited_manager(tmp_path: Path) -> None:
    import os

    manager = CacheManager(name="fork", persist=tmp_path / "c.sqlite3")
    manager.set("parent", 1)
    pid = os.fork()
    if pid == 0:  # the child reuses the manager; its SQLite tier reconnects after the fork
        code = 1
        try:
            manager.set("child", 2)
            code = 0 if manager.cache_stats()["caches"]["fork"]["errors"] == {} else 3
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    manager.set("parent-after", 3)  # the parent's own connection still works
    fresh = CacheManager(name="fork", persist=tmp_path / "c.sqlite3")
    assert (fresh.get("parent"), fresh.get("child"), fresh.get("parent-after")) == (1, 2, 3)


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_a_forked_child_leaves_the_parents_sqlite_connection_open(tmp_path: Path) -> None:
    import os
    import sqlite3

    from codomyrmex.performance.caching._sqlite_tier import SQLiteTier

    tier = SQLiteTier(tmp_path / "c.sqlite3")
    tier.set("k", b"J1", None)
    inherited = tier._local.conn
    pid = os.fork()
    if pid == 0:  # exit 0: the inherited connection was not closed, and the tier still works
        code = 1
        try:
            inherited.total_changes  # noqa: B018  (raises ProgrammingError once closed)
            tier.set("child", b"J2", None)
            code = 0 if tier.get("k") == b"J1" else 3
        except sqlite3.ProgrammingError:
            code = 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert tier.get("child") == b"J2"
    tier.close()
