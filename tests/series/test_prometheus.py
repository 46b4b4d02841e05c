"""Prometheus as the fleet store: push to a real Pushgateway, read back from a real Prometheus."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from codomyrmex.performance.errors import SeriesStoreError
from codomyrmex.performance.series import (
    BenchmarkRecord,
    PrometheusStore,
    RunRecord,
    SeriesStore,
    run_stats,
)


def _wait_for(check: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    # polling with a deadline: Prometheus scrapes every second; the deadline only bounds a failure
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def _query(prom_url: str, q: str) -> list[dict[str, Any]]:
    url = f"{prom_url}/api/v1/query?{urllib.parse.urlencode({'query': q})}"
    with urllib.request.urlopen(url, timeout=5) as resp:
        result: list[dict[str, Any]] = json.loads(resp.read())["data"]["result"]
        return result


def _run(suite: str, samples: tuple[float, ...], ts: float) -> RunRecord:
    return RunRecord.new(suite, [BenchmarkRecord("tokenize", samples, loops=5)],
                         environment={"hostname": "ci-host"}, timestamp=ts)  # fmt: skip


def test_push_and_read_history_back_through_query_range(
    pushgateway: Any, prometheus_factory: Any, unique_name: str, capsys: Any
) -> None:
    prom = prometheus_factory(targets=[f"127.0.0.1:{pushgateway.port}"], honor_labels=True)
    # a short lookback is read at 1 s resolution
    store = PrometheusStore(pushgateway=pushgateway.url, prometheus=prom.url, lookback=600)
    assert isinstance(store, SeriesStore)
    first = _run(unique_name, (0.010, 0.011, 0.012, 0.013), time.time() - 5)
    second = _run(unique_name, (0.020, 0.021, 0.022, 0.030), time.time())
    last_run = f'codomyrmex_benchmark_last_run_timestamp_seconds{{suite="{unique_name}"}}'

    store.append(first, regressions={"tokenize": False}, change_ratios={"tokenize": 1.0})
    _wait_for(lambda: any(float(r["value"][1]) == first.timestamp for r in _query(prom.url, last_run)),
              "the first run to be scraped")  # fmt: skip
    store.append(second, regressions={"tokenize": True}, change_ratios={"tokenize": 2.0})
    points = _wait_for(lambda: (lambda p: p if len(p) == 2 else None)(store.history(unique_name, "tokenize")),
                       "two runs in the history")  # fmt: skip

    assert [p.timestamp for p in points] == pytest.approx([first.timestamp, second.timestamp])
    assert [p.median for p in points] == pytest.approx([0.0115, 0.0215])
    assert all(p.samples == () for p in points)  # Prometheus keeps statistics, not raw samples
    # only one host's runs when asked (the gate judges a run against its own host's history)
    assert len(store.history(unique_name, "tokenize", host="ci-host")) == 2
    assert store.history(unique_name, "tokenize", host="another-host") == []
    # a range longer than 10,000 steps is read in windows; the same two runs come back
    long_read = store.history(unique_name, "tokenize", start=time.time() - 25_000, step=1.0)
    assert [p.timestamp for p in long_read] == pytest.approx([first.timestamp, second.timestamp])

    # the CLI reads the same history
    from codomyrmex.performance.cli import main

    assert main(["bench", "history", unique_name, "tokenize", "--prometheus", prom.url, "--lookback", "600"]) == 0
    out = capsys.readouterr().out
    assert f"{unique_name}/tokenize: 2 runs" in out
    # not silence, which would read as "nothing was accepted"
    assert out.endswith("accepted changes: not kept in Prometheus (a Pushgateway keeps only the last value)\n")

    # grouped by suite and host, never by run id
    series = _query(prom.url, f'codomyrmex_benchmark_duration_seconds{{suite="{unique_name}"}}')
    assert {r["metric"]["stat"] for r in series} == {"min", "p50", "p90", "p95", "p99", "mean"}
    for r in series:
        assert r["metric"]["host"] == "ci-host"
        assert not any(second.run_id in v or first.run_id in v for v in r["metric"].values())
    p99 = next(r for r in series if r["metric"]["stat"] == "p99")
    assert float(p99["value"][1]) == pytest.approx(run_stats(second.benchmarks[0].samples)["p99"])
    flag = _query(prom.url, f'codomyrmex_benchmark_regression{{suite="{unique_name}"}}')
    assert [float(r["value"][1]) for r in flag] == [1.0]
    ratio = _query(prom.url, f'codomyrmex_benchmark_change_ratio{{suite="{unique_name}"}}')
    assert [float(r["value"][1]) for r in ratio] == [2.0]


def test_unreachable_or_unconfigured_endpoints_are_store_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CODOMYRMEX_PERF_PUSHGATEWAY", raising=False)
    monkeypatch.delenv("CODOMYRMEX_PERF_PROMETHEUS_URL", raising=False)
    run = _run("s", (0.1, 0.2), 1.0)
    with pytest.raises(SeriesStoreError, match="no Pushgateway configured"):
        PrometheusStore().append(run)
    with pytest.raises(SeriesStoreError, match="no Prometheus URL configured"):
        PrometheusStore().history("s", "b")
    with pytest.raises(SeriesStoreError, match="cannot push to http://127.0.0.1:9"):
        PrometheusStore(pushgateway="http://127.0.0.1:9", timeout=2).append(run)
    with pytest.raises(SeriesStoreError, match="pushgateway must be an http"):
        PrometheusStore(pushgateway="ftp://example")


def test_run_stats_match_numpy() -> None:
    import numpy as np

    samples = (0.3, 0.1, 0.2, 0.5, 0.4, 0.9)
    stats = run_stats(samples)
    for stat, q in (("p50", 50), ("p90", 90), ("p95", 95), ("p99", 99)):
        assert stats[stat] == pytest.approx(float(np.percentile(samples, q)))
    assert stats["min"] == 0.1 and stats["mean"] == pytest.approx(np.mean(samples))


def test_bench_run_judges_against_prometheus_history(
    pushgateway: Any, prometheus_factory: Any, unique_name: str, tmp_path: Path, capsys: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    from codomyrmex.performance.benchmarking import MIN_HISTORY_RUNS
    from codomyrmex.performance.cli import main

    prom = prometheus_factory(targets=[f"127.0.0.1:{pushgateway.port}"], honor_labels=True)
    suite = tmp_path / "suite.py"
    suite.write_text("import os\nfrom codomyrmex.performance.benchmarking import BenchmarkSuite\n"
                     f"suite = BenchmarkSuite({unique_name!r})\n"
                     "N = int(os.environ['BENCH_SIZE'])\n"
                     "suite.add('work', lambda: sum(i * i for i in range(N)))\n")  # fmt: skip
    args = ["bench", "run", str(suite), "--prometheus", prom.url, "--pushgateway", pushgateway.url,
            "--lookback", "600", "--rounds", "8", "--min-time", "0.002"]  # fmt: skip
    last_run = f'codomyrmex_benchmark_last_run_timestamp_seconds{{suite="{unique_name}"}}'
    monkeypatch.setenv("BENCH_SIZE", "300")
    for _ in range(2 * MIN_HISTORY_RUNS):
        seen = {float(r["value"][1]) for r in _query(prom.url, last_run)}
        assert main(args) == 0
        # each run is scraped before the next one, so that the history holds every run
        _wait_for(lambda seen=seen: {float(r["value"][1]) for r in _query(prom.url, last_run)} - seen,
                  "the run to be scraped")  # fmt: skip
    capsys.readouterr()
    # a hundred times the work: beyond the 2-3x that busy neighbours move whole runs
    monkeypatch.setenv("BENCH_SIZE", "30000")
    assert main([*args, "--fail-on-regression"]) == 1
    out = capsys.readouterr().out
    assert "regression" in out and f"recorded in {prom.url}" in out
    _wait_for(lambda: [float(r["value"][1]) for r in _query(prom.url, f'codomyrmex_benchmark_regression{{suite="{unique_name}"}}')] == [1.0],
              "the regression flag to be scraped")  # fmt: skip


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"lookback": -60.0}, "lookback must be a positive number of seconds, got -60.0"),
    ({"lookback": float("nan")}, "lookback must be a positive number of seconds, got nan"),
    ({"timeout": 0}, "timeout must be a positive number of seconds, got 0"),
])  # fmt: skip
def test_a_lookback_or_timeout_that_cannot_work_is_rejected(kwargs: dict[str, float], message: str) -> None:
    # a negative or NaN lookback read no history at all: every run stayed "new", silently
    with pytest.raises(SeriesStoreError, match=message):
        PrometheusStore(prometheus="http://127.0.0.1:9", **kwargs)  # type: ignore[arg-type]


def _push_history(store: PrometheusStore, prom_url: str, suite: str, samples: list[tuple[float, ...]]) -> None:
    """Push one run per ``samples`` entry (a second apart, a minute ago) under the store's host
    label ``ci-fleet``, waiting for Prometheus to scrape each before the next replaces it."""
    last_run = f'codomyrmex_benchmark_last_run_timestamp_seconds{{suite="{suite}",host="ci-fleet"}}'
    for i, times in enumerate(samples):
        run = _run(suite, times, time.time() - 60 + i)
        store.append(run)
        _wait_for(lambda ts=run.timestamp: any(float(r["value"][1]) == ts for r in _query(prom_url, last_run)),
                  "the run to be scraped")  # fmt: skip


def test_a_store_with_its_own_host_label_judges_against_the_runs_it_pushed(
    pushgateway: Any, prometheus_factory: Any, unique_name: str
) -> None:
    # PrometheusStore(host=...) pushes under that label (e.g. a stable name for CI containers
    # whose hostnames change); the gate must read the history back under the same label, not
    # under the machine's hostname, or no run ever has a baseline
    from codomyrmex.performance.benchmarking import MIN_HISTORY_RUNS, BenchmarkSuite, run_benchmark

    prom = prometheus_factory(targets=[f"127.0.0.1:{pushgateway.port}"], honor_labels=True)
    store = PrometheusStore(pushgateway=pushgateway.url, prometheus=prom.url, lookback=600, host="ci-fleet")
    _push_history(store, prom.url, unique_name, [(1e-3, 1.1e-3, 1.2e-3)] * MIN_HISTORY_RUNS)
    suite = BenchmarkSuite(unique_name)
    suite.add("tokenize", lambda: sum(range(100)))
    result = run_benchmark(suite, rounds=3, min_time=0.0005, canary=False, store=store)
    c = result["tokenize"].comparison
    assert c is not None and c.verdict_name != "new", c
    assert c.baseline_runs == MIN_HISTORY_RUNS


def test_an_instruction_run_does_not_wipe_the_time_runs_of_its_suite(
    pushgateway: Any, prometheus_factory: Any, unique_name: str
) -> None:
    # A Pushgateway push replaces its whole group: an instruction-mode run pushed into the
    # time-mode group {suite, host} would delete that suite's durations and regression flags.
    prom = prometheus_factory(targets=[f"127.0.0.1:{pushgateway.port}"], honor_labels=True)
    store = PrometheusStore(pushgateway=pushgateway.url, prometheus=prom.url, lookback=600)
    timed = _run(unique_name, (0.010, 0.011, 0.012), time.time() - 5)
    counted = RunRecord.new(unique_name, [BenchmarkRecord("tokenize", (62_454.0,), unit="instructions")],
                            environment={"hostname": "ci-host"}, timestamp=time.time())  # fmt: skip
    store.append(timed, regressions={"tokenize": True}, change_ratios={"tokenize": 1.5})
    store.append(counted, regressions={"tokenize": False}, change_ratios={"tokenize": 1.0})

    flags = _wait_for(lambda: (lambda r: r if len(r) == 2 else None)(
        _query(prom.url, f'codomyrmex_benchmark_regression{{suite="{unique_name}"}}')), "both groups scraped")  # fmt: skip
    assert {r["metric"].get("measure", ""): float(r["value"][1]) for r in flags} == {"": 1.0, "instructions": 0.0}
    p50 = _query(prom.url, f'codomyrmex_benchmark_duration_seconds{{suite="{unique_name}",stat="p50"}}')
    assert [float(r["value"][1]) for r in p50] == [pytest.approx(0.011)]
    count = _query(prom.url, f'codomyrmex_benchmark_instructions{{suite="{unique_name}"}}')
    assert [(r["metric"]["measure"], float(r["value"][1])) for r in count] == [("instructions", 62_454.0)]

    # each measure reads back its own run, with its own timestamp
    seconds = store.history(unique_name, "tokenize")
    instructions = store.history(unique_name, "tokenize", unit="instructions")
    assert [(p.timestamp, p.median) for p in seconds] == [(pytest.approx(timed.timestamp), pytest.approx(0.011))]
    assert [(p.timestamp, p.median, p.unit) for p in instructions] == [
        (pytest.approx(counted.timestamp), 62_454.0, "instructions")]  # fmt: skip


def test_a_regression_judged_against_prometheus_says_acceptances_cannot_be_read_there(
    pushgateway: Any, prometheus_factory: Any, unique_name: str
) -> None:
    # Prometheus keeps no acceptances: a regression judged against its history must say that it
    # cannot have been accepted there, not read as if nobody had accepted it (an acceptance
    # recorded in an SQLite store, as the accept error advised, never reached this gate)
    from codomyrmex.performance.benchmarking import MIN_HISTORY_RUNS, BenchmarkResult, SuiteRun
    from codomyrmex.performance.benchmarking._runner import _compare

    prom = prometheus_factory(targets=[f"127.0.0.1:{pushgateway.port}"], honor_labels=True)
    store = PrometheusStore(pushgateway=pushgateway.url, prometheus=prom.url, lookback=600, host="ci-fleet")
    _push_history(store, prom.url, unique_name, [tuple(1e-3 * (1 + 0.004 * (i % 3) + 0.001 * k) for k in (-1, 0, 1))
                                                 for i in range(MIN_HISTORY_RUNS)])  # fmt: skip
    with pytest.raises(SeriesStoreError, match="a Prometheus store keeps no acceptances"):
        store.acceptances(unique_name)
    doubled = BenchmarkResult("tokenize", [2e-3 * (1 + 0.001 * k) for k in (-1, 0, 1, 0, 2)])
    current = SuiteRun(unique_name, {"tokenize": doubled}, {"hostname": "ci-host"}, timestamp=time.time())
    _compare(current, store, alpha=0.01, min_effect=0.02, normalize=False)
    c = doubled.comparison
    assert c is not None and c.verdict_name == "regression", c
    assert c.baseline_runs == MIN_HISTORY_RUNS
    assert c.note is not None and "acceptances could not be read: a Prometheus store keeps no acceptances" in c.note
