"""configure()/shutdown(): OTLP over HTTP and gRPC to a real receiver, /metrics, bad values."""

from __future__ import annotations

import urllib.request
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from codomyrmex.performance import telemetry
from codomyrmex.performance.errors import ConfigurationError, TelemetryError
from codomyrmex.performance.telemetry import recording
from codomyrmex.performance.telemetry.stats import StatsRegistry


@pytest.mark.parametrize("protocol", ["http/protobuf", "grpc"])
def test_span_and_counter_round_trip_over_otlp(
    protocol: str, otlp_receiver: Any, clean_stats: StatsRegistry
) -> None:
    endpoint = otlp_receiver.http_url if protocol == "http/protobuf" else otlp_receiver.grpc_endpoint
    telemetry.configure(
        service_name="roundtrip-agent", otlp_endpoint=endpoint, otlp_protocol=protocol,
        otlp_headers="x-tenant=blue", prometheus=False, set_global=False,
    )  # fmt: skip
    stats = clean_stats.cache("otlp_cache")
    stats.hits += 4
    stats.misses += 1
    with recording.span("cache.load", {"cache": "otlp_cache"}):
        pass
    telemetry.shutdown()  # flushes the batch span processor and a last metric export

    spans = otlp_receiver.spans()
    assert [s.name for s in spans] == ["cache.load"]
    assert spans[0].attributes == {"cache": "otlp_cache"}
    assert spans[0].scope == "codomyrmex.performance"
    assert spans[0].resource["service.name"] == "roundtrip-agent"
    assert {s.transport for s in spans} == {"http" if protocol == "http/protobuf" else "grpc"}
    hits = otlp_receiver.latest_value("codomyrmex.cache.gets", cache="otlp_cache", result="hit", tier="memory")
    misses = otlp_receiver.latest_value("codomyrmex.cache.gets", cache="otlp_cache", result="miss", tier="memory")
    assert (hits, misses) == (4.0, 1.0)
    point = otlp_receiver.data_points("codomyrmex.cache.gets")[0]
    assert point.kind == "sum" and point.is_monotonic is True
    seen = otlp_receiver.http_headers if protocol == "http/protobuf" else otlp_receiver.grpc_metadata
    assert all(h.get("x-tenant") == "blue" for h in seen) and seen


def test_configure_twice_raises_and_shutdown_allows_again() -> None:
    telemetry.configure(prometheus=False, set_global=False)
    with pytest.raises(TelemetryError, match="already configured; call .*shutdown"):
        telemetry.configure(prometheus=False, set_global=False)
    telemetry.shutdown()
    telemetry.shutdown()  # second shutdown is a no-op
    assert telemetry.current() is None
    telemetry.configure(prometheus=False, set_global=False)
    assert telemetry.current() is not None


