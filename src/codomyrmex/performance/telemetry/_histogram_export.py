"""The cache load histogram on the OTLP path, read from the plain bucket counts at export time.

An SDK ``Histogram.record`` costs ~5 µs, more than a whole cachetools miss, and the OTel API has
no observable histogram. So when :func:`~._configure.configure` builds the meter provider (and
therefore its own exporters), each of its metric exporters is wrapped in :class:`LoadHistogramExporter`,
which adds ``codomyrmex.cache.load_duration`` to every export from the plain
:class:`~.stats.Histogram` objects, the way the observable counters read the plain ints: the
miss path makes no OTel call for it. The application's own providers and exporters are never
wrapped: when the library records into them, loads are queued and recorded when a reader
collects (:meth:`._otel.Bridge.defer_load`).

Data points are cumulative (start time: when configure() ran), whatever the exporter prefers.

    >>> LoadHistogramExporter.__mro__[1].__name__
    'MetricExporter'
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from opentelemetry.sdk.metrics import Exemplar
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    Histogram,
    HistogramDataPoint,
    Metric,
    MetricExporter,
    MetricExportResult,
    MetricsData,
    ResourceMetrics,
    ScopeMetrics,
)
from opentelemetry.sdk.util.instrumentation import InstrumentationScope

from .._version import __version__
from . import names
from .stats import Histogram as PlainHistogram
from .stats import StatsRegistry, default_registry

__all__ = ["LoadHistogramExporter"]


class LoadHistogramExporter(MetricExporter):
    """Wraps one of the library's own metric exporters; adds the load histogram to each export."""

    def __init__(self, inner: MetricExporter, stats: StatsRegistry | None = None) -> None:
        super().__init__(
            preferred_temporality=getattr(inner, "_preferred_temporality", None),
            preferred_aggregation=getattr(inner, "_preferred_aggregation", None),
        )
        self.inner = inner
        self.stats = stats if stats is not None else default_registry()
        self.start_ns = time.time_ns()

    def export(self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any) -> MetricExportResult:
        return self.inner.export(self._with_loads(metrics_data), timeout_millis=timeout_millis, **kwargs)

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return self.inner.force_flush(timeout_millis=timeout_millis)

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        self.inner.shutdown(timeout_millis=timeout_millis, **kwargs)

    def _points(self, now: int) -> Iterator[HistogramDataPoint]:
        for c in self.stats.cache_views():
            series: list[tuple[dict[str, str], PlainHistogram]] = [
                ({"cache": c.name, "result": "success"}, c.load_success)
            ]
            series += [({"cache": c.name, "result": "failure", "error.type": t}, h)
                       for t, h in list(c.load_failure_types.items())]  # fmt: skip
            for attrs, h in series:
                if not h.count:
                    continue
                exemplars = [
                    Exemplar({}, value, int(ts * 1e9), int(span_id, 16), int(trace_id, 16))
                    for trace_id, span_id, value, ts in list((h.exemplars or {}).values())
                ]
                yield HistogramDataPoint(
                    attributes=attrs, start_time_unix_nano=self.start_ns, time_unix_nano=now,
                    count=h.count, sum=h.sum, bucket_counts=list(h.counts),
                    explicit_bounds=list(h.bounds), min=h.min, max=h.max, exemplars=exemplars,
                )  # fmt: skip

    def _with_loads(self, data: MetricsData) -> MetricsData:
        points = list(self._points(time.time_ns()))
        if not points or not data.resource_metrics:
            return data
        m = names.CACHE_LOAD_DURATION
        metric = Metric(name=m.otel_name, description=m.description, unit=m.unit,
                        data=Histogram(data_points=points,
                                       aggregation_temporality=AggregationTemporality.CUMULATIVE))  # fmt: skip
        first, *rest = data.resource_metrics
        scopes = list(first.scope_metrics)
        for i, sm in enumerate(scopes):
            if sm.scope.name == names.INSTRUMENTATION_SCOPE:
                kept = [x for x in sm.metrics if x.name != m.otel_name]
                scopes[i] = ScopeMetrics(scope=sm.scope, metrics=[*kept, metric], schema_url=sm.schema_url)
                break
        else:
            scope = InstrumentationScope(names.INSTRUMENTATION_SCOPE, __version__)
            scopes.append(ScopeMetrics(scope=scope, metrics=[metric], schema_url=""))
        merged = ResourceMetrics(resource=first.resource, scope_metrics=scopes, schema_url=first.schema_url)
        return MetricsData(resource_metrics=[merged, *rest])
