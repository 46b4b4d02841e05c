"""Multi-worker Prometheus with a real gunicorn (2 workers) and PROMETHEUS_MULTIPROC_DIR: the
summed counters equal the calls made and never decrease across scrapes or a worker restart."""

from __future__ import annotations

import concurrent.futures
import itertools
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.procs import free_port

ROOT = Path(__file__).resolve().parents[2]


class Gunicorn:
    def __init__(self, port: int, proc: subprocess.Popen[bytes]) -> None:
        self.port, self.proc = port, proc

    def get(self, path: str) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as r:
            return str(r.read().decode())

    def totals(self) -> dict[tuple[str, str], float]:
        """Summed samples of the test cache: (sample name, result/cause) -> value."""
        out: dict[tuple[str, str], float] = {}
        for fam in text_string_to_metric_families(self.get("/metrics")):
            for s in fam.samples:
                if s.labels.get("cache") != "gunicorn_cache":
                    continue
                if s.name == "codomyrmex_cache_gets_total":
                    out[(s.name, s.labels["result"] + "/" + s.labels["tier"])] = s.value
                elif s.name in ("codomyrmex_cache_puts_total", "codomyrmex_cache_entries"):
                    out[(s.name, "")] = s.value
                elif s.name == "codomyrmex_cache_load_duration_seconds_count":
                    out[(s.name, s.labels["result"])] = s.value
        return out


@pytest.fixture
def gunicorn(tmp_path: Path) -> Iterator[Gunicorn]:
    if shutil.which("gunicorn", path=str(Path(sys.executable).parent)) is None:
        pytest.fail("gunicorn is in the test extra: pip install -e '.[test]'")
    mp_dir = tmp_path / "multiproc"
    mp_dir.mkdir()
    port = free_port()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(mp_dir), "PYTHONPATH": str(ROOT)}
    argv = [str(Path(sys.executable).parent / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}",
            "-c", str(ROOT / "tests/telemetry/gunicorn_conf.py"), "--graceful-timeout", "10",
            "tests.telemetry.gunicorn_app:app"]  # fmt: skip
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    g = Gunicorn(port, proc)
    deadline = time.monotonic() + 60
    while True:
        try:
            g.get("/hit?x=-1")
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise AssertionError(f"gunicorn did not start: {proc.stderr.read().decode() if proc.stderr else ''}") from None
            time.sleep(0.2)
    try:
        yield g
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def gets(t: dict[tuple[str, str], float]) -> float:
    return t.get(("codomyrmex_cache_gets_total", "hit/memory"), 0.0) + t.get(("codomyrmex_cache_gets_total", "miss/memory"), 0.0)


def wait_for_gets(g: Gunicorn, calls: int, seen: list[dict[tuple[str, str], float]]) -> dict[tuple[str, str], float]:
    """Scrape until the summed gets equal ``calls`` (workers flush every second)."""
    deadline = time.monotonic() + 30
    while True:
        seen.append(g.totals())
        if gets(seen[-1]) == calls:
            return seen[-1]
        assert gets(seen[-1]) < calls, f"more gets than calls: {seen[-1]}"
        assert time.monotonic() < deadline, f"totals {seen[-1]} never reached {calls} gets"
        time.sleep(0.25)


def assert_never_decreasing(seen: list[dict[tuple[str, str], float]]) -> None:
    for before, after in itertools.pairwise(seen):
        for key, value in before.items():
            if key[0] != "codomyrmex_cache_entries":  # a gauge
                assert after.get(key, 0.0) >= value, (key, before, after)


def assert_consistent(t: dict[tuple[str, str], float]) -> None:
    misses = t[("codomyrmex_cache_gets_total", "miss/memory")]
    assert t[("codomyrmex_cache_puts_total", "")] == misses  # every miss loaded and stored once
    assert t[("codomyrmex_cache_load_duration_seconds_count", "success")] == misses


@pytest.mark.slow
def test_two_workers_sum_exactly_and_counters_never_go_backwards(gunicorn: Gunicorn) -> None:
    g = gunicorn
    calls = 1  # the start-up probe
    seen: list[dict[tuple[str, str], float]] = []
    pids: set[str] = set()
    for x in range(40):  # 40 distinct arguments: 40 misses whichever worker answers
        pids.add(g.get(f"/hit?x={x}").split()[1])
        calls += 1
        if x % 2 == 0:
            seen.append(g.totals())  # 20 scrapes while the workers are busy
    for _ in range(40):  # one argument: one miss per worker that answers it, then hits
        pids.add(g.get("/hit?x=1000").split()[1])
        calls += 1
    # Sequential requests may all be accepted by one worker (the kernel's accept queue favours
    # the last waiter). Concurrent ones cannot: a sync worker serves one at a time, so the idle
    # worker takes the next. Same argument as above: at most one more miss per worker.
    deadline = time.monotonic() + 30
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        while len(pids) < 2 and time.monotonic() < deadline:
            for answer in pool.map(lambda _: g.get("/hit?x=1000"), range(8)):
                pids.add(answer.split()[1])
                calls += 1
    assert len(pids) == 2, "both workers answered"
    final = wait_for_gets(g, calls, seen)
    assert len(seen) >= 21
    assert 41 + 1 <= final[("codomyrmex_cache_gets_total", "miss/memory")] <= 41 + 2
    assert_consistent(final)
    assert not [k for k in final if k[1].endswith(("/disk", "/redis"))]  # no tier it does not have
    assert_never_decreasing(seen)

    # A worker restart: its counts stay in its file, the new worker writes a new one.
    victim = sorted(pids)[0]
    os.kill(int(victim), signal.SIGTERM)
    deadline = time.monotonic() + 60
    answered: set[str] = set()
    while not (len(answered) == 2 and victim not in answered):
        assert time.monotonic() < deadline, "gunicorn did not replace the worker"
        answered = set()
        for _ in range(6):
            answered.add(g.get("/hit?x=-1").split()[1])
            calls += 1
        seen.append(g.totals())
    for x in range(100, 110):
        g.get(f"/hit?x={x}")
        calls += 1
    last = wait_for_gets(g, calls, seen)  # the dead worker's counts were not lost
    assert_consistent(last)
    assert_never_decreasing(seen)