def test_metrics_server_serves_the_collector_on_the_chosen_registry(clean_stats: StatsRegistry) -> None:
    reg = CollectorRegistry()
    t = telemetry.configure(prometheus_registry=reg, metrics_port=0, set_global=False)
    clean_stats.cache("served").hits += 2
    assert t.metrics_port and t.metrics_port > 0
    body = urllib.request.urlopen(f"http://127.0.0.1:{t.metrics_port}/metrics", timeout=5).read().decode()
    assert 'codomyrmex_cache_gets_total{cache="served",result="hit",tier="memory"} 2.0' in body
    telemetry.shutdown()
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{t.metrics_port}/metrics", timeout=2)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"otlp_protocol": "thrift"}, ConfigurationError,
         "otlp_protocol must be one of 'grpc', 'http/protobuf', got 'thrift'"),
        ({"otlp_endpoint": "localhost:4318"}, ConfigurationError,
         "otlp_endpoint for http/protobuf must start with http:// or https://, got 'localhost:4318'"),
        ({"metrics_port": 70000}, ConfigurationError, "metrics_port must be a TCP port number 0-65535, got 70000"),
        ({"export_interval_ms": 0}, ConfigurationError, "export_interval_ms must be an integer >= 1, got 0"),
        ({"otlp_headers": "novalue"}, ConfigurationError, "otlp_headers must look like 'key=value,key2=value2'"),
        ({"traces": "yes"}, TypeError, "traces must be True or False, got 'yes'"),
    ],
)  # fmt: skip
def test_bad_values_are_rejected_before_anything_starts(kwargs: dict[str, Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error) as excinfo:
        telemetry.configure(set_global=False, **kwargs)
    assert message in str(excinfo.value)
    assert telemetry.current() is None


def test_port_in_use_gives_clear_error_and_leaves_nothing_registered() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        reg = CollectorRegistry()
        with pytest.raises(ConfigurationError, match=f"cannot serve /metrics on 127.0.0.1:{port}"):
            telemetry.configure(prometheus_registry=reg, metrics_port=port, set_global=False)
    assert telemetry.current() is None
    telemetry.register_collector(reg)  # would raise a duplicate error if the failed configure leaked it


def test_disabled_by_environment_is_a_noop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODOMYRMEX_PERF_DISABLED", "1")
    reg = CollectorRegistry()
    t = telemetry.configure(prometheus_registry=reg, metrics_port=0, set_global=False)
    assert t.disabled and t.metrics_port is None and t.tracer_provider is None
    from prometheus_client import generate_latest

    assert generate_latest(reg) == b""


def test_standard_otel_variables_are_honoured(monkeypatch: pytest.MonkeyPatch, otlp_receiver: Any) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", otlp_receiver.http_url)
    monkeypatch.setenv("OTEL_SERVICE_NAME", "from-env")
    t = telemetry.configure(prometheus=False, set_global=False)
    assert t.service_name == "from-env" and t.otlp_endpoint == otlp_receiver.http_url
    with recording.span("benchmark envsuite"):
        pass
    telemetry.shutdown()
    assert [(s.name, s.resource["service.name"]) for s in otlp_receiver.spans()] == [("benchmark envsuite", "from-env")]


def test_per_signal_endpoint_variable_alone_enables_that_signal(
    monkeypatch: pytest.MonkeyPatch, otlp_receiver: Any, clean_stats: StatsRegistry
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", otlp_receiver.http_url + "/v1/traces")
    t = telemetry.configure(prometheus=False, set_global=False)
    assert t.tracer_provider is not None
    clean_stats.cache("per_signal").hits += 1
    with recording.span("cache.load"):
        pass
    telemetry.shutdown()
    assert otlp_receiver.span_names() == ["cache.load"]
    assert otlp_receiver.data_points() == []  # metrics were not asked for: no exporter, nothing sent


def test_resource_attributes_variable_names_the_service(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "service.name=from-resource,team=perf")
    t = telemetry.configure(prometheus=False, set_global=False)
    assert t.service_name == "from-resource"
    telemetry.shutdown()
    t = telemetry.configure(service_name="explicit", prometheus=False, set_global=False)
    assert t.service_name == "explicit"


def test_metric_export_interval_is_left_to_the_sdk_unless_given(
    monkeypatch: pytest.MonkeyPatch, otlp_receiver: Any
) -> None:
    monkeypatch.setenv("OTEL_METRIC_EXPORT_INTERVAL", "1234")
    t = telemetry.configure(otlp_endpoint=otlp_receiver.http_url, prometheus=False, set_global=False)
    assert t.export_interval_ms == 1234
    telemetry.shutdown()
    t = telemetry.configure(otlp_endpoint=otlp_receiver.http_url, export_interval_ms=500,
                            prometheus=False, set_global=False)  # fmt: skip
    assert t.export_interval_ms == 500
    telemetry.shutdown()
    monkeypatch.setenv("OTEL_METRIC_EXPORT_INTERVAL", "soon")
    with pytest.raises(ConfigurationError, match="OTEL_METRIC_EXPORT_INTERVAL must be an integer >= 1 \\(milliseconds\\), got 'soon'"):
        telemetry.configure(prometheus=False, set_global=False)


def test_bad_endpoint_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "collector:4318")
    with pytest.raises(ConfigurationError, match="OTEL_EXPORTER_OTLP_METRICS_ENDPOINT for http/protobuf must start with http:// or https://, got 'collector:4318'"):
        telemetry.configure(prometheus=False, set_global=False)
