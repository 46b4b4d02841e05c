"""Which exporters :func:`~._configure.configure` builds, from its arguments and the standard
``OTEL_*`` switches, and the exporters themselves (OTLP HTTP/gRPC, console).

The OTel SDK and the OTLP exporters are the ``[otlp]`` extra: they are imported here only when an
exporter is actually built, and a missing one is a :class:`ConfigurationError` naming the extra.

    >>> from codomyrmex.performance.telemetry._exporters import exporter_names
    >>> exporter_names("traces", endpoint_configured=True, environ={})
    ('otlp',)
    >>> exporter_names("traces", endpoint_configured=True, environ={"OTEL_TRACES_EXPORTER": "none"})
    ()
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from ..errors import ConfigurationError

__all__ = ["EXTRA_HINT", "exporter_names", "make_exporter", "require_sdk", "sdk_disabled"]

EXTRA_HINT = "pip install 'codomyrmex-performance[otlp]'"
EXPORTER_CHOICES = ("otlp", "console", "none")


def sdk_disabled(environ: Mapping[str, str] = os.environ) -> bool:
    """``OTEL_SDK_DISABLED=true`` (case-insensitive, as the SDK reads it)."""
    return environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true"


def exporter_names(
    signal: str, *, endpoint_configured: bool, environ: Mapping[str, str] = os.environ
) -> tuple[str, ...]:
    """The exporters wanted for ``signal`` ("traces" or "metrics").

    ``OTEL_TRACES_EXPORTER`` / ``OTEL_METRICS_EXPORTER`` (a comma list of ``otlp``, ``console``,
    ``none``) decide when set; otherwise OTLP when an endpoint is configured, else nothing."""
    var = f"OTEL_{signal.upper()}_EXPORTER"
    raw = environ.get(var, "").strip()
    if not raw:
        return ("otlp",) if endpoint_configured else ()
    names = tuple(dict.fromkeys(part.strip().lower() for part in raw.split(",") if part.strip()))
    unknown = [n for n in names if n not in EXPORTER_CHOICES]
    if unknown:
        raise ConfigurationError(
            f"{var} must be a comma-separated list of {', '.join(map(repr, EXPORTER_CHOICES))}, "
            f"got {raw!r}"
        )
    if "none" in names:
        if len(names) > 1:
            raise ConfigurationError(f"{var}: 'none' cannot be combined with other exporters, got {raw!r}")
        return ()
    return names


def require_sdk(what: str) -> None:
    """Raise :class:`ConfigurationError` naming the ``[otlp]`` extra when the SDK is missing."""
    try:
        import opentelemetry.sdk.trace  # noqa: F401
    except ImportError as exc:
        raise ConfigurationError(
            f"{what} needs the OpenTelemetry SDK and exporters, which are not installed; "
            f"install them with: {EXTRA_HINT}"
        ) from exc


def make_exporter(
    signal: str, name: str, protocol: str, endpoint: str | None, headers: dict[str, str] | None
) -> Any:
    """Build one exporter (``name``: otlp or console) for ``signal``."""
    try:
        if name == "console":
            import sys

            # sys.stdout as it is now (the exporters' default is the one at their import).
            if signal == "traces":
                from opentelemetry.sdk.trace.export import ConsoleSpanExporter

                return ConsoleSpanExporter(out=sys.stdout)
            from opentelemetry.sdk.metrics.export import ConsoleMetricExporter

            return ConsoleMetricExporter(out=sys.stdout)
        return _otlp(signal, protocol, endpoint, headers)
    except ImportError as exc:
        raise ConfigurationError(
            f"the {name} {signal} exporter ({protocol}) is not installed; install it with: "
            f"{EXTRA_HINT}"
        ) from exc


def _otlp(signal: str, protocol: str, endpoint: str | None, headers: dict[str, str] | None) -> Any:
    if protocol == "grpc":
        insecure = None if endpoint is None else (endpoint.startswith("http://") or "://" not in endpoint)
        if signal == "traces":
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

            return OTLPSpanExporter(endpoint=endpoint, insecure=insecure, headers=headers)
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter

        return OTLPMetricExporter(endpoint=endpoint, insecure=insecure, headers=headers)
    if signal == "traces":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
            OTLPSpanExporter as HttpSpanExporter,
        )

        return HttpSpanExporter(endpoint=endpoint, headers=headers)
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import (
        OTLPMetricExporter as HttpMetricExporter,
    )

    return HttpMetricExporter(endpoint=endpoint, headers=headers)
