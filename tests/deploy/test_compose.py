"""The docker compose stack, checked statically (Docker does not run in CI): every file parses,
every file it mounts or builds from exists, and the pieces point at each other consistently."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from dashboards import generate

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
YAML_FILES = sorted([*DEPLOY.rglob("*.yml"), *DEPLOY.rglob("*.yaml")])

SERVICES = {
    "prometheus",
    "pushgateway",
    "alertmanager",
    "grafana",
    "otel-collector",
    "redis",
    "agent",
}


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    return data


def _mounts(service: str) -> dict[str, Path]:
    """Container path -> host path of every bind mount of ``service`` (named volumes left out)."""
    out = {}
    for volume in _compose()["services"][service].get("volumes", []):
        host, container = volume.split(":")[:2]
        if host.startswith((".", "/")):
            out[container] = (DEPLOY / host).resolve()
    return out


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(DEPLOY)))
def test_every_yaml_file_of_deploy_parses(path: Path) -> None:
    assert isinstance(yaml.safe_load(path.read_text()), dict)


def test_compose_starts_the_whole_stack() -> None:
    assert set(_compose()["services"]) == SERVICES


def test_every_file_the_compose_file_mounts_or_builds_from_exists() -> None:
    compose = _compose()
    checked = 0
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            host = volume.split(":")[0]
            if host.startswith((".", "/")):
                assert (DEPLOY / host).exists(), f"{name} mounts missing {host}"
                checked += 1
            else:
                assert host in compose["volumes"], f"{name} uses undeclared volume {host}"
        build = service.get("build")
        if build:
            context = (DEPLOY / build["context"]).resolve()
            assert (context / build["dockerfile"]).is_file()
            assert (context / "pyproject.toml").is_file() and (context / "src").is_dir()
            checked += 1
    assert checked >= 8


def test_agent_service_serves_metrics_on_9464_from_the_installed_project() -> None:
    agent = _compose()["services"]["agent"]
    assert agent["command"] == ["codomyrmex-perf", "serve", "--port", "9464", "--addr", "0.0.0.0"]
    dockerfile = (DEPLOY / agent["build"]["dockerfile"].removeprefix("deploy/")).read_text()
    assert dockerfile.startswith("#") and "FROM python:3.11-slim" in dockerfile
    assert 'pip install --no-cache-dir ".[redis,otlp]"' in dockerfile
    assert agent["environment"]["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector:4318"
    # Prometheus scrapes the agent where compose exposes it.
    prom = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    jobs = {j["job_name"]: j for j in prom["scrape_configs"]}
    assert jobs["codomyrmex-agent"]["static_configs"][0]["targets"] == ["agent:9464"]


def test_prometheus_container_gets_its_config_and_rules() -> None:
    mounts = _mounts("prometheus")
    assert mounts["/etc/prometheus/prometheus.yml"] == DEPLOY / "prometheus.yml"
    assert mounts["/etc/prometheus/rules"] == DEPLOY / "rules"
    command = _compose()["services"]["prometheus"]["command"]
    assert "--config.file=/etc/prometheus/prometheus.yml" in command


def test_grafana_provisions_the_data_source_the_dashboards_select_and_both_dashboards() -> None:
    mounts = _mounts("grafana")
    datasources = yaml.safe_load(
        (mounts["/etc/grafana/provisioning/datasources"] / "prometheus.yml").read_text()
    )["datasources"]
    assert [(d["type"], d["uid"], d["url"]) for d in datasources] == [
        ("prometheus", "prometheus", "http://prometheus:9090")
    ]
    for name in generate.DASHBOARDS:
        variable = generate.model(name)["templating"]["list"][0]
        assert variable["name"] == "datasource"
        assert variable["current"]["value"] == datasources[0]["uid"]
    providers = yaml.safe_load(
        (mounts["/etc/grafana/provisioning/dashboards"] / "codomyrmex.yml").read_text()
    )["providers"]
    path = providers[0]["options"]["path"]
    assert mounts[path] == ROOT / "dashboards"
    for name in generate.DASHBOARDS:
        assert generate.path_of(name).parent == mounts[path]
    home = _compose()["services"]["grafana"]["environment"][
        "GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"
    ]
    assert home == f"{path}/{generate.path_of('observe').name}"


def test_otel_collector_takes_otlp_and_sends_traces_to_debug_and_metrics_to_prometheus() -> None:
    mounts = _mounts("otel-collector")
    config = yaml.safe_load(mounts["/etc/otelcol-contrib/config.yaml"].read_text())
    assert set(config["receivers"]["otlp"]["protocols"]) == {"grpc", "http"}
    pipelines = config["service"]["pipelines"]
    assert pipelines["traces"]["receivers"] == ["otlp"] and pipelines["traces"]["exporters"] == [
        "debug"
    ]
    assert pipelines["metrics"]["receivers"] == ["otlp"]
    assert pipelines["metrics"]["exporters"] == ["prometheus"]
    port = config["exporters"]["prometheus"]["endpoint"].rsplit(":", 1)[1]
    assert f"{port}:{port}" in _compose()["services"]["otel-collector"]["ports"]
    prom = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    jobs = {j["job_name"]: j for j in prom["scrape_configs"]}
    assert jobs["otel-collector"]["static_configs"][0]["targets"] == [f"otel-collector:{port}"]


def test_alertmanager_gets_its_config_and_routes_to_a_defined_receiver() -> None:
    mounts = _mounts("alertmanager")
    config = yaml.safe_load(mounts["/etc/alertmanager/alertmanager.yml"].read_text())
    receivers = {r["name"] for r in config["receivers"]}
    assert config["route"]["receiver"] in receivers
    assert all(r["receiver"] in receivers for r in config["route"].get("routes", []))


def test_deploy_readme_tells_how_to_start_and_where_to_look() -> None:
    readme = (DEPLOY / "README.md").read_text()
    assert "docker compose -f deploy/docker-compose.yml up" in readme
    for url in ("http://localhost:3000", "http://localhost:9090", "http://localhost:9093",
                "http://localhost:9091"):  # fmt: skip
        assert url in readme, url
