"""``configure()`` / ``shutdown()``: the one helper an application may call to export telemetry.

The library never configures providers by itself. This module imports the OTel SDK, exporters
and prometheus_client inside :func:`configure`, never at package import.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import env
from .._validation import check_choice, check_port, check_positive_int
from ..errors import ConfigurationError, TelemetryError

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

__all__ = ["Telemetry", "configure", "current", "shutdown"]

log = logging.getLogger(__name__)

PROTOCOLS = ("http/protobuf", "grpc")
_DEFAULT_REGISTRY: Any = object()  # sentinel: "prometheus_client.REGISTRY"


@dataclass
class Telemetry:
    """What :func:`configure` set up. ``metrics_port`` is the bound port of the /metrics server."""

    service_name: str
    otlp_endpoint: str | None = None
    otlp_protocol: str | None = None
    tracer_provider: Any = None
    meter_provider: Any = None
    prometheus_registry: Any = None
    metrics_port: int | None = None
    disabled: bool = False
    _server: Any = field(default=None, repr=False)
    _server_thread: Any = field(default=None, repr=False)

    def force_flush(self, timeout_millis: int = 10_000) -> bool:
        """Export everything buffered now; ``True`` when every provider flushed in time."""
        ok = True
        for provider in (self.tracer_provider, self.meter_provider):
            if provider is not None:
                ok = bool(provider.force_flush(timeout_millis)) and ok
        return ok


_lock = threading.Lock()
_current: Telemetry | None = None


def current() -> Telemetry | None:
    """The active configuration, or ``None`` when :func:`configure` has not been called."""
    return _current


def _parse_headers(headers: str | dict[str, str] | None) -> dict[str, str] | None:
    if headers is None or isinstance(headers, dict):
        if headers is not None and not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
        ):
            raise ConfigurationError(f"otlp_headers must map str to str, got {headers!r}")
        return headers
    if not isinstance(headers, str):
        raise TypeError(f"otlp_headers must be a dict or 'k=v,k2=v2' string, got {headers!r}")
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in headers.split(","))):
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise ConfigurationError(
                f"otlp_headers must look like 'key=value,key2=value2', got {headers!r}"
            )
        out[key.strip()] = value.strip()
    return out


def _check_endpoint(endpoint: str, protocol: str) -> str:
    if not isinstance(endpoint, str) or not endpoint.strip():
        raise ConfigurationError(f"otlp_endpoint must be a non-empty URL, got {endpoint!r}")
    if protocol == "http/protobuf" and not endpoint.startswith(("http://", "https://")):
        raise ConfigurationError(
            f"otlp_endpoint for http/protobuf must start with http:// or https://, got {endpoint!r}"
        )
    return endpoint.rstrip("/")


def configure(
    *,
    service_name: str | None = None,
    otlp_endpoint: str | None = None,
    otlp_protocol: str | None = None,
    otlp_headers: str | dict[str, str] | None = None,
    traces: bool = True,
    metrics: bool = True,
    export_interval_ms: int = 10_000,
    prometheus: bool = True,
    prometheus_registry: CollectorRegistry | None = _DEFAULT_REGISTRY,
    metrics_port: int | None = None,
    metrics_addr: str | None = None,
    set_global: bool = True,
) -> Telemetry:
    """Set up export of the library's telemetry. Call once at application start.

    - OTLP (HTTP or gRPC) when ``otlp_endpoint`` or ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set; the
      base endpoint gets ``/v1/traces`` and ``/v1/metrics`` appended for HTTP, as the
      standard variable does.
    - The Prometheus collector on ``prometheus_registry`` (default ``prometheus_client.REGISTRY``).
    - A ``/metrics`` server when ``metrics_port`` (or ``CODOMYRMEX_PERF_METRICS_PORT``) is set;
      ``0`` picks a free port, readable afterwards as ``Telemetry.metrics_port``.
    - ``set_global``: also install the providers as the OTel globals when no SDK provider is
      installed yet (the OTel API allows that only once per process); the library's own
      telemetry always goes to these providers.

    Calling it again before :func:`shutdown` raises :class:`TelemetryError`. With
    ``CODOMYRMEX_PERF_DISABLED=1`` it does nothing and returns a ``Telemetry`` with
    ``disabled=True``.

        >>> t = configure(otlp_endpoint="http://127.0.0.1:4318", metrics_port=0)  # doctest: +SKIP
        >>> shutdown()                                                           # doctest: +SKIP
    """
    global _current
    # -- validate everything before touching any global state ----------------------------------
    for flag_name, flag in (("traces", traces), ("metrics", metrics), ("prometheus", prometheus),
                            ("set_global", set_global)):  # fmt: skip
        if not isinstance(flag, bool):
            raise TypeError(f"{flag_name} must be True or False, got {flag!r}")
    check_positive_int("export_interval_ms", export_interval_ms)
    name = service_name or env.get("CODOMYRMEX_PERF_SERVICE_NAME") or os.environ.get(
        "OTEL_SERVICE_NAME") or "codomyrmex-agent"  # fmt: skip
    if not isinstance(name, str) or not name.strip():
        raise ConfigurationError(f"service_name must be a non-empty string, got {service_name!r}")
    protocol = otlp_protocol or os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL") or "http/protobuf"
    protocol = {"http": "http/protobuf", "grpc": "grpc", "http/protobuf": "http/protobuf"}.get(
        protocol, protocol
    )
    check_choice("otlp_protocol", protocol, PROTOCOLS)
    endpoint = otlp_endpoint if otlp_endpoint is not None else (
        os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or None)  # fmt: skip
    if endpoint is not None:
        endpoint = _check_endpoint(endpoint, protocol)
    headers = _parse_headers(otlp_headers)
    port = metrics_port if metrics_port is not None else env.get_int("CODOMYRMEX_PERF_METRICS_PORT")
    if port is not None:
        check_port("metrics_port", port)
    addr = metrics_addr or env.get("CODOMYRMEX_PERF_METRICS_ADDR") or "127.0.0.1"

    with _lock:
        if _current is not None:
            raise TelemetryError(
                "telemetry is already configured; call codomyrmex.performance.telemetry"
                ".shutdown() before configuring again"
            )
        if env.get_bool("CODOMYRMEX_PERF_DISABLED"):
            _current = Telemetry(service_name=name, disabled=True)
            return _current
        result = Telemetry(service_name=name, otlp_endpoint=endpoint, otlp_protocol=protocol)
        try:
            _setup_otel(result, endpoint, protocol, headers, traces, metrics, export_interval_ms,
                        set_global)  # fmt: skip
            if prometheus:
                _setup_prometheus(result, prometheus_registry, port, addr)
        except BaseException:
            _teardown(result)
            raise
        _current = result
        return result


def _setup_otel(
    t: Telemetry,
    endpoint: str | None,
    protocol: str,
    headers: dict[str, str] | None,
    traces: bool,
    metrics: bool,
    export_interval_ms: int,
    set_global: bool,
) -> None:
    from opentelemetry import metrics as otel_metrics
    from opentelemetry import trace as otel_trace
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    from ._otel import use_providers

    resource = Resource.create({"service.name": t.service_name})
    span_exporter: Any = None
    metric_exporter: Any = None
    if endpoint is not None:
        if protocol == "grpc":
            from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import (
                OTLPMetricExporter as GrpcMetricExporter,
            )
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
                OTLPSpanExporter as GrpcSpanExporter,
            )

            insecure = endpoint.startswith("http://") or "://" not in endpoint
            if traces:
                span_exporter = GrpcSpanExporter(endpoint=endpoint, insecure=insecure, headers=headers)
            if metrics:
                metric_exporter = GrpcMetricExporter(
                    endpoint=endpoint, insecure=insecure, headers=headers
                )
        else:
            from opentelemetry.exporter.otlp.proto.http.metric_exporter import (
                OTLPMetricExporter as HttpMetricExporter,
            )
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
                OTLPSpanExporter as HttpSpanExporter,
            )

            if traces:
                span_exporter = HttpSpanExporter(endpoint=f"{endpoint}/v1/traces", headers=headers)
            if metrics:
                metric_exporter = HttpMetricExporter(
                    endpoint=f"{endpoint}/v1/metrics", headers=headers
                )

    tracer_provider = TracerProvider(resource=resource)
    if span_exporter is not None:
        tracer_provider.add_span_processor(BatchSpanProcessor(span_exporter))
    readers = []
    if metric_exporter is not None:
        readers.append(
            PeriodicExportingMetricReader(metric_exporter, export_interval_millis=export_interval_ms)
        )
    meter_provider = MeterProvider(resource=resource, metric_readers=readers)
    t.tracer_provider, t.meter_provider = tracer_provider, meter_provider
    use_providers(tracer_provider=tracer_provider, meter_provider=meter_provider)
    if set_global:
        # The API installs a global provider only once per process; after a shutdown() the
        # library keeps using its own providers through use_providers() above.
        if isinstance(otel_trace.get_tracer_provider(), otel_trace.ProxyTracerProvider):
            otel_trace.set_tracer_provider(tracer_provider)
        from opentelemetry.metrics._internal import _ProxyMeterProvider

        if isinstance(otel_metrics.get_meter_provider(), _ProxyMeterProvider):
            otel_metrics.set_meter_provider(meter_provider)


def _setup_prometheus(t: Telemetry, registry: Any, port: int | None, addr: str) -> None:
    from prometheus_client import REGISTRY, start_http_server

    from ._prometheus import register_collector

    target = REGISTRY if registry is _DEFAULT_REGISTRY or registry is None else registry
    register_collector(target)
    t.prometheus_registry = target
    if port is not None:
        try:
            server, thread = start_http_server(port, addr=addr, registry=target)
        except OSError as exc:
            raise ConfigurationError(
                f"cannot serve /metrics on {addr}:{port}: {exc.strerror or exc}"
            ) from exc
        t._server, t._server_thread = server, thread
        t.metrics_port = int(server.server_port)


def _teardown(t: Telemetry) -> None:
    from ._otel import use_providers

    if t._server is not None:
        t._server.shutdown()
        t._server.server_close()
        t._server = None
    if t.prometheus_registry is not None:
        from ._prometheus import unregister_collector

        unregister_collector(t.prometheus_registry)
    for provider in (t.tracer_provider, t.meter_provider):
        if provider is not None:
            try:
                provider.shutdown()  # flushes pending spans and a last metric export
            except Exception:  # pragma: no cover - shutdown must not raise into atexit paths
                log.exception("error while shutting down %r", provider)
    if t.tracer_provider is not None or t.meter_provider is not None:
        use_providers()


def shutdown() -> None:
    """Flush and stop everything :func:`configure` started. A no-op when not configured."""
    global _current
    with _lock:
        t, _current = _current, None
    if t is not None and not t.disabled:
        _teardown(t)
