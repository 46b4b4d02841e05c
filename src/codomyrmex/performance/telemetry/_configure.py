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
from ._exporters import exporter_names, make_exporter, require_sdk, sdk_disabled

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
    export_interval_ms: int | None = None
    disabled: bool = False
    #: ``OTEL_SDK_DISABLED=true``: no SDK provider was built (Prometheus still served).
    sdk_disabled: bool = False
    #: Signals ("metrics", "traces") whose provider the application had installed already.
    host_providers: tuple[str, ...] = ()
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
#: ids of the providers an earlier configure() installed as globals (kept alive by the API):
#: those are ours, not the application's, when configure() runs again after shutdown().
_ours: set[int] = set()


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


_DEFAULT_SERVICE_NAME = "codomyrmex-agent"
_PROTOCOL_ALIASES = {"http": "http/protobuf"}


def _check_endpoint(endpoint: str, protocol: str, source: str) -> str:
    if not isinstance(endpoint, str) or not endpoint.strip():
        raise ConfigurationError(f"{source} must be a non-empty URL, got {endpoint!r}")
    if protocol == "http/protobuf" and not endpoint.startswith(("http://", "https://")):
        raise ConfigurationError(
            f"{source} for http/protobuf must start with http:// or https://, got {endpoint!r}"
        )
    return endpoint.rstrip("/")


def _protocol(explicit: str | None, signal: str) -> str:
    """The OTLP protocol of ``signal`` (TRACES or METRICS), validated."""
    source = "otlp_protocol"
    value = explicit
    if value is None:
        for var in (f"OTEL_EXPORTER_OTLP_{signal}_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"):
            if os.environ.get(var):
                value, source = os.environ[var], var
                break
    value = _PROTOCOL_ALIASES.get(value or "http/protobuf", value or "http/protobuf")
    check_choice(source, value, PROTOCOLS)
    return value


def _signal_plan(
    signal: str, *, otlp_endpoint: str | None, otlp_protocol: str | None
) -> tuple[tuple[str, ...], str, str | None, bool]:
    """``(exporters, protocol, endpoint to pass the OTLP exporter, explicit?)`` for ``signal``.

    With an ``otlp_endpoint`` argument we build the signal URL; otherwise the exporter gets
    ``None`` and resolves the standard variables itself (per-signal before generic).
    ``OTEL_<SIGNAL>_EXPORTER`` (otlp, console, none) overrides the choice; ``explicit`` says the
    caller passed ``otlp_endpoint`` (as opposed to the environment naming one)."""
    upper = signal.upper()
    protocol = _protocol(otlp_protocol, upper)
    configured, url = False, None
    if otlp_endpoint is not None:
        url = f"{otlp_endpoint}/v1/{signal}" if protocol == "http/protobuf" else otlp_endpoint
        configured = True
    else:
        for var in (f"OTEL_EXPORTER_OTLP_{upper}_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"):
            value = os.environ.get(var)
            if value:
                _check_endpoint(value, protocol, var)
                configured = True
                break
    names = exporter_names(signal, endpoint_configured=configured)
    return names, protocol, url, otlp_endpoint is not None


def _host_has_tracer_provider() -> bool:
    """The application installed a tracer provider (anything but the API's proxy / no-op)."""
    from opentelemetry import trace

    tp = trace.get_tracer_provider()
    return id(tp) not in _ours and not isinstance(tp, trace.ProxyTracerProvider | trace.NoOpTracerProvider)


def _host_has_meter_provider() -> bool:
    """The application installed a meter provider. The API's own proxy and no-op providers live
    in the ``opentelemetry.metrics`` package; anything else (an SDK ``MeterProvider``, a vendor's)
    was installed by someone. Checked by module name so that no private OTel module is imported."""
    from opentelemetry import metrics

    mp = metrics.get_meter_provider()
    return id(mp) not in _ours and not type(mp).__module__.startswith("opentelemetry.metrics")


