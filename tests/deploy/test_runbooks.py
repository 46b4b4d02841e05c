"""Alerts link to their runbooks, CodomyrmexCacheErrors explains every op, the hit-ratio panels
draw the alert's threshold, and the compose file's Grafana can load the generated dashboards."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from dashboards import generate, observe

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
ALERTS = {r["alert"]: r for g in yaml.safe_load((DEPLOY / "rules/codomyrmex-alerts.yml").read_text())["groups"]
          for r in g["rules"] if "alert" in r}  # fmt: skip

#: The dashboard schemaVersion each Grafana release reads (Grafana's dashboard migrations; a
#: Grafana older than the schema shows a dashboard from the future as broken or not at all).
MIN_GRAFANA_FOR_SCHEMA = {39: (11, 0), 40: (11, 3), 41: (12, 0), 42: (12, 2)}


def _slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("alert", sorted(ALERTS))
def test_every_alert_has_a_runbook_url_to_a_section_of_the_deploy_readme(alert: str) -> None:
    url = ALERTS[alert]["annotations"].get("runbook_url", "")
    path, _, anchor = url.partition("#")
    assert path.endswith("/deploy/README.md"), url
    headings = {_slug(line.lstrip("#")) for line in (DEPLOY / "README.md").read_text().splitlines()
                if line.startswith("### ")}  # fmt: skip
    assert anchor == alert.lower() and anchor in headings


def test_cache_errors_alert_says_what_each_op_means() -> None:
    description = " ".join(ALERTS["CodomyrmexCacheErrors"]["annotations"]["description"].split())
    # every op the cache counts (caching/_tiering.py) is explained
    for op in ("get", "set", "delete", "clear", "lease", "encode", "decode", "verify"):
        assert re.search(rf"\b{op}\b", description), op
    assert "encode = a value the serializer cannot store" in description
    assert "not the backend" in description


def _panel(title: str) -> dict[str, Any]:
    model = json.loads((ROOT / "dashboards/codomyrmex-observe.json").read_text())
    return next(p for p in model["panels"] if p.get("title") == title)


@pytest.mark.parametrize("title", ["Hit ratio (any tier)", "Hit ratio by tier"])
def test_hit_ratio_panels_draw_the_alert_threshold(title: str) -> None:
    expr = ALERTS["CodomyrmexCacheHitRatioLow"]["expr"]
    threshold = float(re.search(r"\)\s*<\s*([0-9.]+)", expr).group(1))  # type: ignore[union-attr]
    assert threshold == observe.HIT_RATIO_ALERT
    defaults = _panel(title)["fieldConfig"]["defaults"]
    steps = [s["value"] for s in defaults["thresholds"]["steps"]]
    assert steps == [None, threshold]
    assert defaults["custom"]["thresholdsStyle"]["mode"] == "line"


def test_compose_grafana_reads_the_dashboards_schema_version() -> None:
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    image = compose["services"]["grafana"]["image"]
    version = tuple(int(x) for x in image.rpartition(":")[2].split(".")[:2])
    for name in generate.DASHBOARDS:
        schema = generate.model(name)["schemaVersion"]
        assert schema in MIN_GRAFANA_FOR_SCHEMA, f"unknown schemaVersion {schema}: extend the table"
        assert version >= MIN_GRAFANA_FOR_SCHEMA[schema], (image, schema)
