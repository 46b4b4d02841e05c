"""configure() is a guest: it records into the application's providers, honours the standard
OTEL_* switches, needs the SDK only to export, and uses no private OpenTelemetry module.

Tests that install *global* providers run in a subprocess: the OTel API accepts a global provider
only once per process, and the rest of the suite must not inherit one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from codomyrmex.performance import telemetry
from codomyrmex.performance.errors import ConfigurationError
from codomyrmex.performance.telemetry.stats import StatsRegistry

SRC = Path(__file__).resolve().parents[2] / "src"


def run_script(code: str, env: dict[str, str] | None = None) -> Any:
    """Run ``code`` in a fresh interpreter; it prints one JSON document as its last line."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "CODOMYRMEX_PERF_"))}
    full_env.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
        env=full_env, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


HOST_APP = """
    import json, urllib.request
    from opentelemetry import metrics, trace
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    # The application sets up OpenTelemetry first, as `opentelemetry-instrument` would.
    exporter, reader = InMemorySpanExporter(), InMemoryMetricReader()
    tp = TracerProvider(); tp.add_span_processor(SimpleSpanProcessor(exporter))
    mp = MeterProvider(metric_readers=[reader])
    trace.set_tracer_provider(tp); metrics.set_meter_provider(mp)
    app_tracer = trace.get_tracer("host.app")

    from codomyrmex.performance import cached_function, telemetry

    @cached_function(name="host_cache")
    def f(x):
        return x * 2

    with app_tracer.start_as_current_span("request before"):
        f(1)
    t = telemetry.configure(metrics_port=0)
    with app_tracer.start_as_current_span("request after"):
        f(2)
        f(2)
    body = urllib.request.urlopen(f"http://127.0.0.1:{t.metrics_port}/metrics", timeout=5).read().decode()
    same = trace.get_tracer_provider() is tp and metrics.get_meter_provider() is mp
    gets = {}
    for rm in reader.get_metrics_data().resource_metrics:
        for sm in rm.scope_metrics:
            for m in sm.metrics:
                if m.name == "codomyrmex.cache.gets":
                    for p in m.data.data_points:
                        if p.attributes["cache"] == "host_cache" and p.attributes["tier"] == "memory":
                            gets[p.attributes["result"]] = p.value
    spans = [
        {"name": s.name, "id": s.context.span_id,
         "parent": s.parent.span_id if s.parent else None} for s in exporter.get_finished_spans()
    ]
    print(json.dumps({"spans": spans, "same_providers": same, "gets": gets,
                      "host": list(t.host_providers), "own": [t.tracer_provider is None, t.meter_provider is None],
                      "scraped": 'codomyrmex_cache_gets_total{cache="host_cache",result="hit",tier="memory"} 1.0' in body}))
"""


def test_app_providers_get_the_cache_load_spans_before_and_after_configure() -> None:
    out = run_script(HOST_APP)
    by_name = {s["name"]: s for s in out["spans"]}
    loads = [s for s in out["spans"] if s["name"] == "cache.load"]
    assert len(loads) == 2, out["spans"]
    assert loads[0]["parent"] == by_name["request before"]["id"]
    assert loads[1]["parent"] == by_name["request after"]["id"]
    assert out["same_providers"] is True  # never replaced, wrapped or hidden
    assert out["host"] == ["metrics", "traces"]
    assert out["own"] == [True, True]  # configure() built no provider of its own
    assert out["gets"] == {"hit": 1, "miss": 2}  # the library's counters went to the app's reader
    assert out["scraped"] is True  # and /metrics was still served, as asked


def test_sdk_disabled_builds_no_provider(
    monkeypatch: pytest.MonkeyPatch, otlp_receiver: Any, clean_stats: StatsRegistry
) -> None:
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    reg = CollectorRegistry()
    t = telemetry.configure(otlp_endpoint=otlp_receiver.http_url, prometheus_registry=reg, set_global=False)
    assert t.sdk_disabled is True
    assert (t.tracer_provider, t.meter_provider) == (None, None)
    clean_stats.cache("disabled_sdk").hits += 1
    from prometheus_client import generate_latest

    assert b'codomyrmex_cache_gets_total{cache="disabled_sdk",result="hit",tier="memory"} 1.0' in generate_latest(reg)
    telemetry.shutdown()
    assert otlp_receiver.span_names() == [] and otlp_receiver.data_points() == []


