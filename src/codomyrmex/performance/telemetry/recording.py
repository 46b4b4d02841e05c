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
from contextlib import AbstractContextManager, contextmanager
from time import perf_counter, time_ns
from typing import Any, Protocol

from .names import SPAN_CACHE_LOAD
from .stats import CacheStats, StatsRegistry, default_registry

__all__ = [
    "SpanLike",
    "count_lazy_import",
    "load_end",
    "load_quiet",
    "load_start",
    "mark_error",
    "record_cache_load",
    "record_import_duration",
    "record_quiet_load",
    "set_span_threshold",
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


def record_cache_load(
    stats: CacheStats, seconds: float, *, ok: bool, error_type: str | None = None
) -> None:
    """A miss computed a value (``ok``) or raised (``error_type``: the exception's qualified
    name, ``_OTHER`` when unknown): the plain histogram, read by the exporters at collection.
    Callers hold the cache's lock. Prefer :func:`load_start` / :func:`load_end`."""
    if ok:
        stats.load_success.observe(seconds)
    else:
        stats.observe_failure(seconds, error_type or "_OTHER")
    _bridge().defer_load(seconds, stats.name, None if ok else (error_type or "_OTHER"), None)


# -- the miss path ------------------------------------------------------------------------------
# Budget (issue 10): the whole instrumentation of a miss must stay near a cachetools miss
# (~2 µs), even with an SDK configured. So: no span unless the current context is sampled (a
# root span per miss would cost ~10 µs and mean nothing without a request around it); with a
# span threshold, not even then unless the load turned out slow (the span is then made after the
# fact with its real start time); the duration goes into plain bucket counts, and the OTel
# histogram is fed from a queue when a reader collects (see _otel.Bridge.defer_load).

_span_threshold: float | None = None
#: What :func:`load_start` returns: ``(perf_counter start, span | None, context token,
#: deadline)``. ``deadline`` is the perf_counter time from which the load counts as slow (a
#: span is then made after the fact), 0.0 without a span threshold. Callers on the hot path
#: read it through :func:`load_quiet` (spelled out in TieredCache.lead).
_Load = tuple[float, Any, Any, float]


def set_span_threshold(seconds: float | None) -> None:
    """Make ``cache.load`` spans only for loads that take at least ``seconds`` (``None``: every
    load in a sampled context). Set by :func:`~codomyrmex.performance.telemetry.configure`."""
    global _span_threshold
    _span_threshold = seconds


_get_current_span: Any = None  # opentelemetry.trace.get_current_span, bound on first use
_INVALID_SPAN: Any = None  # what it returns outside any span
_otel_module: Any = None  # the ._otel module, bound on first use (imports the OTel API)


def _bind() -> Any:
    global _get_current_span, _INVALID_SPAN, _otel_module
    from opentelemetry import trace

    from . import _otel

    _otel_module = _otel
    _INVALID_SPAN = trace.INVALID_SPAN
    _get_current_span = trace.get_current_span
    return _get_current_span


def _otel() -> Any:
    """The ._otel module (bound on first use)."""
    if _otel_module is None:
        _bind()
    return _otel_module


def load_start(stats: CacheStats) -> _Load:
    """Begin a load (a miss computing its value). Pass the result to :func:`load_end`."""
    threshold = _span_threshold
    if threshold is not None:
        # Only a slow load gets a span, made after the fact: whether the context is sampled
        # is asked then (load_end), in the same context, so a fast load never asks.
        start = perf_counter()
        return (start, None, None, start + threshold)
    current = (_get_current_span or _bind())()
    if current is _INVALID_SPAN or not current.get_span_context().trace_flags.sampled:
        return (perf_counter(), None, None, 0.0)
    from opentelemetry import context, trace

    sp = _otel_module.bridge().tracer.start_span(SPAN_CACHE_LOAD, attributes={"cache": stats.name})
    token = context.attach(trace.set_span_in_context(sp))
    return (perf_counter(), sp, token, 0.0)


def load_quiet(load: _Load, end: float) -> bool:
    """Whether a successful load that ended at ``end`` (perf_counter) needs no span: then the
    caller records it with :func:`record_quiet_load` (under its own lock, beside whatever else
    it does there) instead of calling :func:`load_end`. TieredCache.lead spells this test out
    to save a call on every miss; keep the two in step."""
    return load[1] is None and (not load[3] or end < load[3])


def record_quiet_load(stats: CacheStats, seconds: float) -> None:
    """Record a successful load that has no span (see :func:`load_quiet`): the plain
    histogram, then the OTel queue. The caller holds the lock that guards ``stats``."""
    stats.load_success.observe(seconds)
    otel = _otel_module or _otel()
    if not otel._load_histogram_exported:  # configure()'s exporters read the plain buckets
        # bridge() inlined: the injected providers' bridge, else the global one once made
        (otel._bridge or otel._global_bridge or otel.bridge()).defer_load(seconds, stats.name, None, None)


def load_end(
    stats: CacheStats, load: _Load, lock: AbstractContextManager[Any], exc: BaseException | None = None
) -> None:
    """End a load begun by :func:`load_start`: ``exc`` is what the load raised, if anything.
    ``lock`` guards ``stats`` (the cache's own lock).

    The duration is recorded while the ``cache.load`` span is still current, so exemplars point
    at it; a failed load carries ``error.type`` on the span and on the metric."""
    end = perf_counter()
    start, sp, token, deadline = load
    seconds = end - start
    if exc is None and load_quiet(load, end):  # the common case
        with lock:
            record_quiet_load(stats, seconds)
        return
    error_type = None if exc is None else _error_type(exc)
    if sp is None and deadline and end >= deadline and _sampled():
        # a slow load in a sampled context: its span, made now with its real start time
        sp = _otel().bridge().tracer.start_span(
            SPAN_CACHE_LOAD, attributes={"cache": stats.name}, start_time=time_ns() - int(seconds * 1e9)
        )
    exemplar = None
    ctx = None
    if sp is not None:
        from opentelemetry import trace

        span_context = sp.get_span_context()
        if span_context.trace_flags.sampled:
            exemplar = (format(span_context.trace_id, "032x"), format(span_context.span_id, "016x"),
                        time_ns() / 1e9)  # fmt: skip
            ctx = trace.set_span_in_context(sp)
        if exc is not None:
            sp.set_attribute("error.type", error_type)
            mark_error(sp, exc)
    with lock:
        if error_type is None:
            stats.load_success.observe(seconds, exemplar)
        else:
            stats.observe_failure(seconds, error_type, exemplar)
    _otel().bridge().defer_load(seconds, stats.name, error_type, ctx)
    if sp is not None:
        sp.end()
        if token is not None:
            from opentelemetry import context

            context.detach(token)


def _sampled() -> bool:
    current = (_get_current_span or _bind())()
    return current is not _INVALID_SPAN and bool(current.get_span_context().trace_flags.sampled)


def _error_type(exc: BaseException) -> str:
    """``error.type`` per the OTel conventions: the exception class's qualified name
    (builtins without their module: ``ValueError``, ``mypkg.errors.Timeout``)."""
    cls = type(exc)
    module = cls.__module__
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"


def record_import_duration(
    package: str, kind: str, seconds: float, *, registry: StatsRegistry | None = None
) -> None:
    """One import of top-level ``package`` took ``seconds`` (``kind``: self or cumulative)."""
    label = (registry or default_registry()).observe_import(package, kind, seconds)
    # the same label as the plain histogram: a package outside the top K is "other" on both paths
    _bridge().import_duration.record(seconds, {"package": label, "kind": kind})


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
