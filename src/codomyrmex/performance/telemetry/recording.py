"""The tiny helpers feature code calls on slow paths (misses, imports, benchmark runs).

Feature code never imports ``opentelemetry`` or ``prometheus_client``; it records here. The OTel
API is imported on the first call, not at ``import codomyrmex.performance``. Without an SDK
installed by the application, every call is a cheap no-op on the OTel side and only updates the
plain stats objects.

    >>> from codomyrmex.performance.telemetry import recording
    >>> with recording.span("cache.load", {"cache": "demo"}) as sp:
    ...     sp.set_attribute("result", "success")
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

from .stats import CacheStats, StatsRegistry, default_registry

__all__ = [
    "SpanLike",
    "count_lazy_import",
    "mark_error",
    "record_cache_load",
    "record_import_duration",
    "span",
    "start_span",
]

AttrValue = str | bool | int | float
Attributes = Mapping[str, AttrValue]


class SpanLike(Protocol):
    """The part of an OTel span feature code may use."""

    def set_attribute(self, key: str, value: Any) -> None: ...
    def end(self, end_time: int | None = None) -> None: ...
    def is_recording(self) -> bool: ...


def _bridge() -> Any:
    from ._otel import bridge  # first call imports the OTel API; later calls are a dict lookup

    return bridge()


def record_cache_load(stats: CacheStats, seconds: float, *, ok: bool) -> None:
    """A miss computed a value (``ok``) or raised: update the plain histogram and the OTel one."""
    (stats.load_success if ok else stats.load_failure).observe(seconds)
    _bridge().cache_load.record(
        seconds, {"cache": stats.name, "result": "success" if ok else "failure"}
    )


def record_import_duration(
    package: str, kind: str, seconds: float, *, registry: StatsRegistry | None = None
) -> None:
    """One import of top-level ``package`` took ``seconds`` (``kind``: self or cumulative)."""
    (registry or default_registry()).observe_import(package, kind, seconds)
    _bridge().import_duration.record(seconds, {"package": package, "kind": kind})


def count_lazy_import(package: str, state: str, *, registry: StatsRegistry | None = None) -> None:
    """A lazy import of ``package`` resolved (``state``: loaded or failed)."""
    (registry or default_registry()).count_lazy_import(package, state)


@contextmanager
def span(name: str, attributes: Attributes | None = None) -> Iterator[SpanLike]:
    """A span around a slow operation, made current for its duration. Exceptions are recorded
    on the span and re-raised."""
    with _bridge().tracer.start_as_current_span(name, attributes=attributes) as sp:
        yield sp


def start_span(
    name: str,
    *,
    parent: SpanLike | None = None,
    start_time_ns: int | None = None,
    attributes: Attributes | None = None,
) -> SpanLike:
    """Start a span that the caller ends with ``span.end(end_time=ns)``.

    For trees built after the fact (import spans with their real timestamps): pass the parent
    span returned by an earlier call, or ``None`` for a child of the current span.
    """
    from opentelemetry import trace

    context = trace.set_span_in_context(parent) if parent is not None else None  # type: ignore[arg-type]
    sp: SpanLike = _bridge().tracer.start_span(
        name, context=context, attributes=attributes, start_time=start_time_ns
    )
    return sp


def mark_error(sp: SpanLike, exc: BaseException) -> None:
    """Mark ``sp`` as failed with ``exc`` (status ERROR plus an exception event)."""
    from opentelemetry.trace import Span, Status, StatusCode

    if isinstance(sp, Span):
        sp.record_exception(exc)
        sp.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
