"""Prometheus config, recording and alert rules: promtool accepts them, their unit tests pass,
every alert is tested firing and not firing, and a real Prometheus evaluates every rule."""

from __future__ import annotations

import json
import re
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from codomyrmex.performance.telemetry import names
from dashboards import generate

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
RULES = DEPLOY / "rules"
ALERTS_FILE = RULES / "codomyrmex-alerts.yml"
RECORDING_FILE = RULES / "codomyrmex-recording.yml"
RULE_TESTS = sorted((RULES / "tests").glob("*.yml"))

REQUIRED_ALERTS = {
    "CodomyrmexBenchmarkRegression",
    "CodomyrmexBenchmarkResultsStale",
    "CodomyrmexCacheHitRatioLow",
    "CodomyrmexCacheErrors",
}
SEVERITIES = {"info", "warning", "critical"}
KNOWN_SERIES = {m.sample_name for m in names.ALL_METRICS} | {
    f"{m.prometheus_name}_{part}"
    for m in names.ALL_METRICS
    if m.kind == "histogram"
    for part in ("bucket", "sum", "count")
}


def _rules(path: Path) -> list[dict[str, Any]]:
    return [r for g in yaml.safe_load(path.read_text())["groups"] for r in g["rules"]]


def _alerts() -> dict[str, dict[str, Any]]:
    return {r["alert"]: r for r in _rules(ALERTS_FILE)}


def _promtool(promtool: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool, *args], capture_output=True, text=True, cwd=DEPLOY)


def test_promtool_check_rules_accepts_both_rule_files(promtool: str) -> None:
    done = _promtool(promtool, "check", "rules", str(RECORDING_FILE), str(ALERTS_FILE))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 4 rules found" in done.stdout


def test_promtool_check_config_accepts_prometheus_yml_with_its_rule_files(promtool: str) -> None:
    done = _promtool(promtool, "check", "config", "prometheus.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 2 rule files found" in done.stdout


def test_promtool_unit_tests_of_the_rules_pass(promtool: str) -> None:
    assert {p.name for p in RULE_TESTS} == {
        "codomyrmex-benchmark-alerts.test.yml",
        "codomyrmex-cache-alerts.test.yml",
        "codomyrmex-recording.test.yml",
    }
    done = _promtool(promtool, "test", "rules", *map(str, RULE_TESTS))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("SUCCESS") == len(RULE_TESTS)


def test_promtool_unit_tests_fail_when_an_alert_does_not_behave_as_expected(
    promtool: str, tmp_path: Path
) -> None:
    # The unit tests are not vacuous: a threshold that no longer fires is caught.
    (tmp_path / "alerts.yml").write_text(ALERTS_FILE.read_text().replace(") < 0.5", ") < 0.2"))
    test = yaml.safe_load((RULES / "tests" / "codomyrmex-cache-alerts.test.yml").read_text())
    test["rule_files"] = ["alerts.yml"]
    (tmp_path / "t.yml").write_text(yaml.safe_dump(test))
    done = subprocess.run([promtool, "test", "rules", "t.yml"], capture_output=True, text=True,
                          cwd=tmp_path)  # fmt: skip
    assert done.returncode != 0
    assert "CodomyrmexCacheHitRatioLow" in done.stdout + done.stderr


def test_the_four_alerts_exist() -> None:
    assert set(_alerts()) == REQUIRED_ALERTS


@pytest.mark.parametrize("alert", sorted(REQUIRED_ALERTS))
def test_alert_has_severity_summary_description_and_dashboard_url(alert: str) -> None:
    rule = _alerts()[alert]
    assert rule["labels"]["severity"] in SEVERITIES
    annotations = rule["annotations"]
    for key in ("summary", "description", "dashboard_url"):
        assert annotations.get(key, "").strip(), f"{alert} lacks annotation {key}"
    uid = re.search(r"/d/([\w-]+)/", annotations["dashboard_url"])
    assert uid is not None
    committed = {generate.model(n)["uid"] for n in generate.DASHBOARDS}
    assert uid.group(1) in committed


@pytest.mark.parametrize("alert", sorted(REQUIRED_ALERTS))
def test_alert_has_a_unit_test_where_it_fires_and_one_where_it_does_not(alert: str) -> None:
    fires = quiet = 0
    for path in RULE_TESTS:
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                if check["alertname"] == alert:
                    if check.get("exp_alerts"):
                        fires += 1
                    else:
                        quiet += 1
    assert fires >= 1 and quiet >= 1, (alert, fires, quiet)


def test_regression_alert_uses_the_library_gauge_with_a_sparse_safe_p50_fallback() -> None:
    expr = _alerts()["CodomyrmexBenchmarkRegression"]["expr"]
    assert "codomyrmex_benchmark_regression" in expr and "== 1" in expr
    assert 'quantile_over_time(0.5, codomyrmex_benchmark_duration_seconds{stat="p50"}[7d])' in expr
    assert "last_over_time(codomyrmex_benchmark_duration_seconds" in expr


def test_rules_use_only_metric_names_the_library_exports() -> None:
    recorded = {r["record"] for r in _rules(RECORDING_FILE)}
    for path in (ALERTS_FILE, RECORDING_FILE):
        for rule in _rules(path):
            used = set(re.findall(r"\bcodomyrmex_\w+", rule["expr"]))
            assert used <= KNOWN_SERIES, (rule.get("alert") or rule["record"], used - KNOWN_SERIES)
            for name in re.findall(r"\bcodomyrmex:[\w:]+", rule["expr"]):
                assert name in recorded, name


def test_prometheus_yml_scrapes_agents_and_the_pushgateway_with_honor_labels() -> None:
    config = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    jobs = {j["job_name"]: j for j in config["scrape_configs"]}
    assert jobs["codomyrmex-agent"]["metrics_path"] == "/metrics"
    assert jobs["pushgateway"]["honor_labels"] is True
    assert jobs["pushgateway"]["static_configs"][0]["targets"] == ["pushgateway:9091"]
    assert jobs["otel-collector"]["static_configs"][0]["targets"] == ["otel-collector:8889"]
    assert sorted(config["rule_files"]) == [
        "rules/codomyrmex-alerts.yml",
        "rules/codomyrmex-recording.yml",
    ]
    assert config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == [
        "alertmanager:9093"
    ]


def test_a_real_prometheus_loads_and_evaluates_every_rule_without_error(
    prometheus_factory: Any,
) -> None:
    prom = prometheus_factory(targets=[], rule_files=[RECORDING_FILE, ALERTS_FILE])
    expected = len(_rules(RECORDING_FILE)) + len(_rules(ALERTS_FILE))
    deadline = time.monotonic() + 60
    while True:
        with urllib.request.urlopen(f"{prom.url}/api/v1/rules", timeout=10) as resp:
            rules = [r for g in json.load(resp)["data"]["groups"] for r in g["rules"]]
        # A rule that has not been evaluated yet reports health "unknown".
        if len(rules) == expected and all(r["health"] != "unknown" for r in rules):
            break
        assert time.monotonic() < deadline, f"rules not all evaluated: {rules}"
        time.sleep(0.2)
    assert [(r["name"], r.get("lastError")) for r in rules if r["health"] != "ok"] == []