def test_traces_exporter_none_keeps_metrics(monkeypatch: pytest.MonkeyPatch, otlp_receiver: Any) -> None:
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")
    t = telemetry.configure(otlp_endpoint=otlp_receiver.http_url, prometheus=False, set_global=False)
    assert t.tracer_provider is None and t.meter_provider is not None


def test_metrics_exporter_console_prints_the_library_metrics(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], clean_stats: StatsRegistry
) -> None:
    monkeypatch.setenv("OTEL_METRICS_EXPORTER", "console")
    t = telemetry.configure(prometheus=False, set_global=False)
    assert t.tracer_provider is None  # no endpoint and no OTEL_TRACES_EXPORTER: no trace export
    assert type(t.meter_provider).__name__ == "MeterProvider"
    clean_stats.cache("console_cache").misses += 3
    telemetry.shutdown()  # a last export
    assert '"codomyrmex.cache.gets"' in capsys.readouterr().out


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("jaeger", "OTEL_TRACES_EXPORTER must be a comma-separated list of 'otlp', 'console', 'none', got 'jaeger'"),
        ("none,otlp", "OTEL_TRACES_EXPORTER: 'none' cannot be combined with other exporters, got 'none,otlp'"),
    ],
)  # fmt: skip
def test_bad_exporter_variable_is_named(monkeypatch: pytest.MonkeyPatch, value: str, message: str) -> None:
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", value)
    with pytest.raises(ConfigurationError) as excinfo:
        telemetry.configure(prometheus=False, set_global=False)
    assert str(excinfo.value) == message
    assert telemetry.current() is None


def test_no_private_opentelemetry_module_is_used() -> None:
    offenders = [
        f"{path.relative_to(SRC)}:{n}"
        for path in sorted(SRC.rglob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if "opentelemetry" in line and "._" in line.split("#")[0] and "import" in line
    ]
    assert offenders == []


WITHOUT_SDK = """
    import importlib.abc, json, sys, urllib.request

    class NoSdk(importlib.abc.MetaPathFinder):  # as if only opentelemetry-api were installed
        def find_spec(self, name, path=None, target=None):
            if name.startswith(("opentelemetry.sdk", "opentelemetry.exporter", "grpc", "google.protobuf")):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, NoSdk())
    from codomyrmex.performance import cached_function, telemetry
    from codomyrmex.performance.errors import ConfigurationError

    try:
        telemetry.configure(otlp_endpoint="http://127.0.0.1:4318")
        error = None
    except ConfigurationError as exc:
        error = str(exc)
    t = telemetry.configure(metrics_port=0)

    @cached_function(name="api_only")
    def f(x):
        return x

    f(1); f(1)
    body = urllib.request.urlopen(f"http://127.0.0.1:{t.metrics_port}/metrics", timeout=5).read().decode()
    print(json.dumps({"error": error, "served": 'codomyrmex_cache_gets_total{cache="api_only",result="hit",tier="memory"} 1.0' in body,
                      "sdk": any(m.startswith("opentelemetry.sdk") for m in sys.modules)}))
"""


def test_without_the_sdk_otlp_names_the_extra_and_prometheus_works() -> None:
    out = run_script(WITHOUT_SDK)
    assert out["error"] == (
        "exporting telemetry (traces: otlp, metrics: otlp) needs the OpenTelemetry SDK and "
        "exporters, which are not installed; install them with: "
        "pip install 'codomyrmex-performance[otlp]'"
    )
    assert out["served"] is True and out["sdk"] is False


def test_metrics_port_alone_needs_no_sdk_provider(clean_stats: StatsRegistry) -> None:
    reg = CollectorRegistry()
    t = telemetry.configure(prometheus_registry=reg, metrics_port=0, set_global=False)
    assert (t.tracer_provider, t.meter_provider) == (None, None)
    clean_stats.cache("port_only").hits += 1
    body = urllib.request.urlopen(f"http://127.0.0.1:{t.metrics_port}/metrics", timeout=5).read().decode()
    assert 'codomyrmex_cache_gets_total{cache="port_only",result="hit",tier="memory"} 1.0' in body
