"""Issue 9, async without blocking: an ``async def`` cached function never runs SQLite or Redis
I/O on the event loop's thread. A Redis that accepts connections but never answers (a plain
socket server on loopback), or a locked SQLite file, delays only the call that needs it: a
ticker task sharing the loop keeps its period. (Before: the loop stalled ~1 s per call.)
"""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from codomyrmex.performance import cached_function
from codomyrmex.performance.caching import SQLiteTier

PERIOD = 0.01
# Generous for a loaded 2-core machine; the old behaviour stalls the loop >= 1 s per call.
MAX_GAP = 0.25


@pytest.fixture
def silent_redis() -> Iterator[str]:
    """A TCP server that accepts connections, reads what it is sent and never answers."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()
    conns: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conns.append(conn)  # kept open, never written to

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    finally:
        stop.set()
        thread.join(5)
        server.close()
        for conn in conns:
            conn.close()


async def _max_gap_while(work: Any) -> tuple[float, Any]:
    """Run ``work`` while a ticker task sleeps PERIOD in a loop; the largest gap it saw."""
    gaps: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(PERIOD)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    tick = asyncio.create_task(ticker())
    await asyncio.sleep(PERIOD * 3)
    try:
        result = await work
    finally:
        done.set()
        await tick
    return max(gaps), result


def test_a_redis_that_never_answers_does_not_stall_the_loop(
    silent_redis: str, unique_name: str
) -> None:
    calls: list[int] = []

    @cached_function(name=unique_name, redis=silent_redis, retry_after=0)
    async def f(x: int) -> int:
        calls.append(x)
        return x * 2

    async def work() -> list[int]:
        return [await f(1), await f(2), await f(1)]

    start = time.perf_counter()
    gap, result = asyncio.run(_max_gap_while(work()))
    elapsed = time.perf_counter() - start
    assert result == [2, 4, 2] and calls == [1, 2]
    errors = f.cache_stats().errors  # type: ignore[attr-defined]
    assert errors["redis/get"] == 2  # the GETs of the two misses timed out (socket_timeout 1 s)
    assert elapsed > 1.0  # the calls did wait for Redis ...
    assert gap < MAX_GAP, gap  # ... but the ticker never waited for them


def test_a_locked_sqlite_file_does_not_stall_the_loop(tmp_path: Path, unique_name: str) -> None:
    path = tmp_path / "c.sqlite3"
    tier = SQLiteTier(path, busy_timeout=1.0)

    @cached_function(name=unique_name, persist=tier, retry_after=0)
    async def f(x: int) -> int:
        return x * 2

    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")  # readers and writers wait busy_timeout, then fail
    try:
        gap, result = asyncio.run(_max_gap_while(f(1)))
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert result == 2
    errors = f.cache_stats().errors  # type: ignore[attr-defined]
    assert errors.get("disk/get", 0) + errors.get("disk/set", 0) >= 1
    assert gap < MAX_GAP, gap
    tier.close()


def test_an_async_function_still_reads_and_writes_the_shared_tiers(
    redis_url: str, tmp_path: Path, unique_name: str
) -> None:
    calls: list[int] = []

    def view() -> Any:
        @cached_function(name=unique_name, redis=redis_url, persist=tmp_path / "c.sqlite3")
        async def f(x: int) -> dict[str, int]:
            calls.append(x)
            return {"x": x}

        return f

    first = view()
    assert asyncio.run(first(3)) == {"x": 3}
    del first
    import gc

    gc.collect()
    second = view()
    assert asyncio.run(second(3)) == {"x": 3} and calls == [3]
    assert second.cache_stats().disk_hits == 1  # type: ignore[attr-defined]


def test_a_redis_asyncio_client_is_accepted(redis_url: str, unique_name: str) -> None:
    import redis
    import redis.asyncio

    aclient = redis.asyncio.Redis.from_url(redis_url)
    calls: list[int] = []

    @cached_function(name=unique_name, redis=aclient)
    async def f(x: int) -> int:
        calls.append(x)
        return x + 100

    # Two event loops one after the other (an asyncio connection belongs to one loop: the
    # cache talks to the same server with a synchronous twin on its I/O threads).
    assert asyncio.run(f(1)) == 101
    f.cache_clear()  # type: ignore[attr-defined]  # (memory only is not enough: clears Redis)
    assert asyncio.run(f(1)) == 101 and calls == [1, 1]
    assert asyncio.run(f(2)) == 102
    sync = redis.Redis.from_url(redis_url)
    keys = [k for k in sync.keys(f"codomyrmex:{unique_name}:*") if not k.endswith(b":lease")]
    assert len(keys) == 2  # written to the server the asyncio client points at
    sync.close()
    f.cache_close()  # type: ignore[attr-defined]
    asyncio.run(aclient.aclose())


def test_a_redis_asyncio_client_that_decodes_responses_is_refused(redis_url: str) -> None:
    import redis.asyncio

    from codomyrmex.performance.errors import CacheError

    aclient = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)
    with pytest.raises(CacheError, match="decode_responses=False"):
        cached_function(redis=aclient)


def test_a_task_cancelled_while_taking_the_lease_leaves_no_lease(
    redis_url: str, unique_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import redis

    from codomyrmex.performance.caching import _lease
    from codomyrmex.performance.caching._redis_tier import RedisTier

    slow_acquire = RedisTier.acquire
    acquired = threading.Event()

    def acquire(self: Any, *args: Any) -> bool:
        time.sleep(0.5)  # the task is cancelled while this runs on an I/O thread
        try:
            return slow_acquire(self, *args)
        finally:
            acquired.set()

    monkeypatch.setattr(RedisTier, "acquire", acquire)

    @cached_function(name=unique_name, redis=redis_url, lease_timeout=60)
    async def f(x: int) -> int:
        return x

    async def main() -> None:
        task = asyncio.create_task(f(1))
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert acquired.wait(10)  # the step went on after the cancellation, and took the lease
    client = redis.Redis.from_url(redis_url)
    leases = lambda: [k for k in client.keys(f"codomyrmex:{unique_name}:*") if k.endswith(b":lease")]  # noqa: E731
    deadline = time.monotonic() + 10
    while (leases() or _lease.RENEWER.held()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert leases() == [] and _lease.RENEWER.held() == 0  # released, not renewed for 60 s
    client.close()
