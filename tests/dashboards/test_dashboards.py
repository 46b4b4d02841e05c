"""The Grafana dashboards: generated from code, committed identically, valid, and every query
parses on a real Prometheus."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from codomyrmex.performance.telemetry import names
from dashboards import generate, queries

ROOT = Path(__file__).resolve().parents[2]

#: Every series name a query may use: counters' _total, gauges, and histogram parts.
KNOWN_SERIES = {m.sample_name for m in names.ALL_METRICS} | {
    f"{m.prometheus_name}_{part}"
    for m in names.ALL_METRICS
    if m.kind == "histogram"
    for part in ("bucket", "sum", "count")
}


def _panels(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [q for p in data["panels"] for q in (p, *p.get("panels", []))]


def _variables(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {v["name"]: v for v in data["templating"]["list"]}


@pytest.mark.parametrize("name", sorted(generate.DASHBOARDS))
def test_committed_json_equals_what_the_code_generates(name: str) -> None:
    assert generate.path_of(name).read_text(encoding="utf-8") == generate.render(name)


def test_check_script_exits_zero_when_up_to_date_and_one_when_a_file_differs(
    tmp_path: Path,
) -> None:
    script = ROOT / "dashboards" / "generate.py"
    ok = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    for name in generate.DASHBOARDS:
        shutil.copy(generate.path_of(name), tmp_path)
    stale = tmp_path / "codomyrmex-learn.json"
    stale.write_text(stale.read_text().replace('"title": "Regression flags"', '"title": "x"'))
    bad = subprocess.run(
        [sys.executable, str(script), "--check", "--dir", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 1
    assert "codomyrmex-learn.json is out of date" in bad.stderr
    assert "codomyrmex-observe.json" not in bad.stderr


@pytest.mark.parametrize("name", sorted(generate.DASHBOARDS))
def test_dashboard_validates_through_the_sdk_model(name: str) -> None:
    committed = json.loads(generate.path_of(name).read_text())
    assert generate.validate(committed) == []


def test_validate_reports_unknown_fields_bad_layout_and_undefined_variables() -> None:
    data = generate.model("observe")
    panel = next(p for p in data["panels"] if p["type"] != "row")
    panel["notAGrafanaField"] = 1
    panel["gridPos"]["w"] = 30
    panel["targets"][0]["expr"] += " * $undefined_var"
    problems = "\n".join(generate.validate(data))
    assert "does not round-trip" in problems and "notAGrafanaField" in problems
    assert "bad gridPos" in problems
    assert "undefined variables ['undefined_var']" in problems


def test_validate_reports_a_model_the_sdk_cannot_load() -> None:
    data = generate.model("learn")
    data["panels"][1] = "not a panel"
    assert generate.validate(data)[0].startswith("does not load into the SDK Dashboard model")


def test_observe_has_the_variables_data_source_job_instance_and_cache() -> None:
    variables = _variables(generate.model("observe"))
    assert list(variables) == ["datasource", "job", "instance", "cache"]
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    for name in ("job", "instance", "cache"):
        assert variables[name]["multi"] and variables[name]["allValue"] == ".*"


def test_learn_has_the_variables_suite_and_benchmark() -> None:
    variables = _variables(generate.model("learn"))
    assert list(variables) == ["datasource", "suite", "benchmark"]
    assert "$suite" in variables["benchmark"]["definition"]


@pytest.mark.parametrize("name", sorted(generate.DASHBOARDS))
def test_every_panel_and_query_uses_the_datasource_variable(name: str) -> None:
    data = generate.model(name)
    for p in _panels(data):
        if p["type"] == "row":
            continue
        assert p["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, p["title"]
        for t in p["targets"]:
            assert t["datasource"]["uid"] == "${datasource}", p["title"]


def test_every_rate_uses_the_rate_interval_and_only_known_metrics() -> None:
    found = queries.all_queries(source="files", rate_interval="$__rate_interval")
    for q in found:
        for window in re.findall(r"\b(?:rate|increase)\([^\[]*\[([^\]]+)\]", q.expr):
            assert window == "$__rate_interval", (q.panel, q.expr)
        used = set(re.findall(r"\bcodomyrmex_\w+", q.expr))
        assert used and used <= KNOWN_SERIES, (q.panel, used - KNOWN_SERIES)


def test_observe_computes_the_hit_ratio_from_the_gets_counter() -> None:
    by_panel = {
        q.panel: q.expr
        for q in queries.all_queries(source="files")
        if q.dashboard == "codomyrmex-observe"
    }
    ratio = by_panel["Hit ratio (any tier)"]
    assert ratio.count("codomyrmex_cache_gets_total") == 2 and "/" in ratio
    assert 'result="hit"' in ratio and 'tier="memory"' in ratio
    used = re.findall(r"codomyrmex_\w+", " ".join(by_panel.values()))
    assert not any(name.endswith("_ratio") for name in used)


def test_observe_covers_misses_evictions_latency_heatmap_errors_entries_imports_and_lazy_loads() -> (
    None
):
    data = generate.model("observe")
    exprs = {p["title"]: [t["expr"] for t in p.get("targets", [])] for p in _panels(data)}
    types = {p["title"]: p["type"] for p in _panels(data)}
    assert any('result="miss"' in e for e in exprs["Misses and puts per second"])
    assert "sum by (cache, cause)" in exprs["Evictions per second by cause"][0]
    latency = exprs["Load latency p50 / p95 / p99"]
    assert [re.search(r"histogram_quantile\(([\d.]+)", e).group(1) for e in latency] == [
        "0.5",
        "0.95",
        "0.99",
    ]  # type: ignore[union-attr]
    assert all("codomyrmex_cache_load_duration_seconds_bucket" in e for e in latency)
    assert types["Load latency distribution"] == "heatmap"
    assert "codomyrmex_cache_errors_total" in exprs["Tier errors per second"][0]
    assert "codomyrmex_cache_entries" in exprs["Entries in memory"][0]
    assert (
        "codomyrmex_import_duration_seconds_sum"
        in exprs["Slowest packages at import (cumulative)"][0]
    )
    assert "codomyrmex_module_import_seconds" in exprs["Slowest modules at import"][0]
    assert "codomyrmex_lazy_imports_total" in exprs["Lazy imports per second"][0]


def test_learn_covers_percentiles_change_ratio_flags_staleness_and_annotations() -> None:
    data = generate.model("learn")
    panels = {p["title"]: p for p in _panels(data)}
    per_bench = panels["$benchmark: p50 / p95 / p99"]
    assert per_bench["repeat"] == "benchmark"
    assert [re.search(r'stat="(\w+)"', t["expr"]).group(1) for t in per_bench["targets"]] == [
        "p50",
        "p95",
        "p99",
    ]  # type: ignore[union-attr]
    assert (
        "codomyrmex_benchmark_change_ratio"
        in panels["Change ratio against baseline"]["targets"][0]["expr"]
    )
    assert "codomyrmex_benchmark_regression" in panels["Regression flags"]["targets"][0]["expr"]
    stale = panels["Time since the last run"]["targets"][0]["expr"]
    assert (
        stale.startswith("time() - ") and "codomyrmex_benchmark_last_run_timestamp_seconds" in stale
    )
    annotations = {a["name"]: a for a in data["annotations"]["list"]}
    assert "codomyrmex_benchmark_regression" in annotations["Regressions"]["expr"]
    assert annotations["Runs"]["useValueForTime"] is True


def test_queries_substitute_every_variable_with_the_given_or_default_values() -> None:
    found = queries.all_queries({"job": "agent"}, rate_interval="15s")
    assert (
        len(found)
        == sum(
            len(p.get("targets", []))
            for n in generate.DASHBOARDS
            for p in _panels(generate.model(n))
        )
        + 2
    )  # plus the two Prometheus annotations of LEARN
    for q in found:
        assert "$" not in q.promql, q.promql
    hit = next(q for q in found if q.panel == "Hit ratio (any tier)")
    assert 'job=~"agent"' in hit.promql and 'cache=~".*"' in hit.promql and "[15s]" in hit.promql


def test_substitute_names_a_variable_without_value() -> None:
    assert queries.substitute('x{a=~"$a", b="${b}"}', {"a": "1", "b": "2"}) == 'x{a=~"1", b="2"}'
    assert queries.variables_in('rate(x{a=~"$a"}[$__rate_interval])') == {"a"}
    with pytest.raises(KeyError, match=r"\$missing"):
        queries.substitute('x{a=~"$missing"}', {})
    with pytest.raises(ValueError, match="source 'nope'"):
        queries.all_queries(source="nope")
    assert queries.queries_of({"uid": "u", "panels": []}, {}) == []


def test_every_dashboard_query_parses_on_a_real_prometheus(prometheus_factory: Any) -> None:
    prom = prometheus_factory(targets=[])
    found = queries.all_queries(rate_interval="1m")
    assert found
    failures = []
    for q in found:
        url = f"{prom.url}/api/v1/query?" + urllib.parse.urlencode({"query": q.promql})
        try:
            with urllib.request.urlopen(url, timeout=10) as resp:
                body = json.load(resp)
        except urllib.error.HTTPError as exc:
            body = json.load(exc)
        if body.get("status") != "success":
            failures.append((q.dashboard, q.panel, q.ref_id, body.get("error"), q.promql))
    assert failures == []


def test_generate_prints_every_substituted_query_with_queries() -> None:
    script = ROOT / "dashboards" / "generate.py"
    done = subprocess.run(
        [sys.executable, str(script), "--queries", "30s"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    expected = queries.all_queries(rate_interval="30s")
    assert len(lines) == len(expected)
    assert [line.split("\t")[3] for line in lines] == [" ".join(q.promql.split()) for q in expected]
    assert not any("$" in line.split("\t")[3] for line in lines)
