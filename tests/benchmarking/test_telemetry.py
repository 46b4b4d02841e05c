"""Telemetry of a suite run: spans (OTel in-memory) and gauges (Prometheus collector)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from codomyrmex.performance.benchmarking import MIN_HISTORY_RUNS, BenchmarkSuite
from codomyrmex.performance.benchmarking import run_benchmark as _run_benchmark
from codomyrmex.performance.telemetry import names
from tests.support.metrics import collector_samples

# These tests are about the gate and the runner on real timings. On an oversubscribed machine
# every run would be recorded as noisy and none judged (that behaviour is tested in
# test_noise.py), so here every run is judged: noise=False.
run_benchmark = functools.partial(_run_benchmark, noise=False)


def _suite(name: str) -> BenchmarkSuite:
    suite = BenchmarkSuite(name)
    suite.add("fast", lambda: sum(range(50)))
    suite.add("boom", lambda: 1 / 0)
    return suite


def test_a_span_per_suite_with_a_child_per_benchmark(otel: Any, unique_name: str, tmp_path: Path) -> None:
    store = tmp_path / "s.sqlite3"
    for _ in range(MIN_HISTORY_RUNS + 1):  # the last run is compared with the recorded ones
        run_benchmark(_suite(unique_name), rounds=3, min_time=0.0005, canary=False, store=store)
    spans = otel.spans()
    suite_spans = [s for s in spans if s.name == names.span_benchmark(unique_name)]
    assert len(suite_spans) == MIN_HISTORY_RUNS + 1
    last = suite_spans[-1]
    children = {s.name: s for s in spans if s.parent is not None and s.parent.span_id == last.context.span_id}
    fast = children[names.span_benchmark(unique_name, "fast")]
    assert fast.attributes["n"] == 3
    for key in ("p50", "p90", "p99", "change", "p_value"):
        assert isinstance(fast.attributes[key], float)
    assert fast.attributes["verdict"] in {"unchanged", "inconclusive", "regression", "improvement"}
    boom = children[names.span_benchmark(unique_name, "boom")]
    assert boom.attributes["verdict"] == "failed"
    assert boom.status.status_code.name == "ERROR"
    check = children[names.SPAN_REGRESSION_CHECK]
    assert check.attributes["suite"] == unique_name
    assert fast.start_time < fast.end_time and last.start_time <= fast.start_time


def test_gauges_are_exported_through_the_collector(clean_stats: Any, unique_name: str, tmp_path: Path) -> None:
    store = tmp_path / "s.sqlite3"
    for _ in range(MIN_HISTORY_RUNS):
        run_benchmark(_suite(unique_name), rounds=3, min_time=0.0005, canary=False, store=store)
    run = run_benchmark(_suite(unique_name), rounds=3, min_time=0.0005, canary=False, store=store)
    samples = collector_samples(clean_stats)
    fast = run["fast"]
    for stat in ("min", "p50", "p90", "p95", "p99", "mean"):
        key = ("codomyrmex_benchmark_duration_seconds",
               (("benchmark", "fast"), ("stat", stat), ("suite", unique_name)))  # fmt: skip
        assert samples[key] == pytest.approx(fast.stats()[stat])
    bench_labels = (("benchmark", "fast"), ("suite", unique_name))
    c = fast.comparison
    assert c is not None and c.verdict is not None and c.change is not None
    assert samples[("codomyrmex_benchmark_regression", bench_labels)] == float(c.verdict.is_regression)
    assert samples[("codomyrmex_benchmark_change_ratio", bench_labels)] == pytest.approx(c.change + 1)
    assert samples[("codomyrmex_benchmark_last_run_timestamp_seconds", (("suite", unique_name),))] == run.timestamp
    # a failed benchmark has no duration series rather than a fake one
    assert not any(k[0] == "codomyrmex_benchmark_duration_seconds" and ("benchmark", "boom") in k[1] for k in samples)


def test_run_benchmark_pushes_to_a_pushgateway(pushgateway: Any, unique_name: str, clean_stats: Any) -> None:
    import urllib.request

    run = run_benchmark(_suite(unique_name), rounds=3, min_time=0.0005, canary=False,
                        pushgateway=pushgateway.url)  # fmt: skip
    with urllib.request.urlopen(f"{pushgateway.url}/metrics", timeout=5) as resp:
        body = resp.read().decode()
    families = {f.name: f for f in text_string_to_metric_families(body)}
    p50 = [s for s in families["codomyrmex_benchmark_duration_seconds"].samples
           if s.labels.get("suite") == unique_name and s.labels["stat"] == "p50"]  # fmt: skip
    assert len(p50) == 1 and p50[0].value == pytest.approx(run["fast"].p50)
    assert p50[0].labels["job"] == "codomyrmex_benchmarks" and p50[0].labels["host"]
    assert not [w for w in run.warnings if "push" in w]  # (a busy machine may add its own warning)
