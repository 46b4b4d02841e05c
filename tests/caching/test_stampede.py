"""Single-flight: threads, asyncio tasks and processes sharing Redis run a cold key once."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from codomyrmex.performance import cached_function

ROOT = Path(__file__).resolve().parents[2]


def wait_until(predicate: Any, what: str, timeout: float = 30.0) -> None:
    """Poll ``predicate`` (a readiness wait, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def test_32_threads_on_one_cold_key_run_it_once(unique_name: str) -> None:
    executions: list[int] = []
    arrived: list[int] = []
    lock = threading.Lock()

    @cached_function(name=unique_name)
    def slow(x: int) -> int:
        executions.append(x)
        wait_until(lambda: len(arrived) == 32, "all threads to call")
        time.sleep(0.05)  # let the last arrivals reach the flight's wait (not an assertion)
        return x * 10

    results: list[int] = []

    def worker() -> None:
        with lock:
            arrived.append(1)
        results.append(slow(4))

    threads = [threading.Thread(target=worker) for _ in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert executions == [4]
    assert results == [40] * 32
    info = slow.cache_info()  # type: ignore[attr-defined]
    waited = slow.cache_stats().waited  # type: ignore[attr-defined]
    assert (info.hits + waited, info.misses) == (31, 1)  # waiters are not counted as hits


def test_waiters_for_other_keys_are_not_blocked(unique_name: str) -> None:
    release = threading.Event()

    @cached_function(name=unique_name)
    def f(key: str) -> str:
        if key == "slow":
            release.wait(30)
        return key

    t = threading.Thread(target=f, args=("slow",))
    t.start()
    wait_until(lambda: f.cache_info().misses == 1, "the slow key to start")  # type: ignore[attr-defined]
    assert f("fast") == "fast"  # completes while "slow" is still computing
    assert t.is_alive()
    release.set()
    t.join()


@pytest.mark.parametrize("cached", [False, True], ids=["uncached-error", "cache_exceptions"])
def test_a_failed_load_reaches_waiters_only_when_the_exception_is_cached(
    unique_name: str, cached: bool
) -> None:
    """Issue 9 (cachetools' behaviour): a leader's failure is re-raised to its waiters only
    when ``cache_exceptions`` covers it; otherwise it was the leader's own and the next waiter
    computes (here every one fails in turn, one at a time, never two at once)."""
    arrived: list[int] = []
    executions: list[int] = []
    running = [0]

    @cached_function(name=unique_name, cache_exceptions=(RuntimeError,) if cached else ())
    def boom(x: int) -> int:
        running[0] += 1
        assert running[0] == 1, "two loads of one key at once"
        executions.append(x)
        wait_until(lambda: len(arrived) == 8, "all threads")
        time.sleep(0.05)
        running[0] -= 1
        raise RuntimeError("failed load")

    errors: list[BaseException] = []

    def worker() -> None:
        arrived.append(1)
        try:
            boom(1)
        except RuntimeError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(errors) == 8
    if cached:
        assert executions == [1]  # one load; its exception is shared and cached
        assert boom.cache_info().currsize == 1  # type: ignore[attr-defined]
    else:
        assert executions == [1] * 8  # each waiter computed after the failure before it
        assert boom.cache_info().currsize == 0  # type: ignore[attr-defined]


def test_100_asyncio_tasks_on_one_cold_key_run_it_once(unique_name: str) -> None:
    executions: list[int] = []

    @cached_function(name=unique_name)
    async def fetch(x: int) -> int:
        executions.append(x)
        await asyncio.sleep(0.01)
        return x + 1

    async def run() -> list[int]:
        return await asyncio.gather(*(fetch(1) for _ in range(100)))

    assert asyncio.run(run()) == [2] * 100
    assert executions == [1]
    info, waited = fetch.cache_info(), fetch.cache_stats().waited  # type: ignore[attr-defined]
    assert (info.hits + waited, info.misses) == (99, 1)  # waiters are not counted as hits


def test_a_cancelled_leader_does_not_break_waiters(unique_name: str) -> None:
    executions: list[int] = []

    @cached_function(name=unique_name)
    async def fetch(x: int) -> int:
        executions.append(x)
        await asyncio.sleep(0.05)
        return x

    async def run() -> int:
        leader = asyncio.ensure_future(fetch(3))
        await asyncio.sleep(0)  # the leader starts and registers its flight
        waiter = asyncio.ensure_future(fetch(3))
        await asyncio.sleep(0)
        leader.cancel()
        return await waiter

    assert asyncio.run(run()) == 3
    assert executions == [3, 3]


def test_two_processes_on_shared_redis_run_it_once(redis_url: str, unique_name: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    argv = [sys.executable, "-m", "tests.caching.redis_worker", redis_url, unique_name]
    first = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    second: subprocess.Popen[str] | None = None
    try:
        wait_until(
            lambda: client.get(f"{unique_name}:execs") == b"1", "the first process to compute"
        )
        second = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert second.stdout is not None and second.stdout.readline().strip() == "calling"
        leases = [k for k in client.keys(f"codomyrmex:{unique_name}:*") if k.endswith(b":lease")]
        assert len(leases) == 1 and client.pttl(leases[0]) > 0  # the lease is held, with a PX
        time.sleep(0.3)  # let the second process reach its wait on the lease (not an assertion)
        client.rpush(f"{unique_name}:go", "go", "go")
        out1, _ = first.communicate(timeout=60)
        out2, _ = second.communicate(timeout=60)
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
    r1 = json.loads(out1.strip().splitlines()[-1])
    r2 = json.loads(out2.strip().splitlines()[-1])
    assert r1["value"] == r2["value"] == {"x": 7, "square": 49}
    assert client.get(f"{unique_name}:execs") == b"1"
    assert r2["redis_hits"] == 1
    assert [k for k in client.keys(f"codomyrmex:{unique_name}:*") if k.endswith(b":lease")] == []
    client.close()


@pytest.mark.usefixtures("as_other_processes")
def test_lease_wait_timeout_computes_anyway(redis_url: str, unique_name: str) -> None:
    release = threading.Event()
    executions: list[str] = []

    def make(label: str, wait: float) -> Any:
        @cached_function(name=unique_name, redis=redis_url, lease_wait=wait)
        def f(x: int) -> int:
            executions.append(label)
            if label == "holder":
                release.wait(30)
            return x

        return f

    holder, impatient = make("holder", 30), make("impatient", 0.2)
    t = threading.Thread(target=holder, args=(1,))
    t.start()
    wait_until(lambda: executions == ["holder"], "the holder to compute")
    assert impatient(1) == 1  # the lease is held: waits 0.2 s, then computes itself
    assert executions == ["holder", "impatient"]
    release.set()
    t.join()


def test_a_failing_holder_leaves_no_lease_behind(redis_url: str, unique_name: str) -> None:
    import redis

    @cached_function(name=unique_name, redis=redis_url)
    def f(x: int) -> int:
        raise RuntimeError("holder failed")

    with pytest.raises(RuntimeError):
        f(1)
    client = redis.Redis.from_url(redis_url)
    assert [k for k in client.keys("*") if k.endswith(b":lease")] == []
    client.close()