def _service_name_from_env() -> str | None:
    if os.environ.get("OTEL_SERVICE_NAME"):
        return os.environ["OTEL_SERVICE_NAME"]
    for item in os.environ.get("OTEL_RESOURCE_ATTRIBUTES", "").split(","):
        key, _, value = item.partition("=")
        if key.strip() == "service.name" and value.strip():
            return value.strip()
    return None


def configure(
    *,
    service_name: str | None = None,
    otlp_endpoint: str | None = None,
    otlp_protocol: str | None = None,
    otlp_headers: str | dict[str, str] | None = None,
    traces: bool = True,
    metrics: bool = True,
    export_interval_ms: int | None = None,
    prometheus: bool = True,
    prometheus_registry: CollectorRegistry | None = _DEFAULT_REGISTRY,
    metrics_port: int | None = None,
    metrics_addr: str | None = None,
    set_global: bool = True,
    span_threshold: float | None = None,
) -> Telemetry:
    """Set up export of the library's telemetry. Call once at application start.

    - OTLP (HTTP or gRPC) for a signal when ``otlp_endpoint``, ``OTEL_EXPORTER_OTLP_ENDPOINT`` or
      the signal's own ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` / ``..._METRICS_ENDPOINT`` is set.
      An ``otlp_endpoint`` argument is a base URL that gets ``/v1/traces`` and ``/v1/metrics``
      appended for HTTP, as the standard variable does; without the argument the SDK exporters
      read every standard ``OTEL_EXPORTER_OTLP_*`` variable themselves (per-signal ones win).
      The protocol is ``otlp_protocol``, else ``OTEL_EXPORTER_OTLP_<SIGNAL>_PROTOCOL``, else
      ``OTEL_EXPORTER_OTLP_PROTOCOL``, else ``http/protobuf``.
    - ``service.name``: ``service_name``, else ``CODOMYRMEX_PERF_SERVICE_NAME``, else what
      ``OTEL_SERVICE_NAME`` / ``OTEL_RESOURCE_ATTRIBUTES`` say, else ``codomyrmex-agent``.
    - ``export_interval_ms``: the metric export interval; ``None`` means
      ``OTEL_METRIC_EXPORT_INTERVAL``, default 60 s as in the SDK.
    - The Prometheus collector on ``prometheus_registry`` (default ``prometheus_client.REGISTRY``).
    - A ``/metrics`` server when ``metrics_port`` (or ``CODOMYRMEX_PERF_METRICS_PORT``) is set;
      ``0`` picks a free port, readable afterwards as ``Telemetry.metrics_port``.
    - ``OTEL_TRACES_EXPORTER`` / ``OTEL_METRICS_EXPORTER`` (``otlp``, ``console``, ``none``,
      comma-separated) choose the exporters of a signal when set; ``OTEL_SDK_DISABLED=true``
      builds no SDK provider at all. The SDK and exporters are the ``[otlp]`` extra: without
      them, asking for an exporter raises :class:`ConfigurationError` naming it.
    - An SDK provider is built only for a signal that has an exporter and no provider installed
      by the application. When the application installed one, the library records into it and
      leaves it exactly as it is (``Telemetry.host_providers`` names those signals).
    - ``set_global``: install the providers built here as the OTel globals (nobody else has;
      the API allows it only once per process, else the library uses them explicitly).
    - ``span_threshold``: seconds; a ``cache.load`` span is then made only for loads at least
      that slow (after the fact, with the real start time). Spans are made only when the
      current context is sampled in any case (a miss outside a traced request makes none).

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
    if export_interval_ms is not None:
        check_positive_int("export_interval_ms", export_interval_ms)
    else:
        raw = os.environ.get("OTEL_METRIC_EXPORT_INTERVAL", "").strip() or "60000"
        if not raw.isdigit() or int(raw) < 1:
            raise ConfigurationError(
                f"OTEL_METRIC_EXPORT_INTERVAL must be an integer >= 1 (milliseconds), got {raw!r}"
            )
        export_interval_ms = int(raw)
    explicit_name = service_name if service_name is not None else env.get("CODOMYRMEX_PERF_SERVICE_NAME")
    if explicit_name is not None and (not isinstance(explicit_name, str) or not explicit_name.strip()):
        raise ConfigurationError(f"service_name must be a non-empty string, got {service_name!r}")
    endpoint = None
    if otlp_endpoint is not None:
        protocol = _protocol(otlp_protocol, "TRACES")
        endpoint = _check_endpoint(otlp_endpoint, protocol, "otlp_endpoint")
    signals = {
        signal: _signal_plan(signal, otlp_endpoint=endpoint, otlp_protocol=otlp_protocol)
        for signal, wanted in (("traces", traces), ("metrics", metrics)) if wanted
    }  # fmt: skip
    name = explicit_name or _service_name_from_env() or _DEFAULT_SERVICE_NAME
    protocol = next((plan[1] for plan in signals.values() if plan[0]), _protocol(otlp_protocol, "TRACES"))
    if endpoint is None:
        endpoint = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or None
    headers = _parse_headers(otlp_headers)
    port = metrics_port if metrics_port is not None else env.get_int("CODOMYRMEX_PERF_METRICS_PORT")
    if port is not None:
        check_port("metrics_port", port)
    addr = metrics_addr or env.get("CODOMYRMEX_PERF_METRICS_ADDR") or "127.0.0.1"
    if span_threshold is not None and (
        isinstance(span_threshold, bool) or not isinstance(span_threshold, int | float)
        or not 0 <= span_threshold < float("inf")
    ):
        raise ConfigurationError(f"span_threshold must be a number of seconds >= 0 or None, got {span_threshold!r}")

    with _lock:
        if _current is not None:
            raise TelemetryError(
                "telemetry is already configured; call codomyrmex.performance.telemetry"
                ".shutdown() before configuring again"
            )
        if env.get_bool("CODOMYRMEX_PERF_DISABLED"):
            _current = Telemetry(service_name=name, disabled=True)
            return _current
        result = Telemetry(service_name=name, otlp_endpoint=endpoint, otlp_protocol=protocol,
                           export_interval_ms=export_interval_ms)  # fmt: skip
        try:
            if span_threshold is not None:
                from .recording import set_span_threshold

                set_span_threshold(float(span_threshold))
            _setup_otel(result, signals, headers, explicit_name, export_interval_ms, set_global)
            if prometheus:
                _setup_prometheus(result, prometheus_registry, port, addr)
        except BaseException:
            _teardown(result)
            raise
        _current = result
        return result


def _setup_otel(
    t: Telemetry,
    signals: dict[str, tuple[tuple[str, ...], str, str | None, bool]],
    headers: dict[str, str] | None,
    explicit_name: str | None,
    export_interval_ms: int,
    set_global: bool,
) -> None:
    """Build an SDK provider for a signal only when an exporter is wanted for it and the
    application has not installed a provider of its own; otherwise record into the globals."""
    if sdk_disabled():
        t.sdk_disabled = True
        return
    host = {"traces": _host_has_tracer_provider(), "metrics": _host_has_meter_provider()}
    t.host_providers = tuple(sorted(signal for signal, owned in host.items() if owned))
    wanted: dict[str, tuple[tuple[str, ...], str, str | None]] = {}
    for signal, (exporters, protocol, endpoint, explicit) in signals.items():
        if not exporters:
            continue
        if host[signal]:
            # A guest's manners: the application's provider is left exactly as it is; our
            # telemetry goes into it and its own exporters send it.
            if explicit:
                log.warning(
                    "the application already installed an OpenTelemetry %s provider: the "
                    "library records into it and does not add the %s exporter for %s",
                    signal, "/".join(exporters), endpoint,
                )  # fmt: skip
            continue
        wanted[signal] = (exporters, protocol, endpoint)
    if not wanted:
        return
    require_sdk("exporting telemetry (" + ", ".join(f"{s}: {'/'.join(w[0])}" for s, w in wanted.items()) + ")")
    from opentelemetry import metrics as otel_metrics
    from opentelemetry import trace as otel_trace
    from opentelemetry.sdk.resources import Resource

    from ._otel import use_providers

    # service.name set here wins over OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES, so it is set
    # only when the caller asked for one or the environment names none.
    attributes = {}
    if explicit_name is not None or _service_name_from_env() is None:
        attributes["service.name"] = t.service_name
    resource = Resource.create(attributes)
    t.service_name = str(resource.attributes.get("service.name", t.service_name))
    built: dict[str, list[Any]] = {
        signal: [make_exporter(signal, name, protocol, endpoint, headers) for name in names]
        for signal, (names, protocol, endpoint) in wanted.items()
    }
    if "traces" in built:
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        t.tracer_provider = TracerProvider(resource=resource)
        for exporter in built["traces"]:
            t.tracer_provider.add_span_processor(BatchSpanProcessor(exporter))
    if "metrics" in built:
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

        from ._histogram_export import LoadHistogramExporter
        from ._otel import set_load_histogram_exported

        # Our own exporters carry the load histogram read from the plain buckets at export
        # time, so the miss path makes no SDK call for it (see _histogram_export).
        readers = [PeriodicExportingMetricReader(LoadHistogramExporter(e), export_interval_millis=export_interval_ms)
                   for e in built["metrics"]]  # fmt: skip
        set_load_histogram_exported(True)
        t.meter_provider = MeterProvider(resource=resource, metric_readers=readers)
    if set_global:
        # Nobody but an earlier configure() installed one (checked above); the API accepts a
        # global only once per process, so this may be refused after a shutdown().
        if t.tracer_provider is not None:
            _ours.add(id(t.tracer_provider))
            otel_trace.set_tracer_provider(t.tracer_provider)
        if t.meter_provider is not None:
            _ours.add(id(t.meter_provider))
            otel_metrics.set_meter_provider(t.meter_provider)
        if (t.tracer_provider is None or otel_trace.get_tracer_provider() is t.tracer_provider) and (
            t.meter_provider is None or otel_metrics.get_meter_provider() is t.meter_provider
        ):
            return
    # Not global (or the API refused, a global having been set once before in this process):
    # the library's own telemetry goes to these providers explicitly.
    use_providers(tracer_provider=t.tracer_provider, meter_provider=t.meter_provider)


def _setup_prometheus(t: Telemetry, registry: Any, port: int | None, addr: str) -> None:
    from prometheus_client import REGISTRY, start_http_server

    from ._prometheus import register_collector

    default = registry is _DEFAULT_REGISTRY or registry is None
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Several worker processes: each writes its stats to the multiprocess files (the
        # mirror) and /metrics sums the files of all workers. Our per-process collector would
        # show whichever worker answered, so it is not registered; the default target is a
        # fresh registry, as prometheus_client advises for MultiProcessCollector.
        from prometheus_client import CollectorRegistry, multiprocess

        from ._multiprocess import start
        from .stats import default_registry

        start(default_registry())
        target = CollectorRegistry() if default else registry
        multiprocess.MultiProcessCollector(target)  # type: ignore[no-untyped-call]  # untyped upstream
        t.prometheus_registry = None  # nothing of ours to unregister
    else:
        target = REGISTRY if default else registry
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
    from .recording import set_span_threshold

    set_span_threshold(None)

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
    if t.meter_provider is not None:
        from ._otel import set_load_histogram_exported

        set_load_histogram_exported(False)
    if t.tracer_provider is not None or t.meter_provider is not None:
        use_providers()


def shutdown() -> None:
    """Flush and stop everything :func:`configure` started. A no-op when not configured."""
    global _current
    with _lock:
        t, _current = _current, None
    if t is not None and not t.disabled:
        _teardown(t)
