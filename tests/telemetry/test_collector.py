"""The Prometheus collector and the OTel observable instruments read the same stats."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from codomyrmex.performance import telemetry
from codomyrmex.performance.telemetry import names, recording
from codomyrmex.performance.telemetry.stats import StatsRegistry


def _samples(registry: CollectorRegistry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(generate_latest(registry).decode()):
        for s in family.samples:  # an empty label value is no label (Prometheus semantics)
            out[(s.name, tuple(sorted((k, v) for k, v in s.labels.items() if v)))] = s.value
    return out


def test_cache_series_exist_at_zero_from_creation(clean_stats: StatsRegistry) -> None:
    reg = CollectorRegistry()
    telemetry.register_collector(reg)
    clean_stats.cache("fresh")
    clean_stats.cache("fresh_shared").tiers = frozenset({"redis"})
    samples = _samples(reg)
    gets = {(dict(k[1])["cache"], dict(k[1])["result"], dict(k[1])["tier"]): v
            for k, v in samples.items() if k[0] == "codomyrmex_cache_gets_total"}  # fmt: skip
    # the memory tier always, a shared tier only on a cache that has it: no always-zero series
    assert gets == {("fresh", "hit", "memory"): 0.0, ("fresh", "miss", "memory"): 0.0,
                    ("fresh_shared", "hit", "memory"): 0.0, ("fresh_shared", "miss", "memory"): 0.0,
                    ("fresh_shared", "hit", "redis"): 0.0, ("fresh_shared", "miss", "redis"): 0.0}  # fmt: skip
    assert samples[("codomyrmex_cache_puts_total", (("cache", "fresh"),))] == 0.0
    assert samples[("codomyrmex_cache_evictions_total", (("cache", "fresh"), ("cause", "size")))] == 0.0
    fresh = [k for k in samples if dict(k[1]).get("cache") == "fresh"]
    # outcomes never seen have no series: no failure histogram, no expired/explicit evictions
    assert not [k for k in fresh if dict(k[1]).get("result") == "failure" or dict(k[1]).get("cause") in ("expired", "explicit")]
    assert len(fresh) == 2 + 1 + 1 + 1 + len(names.DURATION_BUCKETS) + 3  # gets, puts, evictions, entries, histogram


def test_prometheus_and_otel_report_identical_counts(clean_stats: StatsRegistry, otel: Any) -> None:
    reg = CollectorRegistry()
    telemetry.register_collector(reg)
    s = clean_stats.cache("agree")
    s.hits += 7
    s.misses += 3
    s.redis_hits += 2
    s.puts += 3
    s.evictions_size += 1
    s.count_error("redis", "get")
    s.entries_fn = lambda: 2
    recording.record_cache_load(s, 0.003, ok=True)
    recording.record_cache_load(s, 0.2, ok=False)

    samples = _samples(reg)

    def prom(name: str, **labels: str) -> float:
        return samples[(name, tuple(sorted(labels.items())))]

    assert prom("codomyrmex_cache_gets_total", cache="agree", result="hit", tier="memory") == 7
    assert prom("codomyrmex_cache_gets_total", cache="agree", result="miss", tier="memory") == 3
    assert prom("codomyrmex_cache_gets_total", cache="agree", result="hit", tier="redis") == 2
    assert prom("codomyrmex_cache_errors_total", cache="agree", tier="redis", op="get") == 1
    assert prom("codomyrmex_cache_entries", cache="agree") == 2
    assert prom("codomyrmex_cache_load_duration_seconds_count", cache="agree", result="success") == 1
    assert prom("codomyrmex_cache_load_duration_seconds_bucket", cache="agree", result="success", le="0.0025") == 0
    assert prom("codomyrmex_cache_load_duration_seconds_bucket", cache="agree", result="success", le="0.005") == 1
    assert prom("codomyrmex_cache_load_duration_seconds_sum", cache="agree", result="failure",
                error_type="_OTHER") == pytest.approx(0.2)  # fmt: skip

    gets = {(a["result"], a["tier"]): p.value for a, p in otel.points("codomyrmex.cache.gets") if a["cache"] == "agree"}
    assert gets == {("hit", "memory"): 7, ("miss", "memory"): 3, ("hit", "redis"): 2, ("miss", "redis"): 0}
    assert otel.value("codomyrmex.cache.errors", cache="agree", tier="redis", op="get") == 1
    assert otel.value("codomyrmex.cache.entries", cache="agree") == 2
    hist = {a["result"]: p for a, p in otel.points("codomyrmex.cache.load_duration") if a["cache"] == "agree"}
    assert hist["success"].count == 1 and hist["failure"].count == 1
    assert tuple(hist["success"].explicit_bounds) == names.DURATION_BUCKETS
    assert sum(hist["success"].bucket_counts[:5]) == 0 and hist["success"].bucket_counts[5] == 1


def test_register_collector_twice_is_a_noop() -> None:
    reg = CollectorRegistry()
    first = telemetry.register_collector(reg)
    assert telemetry.register_collector(reg) is first
    families = [f.name for f in text_string_to_metric_families(generate_latest(reg).decode())]
    assert len(families) == len(set(families))
    telemetry.unregister_collector(reg)
    telemetry.unregister_collector(reg)  # absent: documented no-op
    assert generate_latest(reg) == b""


def test_module_import_gauge_keeps_only_top_k() -> None:
    reg = StatsRegistry(module_top_k=5)
    for i in range(600):
        reg.set_module_import(f"mod{i}", i / 1000)
    assert sorted(reg.module_import_seconds) == [f"mod{i}" for i in range(595, 600)]


def test_benchmark_gauges_reject_unknown_stat() -> None:
    reg = StatsRegistry()
    with pytest.raises(ValueError, match=r"unknown benchmark stat\(s\) \['p42'\]"):
        reg.set_benchmark("s", "b", {"p42": 1.0})


def test_exposition_passes_promtool(clean_stats: StatsRegistry, promtool: str) -> None:
    reg = CollectorRegistry()
    telemetry.register_collector(reg)
    s = clean_stats.cache("lint")
    s.hits += 1
    s.count_error("disk", "set")
    recording.record_cache_load(s, 0.01, ok=True)
    recording.record_import_duration("json", "self", 0.002)
    recording.count_lazy_import("numpy", "loaded")
    clean_stats.set_module_import("json.decoder", 0.001)
    clean_stats.set_benchmark("suite", "bench", {"p50": 0.1, "min": 0.05}, regression=False, change_ratio=1.01)
    clean_stats.set_suite_run("suite", 1_700_000_000.0)
    text = generate_latest(reg)
    proc = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stdout.decode() + proc.stderr.decode()
