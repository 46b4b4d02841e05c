"""Telemetry: the only place that knows OpenTelemetry and Prometheus.

Feature code records into plain stats objects (:mod:`.stats`) and calls the helpers in
:mod:`.recording`; the OTel observable instruments and the Prometheus collector read those
objects at collection time. Applications call :func:`configure` once::

    from codomyrmex.performance import telemetry

    telemetry.configure(otlp_endpoint="http://127.0.0.1:4318", metrics_port=9464)
    ...
    telemetry.shutdown()

Importing this package does not import the OTel SDK, exporters or prometheus_client. The SDK
and exporters are the ``[otlp]`` extra; an application that installed its own providers gets the
library's spans and metrics in them (``configure()`` then only adds what it was asked for, such
as ``/metrics``). Under ``PROMETHEUS_MULTIPROC_DIR`` the stats are mirrored into
prometheus_client's multiprocess files (:mod:`._multiprocess`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import _lazy_exports
from . import names
from .stats import CacheStats, Histogram, StatsRegistry, default_registry

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

    from ._configure import Telemetry, configure, current, shutdown
    from ._prometheus import CodomyrmexCollector

__all__ = [
    "CacheStats",
    "Histogram",
    "StatsRegistry",
    "Telemetry",
    "configure",
    "current",
    "default_registry",
    "names",
    "register_collector",
    "shutdown",
    "unregister_collector",
    "use_providers",
]


# configure() and friends live in _configure, which imports logging, dataclasses and the env
# table: loaded on first access so that recording a lazy import or a cache stat stays cheap.
_LAZY = {"Telemetry": "_configure", "configure": "_configure", "current": "_configure",
         "shutdown": "_configure"}  # fmt: skip

__getattr__, __dir__ = _lazy_exports(__name__, globals(), _LAZY, __all__)


def register_collector(
    registry: CollectorRegistry | None = None, *, stats: StatsRegistry | None = None
) -> CodomyrmexCollector:
    """Register the library's Prometheus collector (idempotent per registry)."""
    from ._prometheus import register_collector as _register

    return _register(registry, stats=stats)


def unregister_collector(registry: CollectorRegistry | None = None) -> None:
    """Remove the library's collector from ``registry`` (a no-op when absent)."""
    from ._prometheus import unregister_collector as _unregister

    _unregister(registry)


def use_providers(*, tracer_provider: Any = None, meter_provider: Any = None) -> None:
    """Route the library's telemetry to these OTel providers (``None``, ``None``: the globals)."""
    from ._otel import use_providers as _use

    _use(tracer_provider=tracer_provider, meter_provider=meter_provider)
