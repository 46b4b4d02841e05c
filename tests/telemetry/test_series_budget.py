"""Bounded series: each 10,000-item case of issue 10 stays under CODOMYRMEX_PERF_MAX_SERIES per
family, folds into ``other`` with one warning, and the whole scrape stays small."""

from __future__ import annotations

import logging

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from codomyrmex.performance import telemetry
from codomyrmex.performance.errors import ConfigurationError
from codomyrmex.performance.importtime import record_metrics
from codomyrmex.performance.telemetry import recording
from codomyrmex.performance.telemetry.stats import StatsRegistry


def scrape(stats: StatsRegistry) -> tuple[bytes, dict[str, int], dict[str, set[tuple[tuple[str, str], ...]]]]:
    """The exposition, sample lines per family, and label sets per family."""
    reg = CollectorRegistry()
    telemetry.register_collector(reg, stats=stats)
    body = generate_latest(reg)
    lines: dict[str, int] = {}
    label_sets: dict[str, set[tuple[tuple[str, str], ...]]] = {}
    for fam in text_string_to_metric_families(body.decode()):
        lines[fam.name] = len(fam.samples)
        label_sets[fam.name] = {
            tuple(sorted((k, v) for k, v in s.labels.items() if k != "le")) for s in fam.samples
        }
    return body, lines, label_sets


def folded_warnings(caplog: pytest.LogCaptureFixture, family: str) -> int:
    return sum(1 for r in caplog.records if r.getMessage().startswith(f"{family}: more than 1000 label sets"))


def test_ten_thousand_benchmark_params(caplog: pytest.LogCaptureFixture) -> None:
    stats = StatsRegistry()
    for i in range(10_000):
        stats.set_benchmark("agent", f"lookup[n={i}]", dict.fromkeys(("min", "p50", "p90", "p95", "p99", "mean"), 0.001),
                            regression=False, change_ratio=1.0)  # fmt: skip
        stats.set_suite_run("agent", 1_700_000_000.0 + i)
    body, lines, label_sets = scrape(stats)
    assert len(label_sets["codomyrmex_benchmark_duration_seconds"]) == 1000 + 6  # + one 'other' per stat
    assert len(label_sets["codomyrmex_benchmark_regression"]) == 1001
    assert len(label_sets["codomyrmex_benchmark_change_ratio"]) == 1001
    assert (("benchmark", "other"), ("stat", "p50"), ("suite", "agent")) in label_sets["codomyrmex_benchmark_duration_seconds"]
    assert sum(lines.values()) <= 50_000 and len(body) < 5_000_000
    for family in ("codomyrmex_benchmark_duration_seconds", "codomyrmex_benchmark_regression",
                   "codomyrmex_benchmark_change_ratio"):  # fmt: skip
        assert folded_warnings(caplog, family) == 1


def test_ten_thousand_failing_lazy_imports(caplog: pytest.LogCaptureFixture) -> None:
    stats = StatsRegistry()
    for i in range(10_000):
        recording.count_lazy_import(f"missing_pkg_{i}", "failed", registry=stats)
    body, lines, label_sets = scrape(stats)
    assert len(label_sets["codomyrmex_lazy_imports"]) == 1001
    samples = {dict(k)["package"]: v for k, v in stats.lazy_imports.items() for k in [(("package", k[0]),)]}
    assert samples["other"] == 9_000  # every failure still counted
    assert sum(stats.lazy_imports.values()) == 10_000
    assert sum(lines.values()) <= 50_000 and len(body) < 5_000_000
    assert folded_warnings(caplog, "codomyrmex_lazy_imports") == 1


def test_two_thousand_packages_keep_the_top_k_import_histograms() -> None:
    from codomyrmex.performance.importtime import parse_importtime

    stats = StatsRegistry(package_top_k=20)
    text = "import time: self [us] | cumulative | imported package\n" + "".join(
        f"import time: {i + 1:>9} | {i + 1:>10} | pkg{i}\n" for i in range(2_000)
    )
    record_metrics(parse_importtime(text), registry=stats)  # as profile_imports().record_metrics()
    body, lines, label_sets = scrape(stats)
    packages = {dict(k)["package"] for k in label_sets["codomyrmex_import_duration_seconds"]}
    assert packages == {f"pkg{i}" for i in range(1_980, 2_000)} | {"other"}  # the 20 slowest + other
    total = sum(h.count for h in stats.import_durations.values())
    assert total == 4_000  # self and cumulative of every package: none lost in the fold
    assert sum(lines.values()) <= 50_000 and len(body) < 5_000_000


def test_ten_thousand_named_caches_fold_at_export(caplog: pytest.LogCaptureFixture) -> None:
    stats = StatsRegistry()
    for i in range(10_000):
        stats.cache(f"cache_{i}").hits += 1
    body, lines, label_sets = scrape(stats)
    names = {dict(k)["cache"] for k in label_sets["codomyrmex_cache_gets"]}
    assert len(names) == 1001 and "other" in names
    hits = {s.labels["cache"]: s.value for fam in text_string_to_metric_families(body.decode())
            for s in fam.samples if s.name == "codomyrmex_cache_gets_total" and s.labels["result"] == "hit"}  # fmt: skip
    assert hits["other"] == 9_000 and sum(hits.values()) == 10_000
    assert sum(lines.values()) <= 50_000 and len(body) < 5_000_000
    scrape(stats)
    assert folded_warnings(caplog, "codomyrmex_cache_*") == 1  # one warning, not one per scrape


def test_all_four_cases_together_stay_under_fifty_thousand_lines() -> None:
    stats = StatsRegistry()
    for i in range(10_000):
        stats.set_benchmark("agent", f"b{i}", dict.fromkeys(("min", "p50", "p90", "p95", "p99", "mean"), 0.001),
                            regression=False, change_ratio=1.0)  # fmt: skip
        recording.count_lazy_import(f"missing_pkg_{i}", "failed", registry=stats)
        stats.cache(f"cache_{i}").misses += 1
    for i in range(2_000):
        recording.record_import_duration(f"pkg{i}", "self", i / 1e6, registry=stats)
        recording.record_import_duration(f"pkg{i}", "cumulative", i / 1e6, registry=stats)
    body, lines, _ = scrape(stats)
    assert sum(lines.values()) <= 50_000
    assert len(body) < 5_000_000


def test_max_series_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODOMYRMEX_PERF_MAX_SERIES", "3")
    stats = StatsRegistry()
    for i in range(5):
        stats.count_lazy_import(f"p{i}", "failed")
    assert sorted(k[0] for k in stats.lazy_imports) == ["other", "p0", "p1", "p2"]
    monkeypatch.setenv("CODOMYRMEX_PERF_MAX_SERIES", "0")
    with pytest.raises(ConfigurationError, match="CODOMYRMEX_PERF_MAX_SERIES must be an integer >= 1, got '0'"):
        StatsRegistry().count_lazy_import("p", "loaded")


def test_package_top_k_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODOMYRMEX_PERF_IMPORT_TOP_K", "3")
    stats = StatsRegistry()
    for i in range(10):
        stats.observe_import(f"pkg{i}", "self", i / 1000)
    assert sorted({k[0] for k in stats.import_durations}) == ["other", "pkg7", "pkg8", "pkg9"]


@pytest.fixture(autouse=True)
def _capture_warnings(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="codomyrmex.performance.telemetry.stats")
