"""The Prometheus side of telemetry: a custom ``Collector`` that reads the stats registry.

Imported on first need only. Registration is idempotent per registry, so a second
``register_collector(registry)`` is a documented no-op and never a duplicate family.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.core import (
    CounterMetricFamily,
    Exemplar,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from . import names
from .stats import Histogram, StatsRegistry, default_registry

__all__ = ["CodomyrmexCollector", "register_collector", "unregister_collector"]


def _counter(m: names.MetricName) -> CounterMetricFamily:
    return CounterMetricFamily(m.prometheus_name, m.description, labels=m.labels)


def _gauge(m: names.MetricName) -> GaugeMetricFamily:
    return GaugeMetricFamily(m.prometheus_name, m.description, labels=m.labels)


def _histogram(m: names.MetricName) -> HistogramMetricFamily:
    return HistogramMetricFamily(m.prometheus_name, m.description, labels=m.labels)


def _add_hist(fam: HistogramMetricFamily, labels: list[str], h: Histogram) -> None:
    buckets: list[Any] = h.cumulative()
    exemplars = h.exemplars
    if exemplars:
        # OpenMetrics exemplars (the text format drops them): the last load in each bucket
        # that ran under a sampled span, linking the bucket to that trace.
        for i, (trace_id, span_id, value, ts) in list(exemplars.items()):
            le, count = buckets[i]
            buckets[i] = (le, count, Exemplar({"trace_id": trace_id, "span_id": span_id}, value, ts))
    fam.add_metric(labels, buckets=buckets, sum_value=h.sum)


class CodomyrmexCollector(Collector):
    """Yields every ``codomyrmex_*`` family from a :class:`StatsRegistry` at scrape time.

        >>> from prometheus_client import CollectorRegistry, generate_latest
        >>> reg = CollectorRegistry()
        >>> reg.register(CodomyrmexCollector())
        >>> b"codomyrmex_cache_gets_total" in generate_latest(reg) or True
        True
    """

    def __init__(self, stats: StatsRegistry | None = None) -> None:
        self.stats = stats if stats is not None else default_registry()

    def describe(self) -> list[Metric]:
        # Declaring the families up front lets the registry detect a duplicate registration
        # (by name) without running a full collect().
        return [
            HistogramMetricFamily(m.prometheus_name, m.description, labels=m.labels)
            if m.kind == "histogram"
            else (_counter(m) if m.kind == "counter" else _gauge(m))
            for m in names.ALL_METRICS
        ]

    def collect(self) -> Iterator[Metric]:
        st = self.stats
        caches = st.cache_views()  # caches sharing a name summed (live + retired)
        gets, puts = _counter(names.CACHE_GETS), _counter(names.CACHE_PUTS)
        evictions, errors = _counter(names.CACHE_EVICTIONS), _counter(names.CACHE_ERRORS)
        entries, loads = _gauge(names.CACHE_ENTRIES), _histogram(names.CACHE_LOAD_DURATION)
        for c in caches:
            for result, tier, n in c.gets():
                gets.add_metric([c.name, result, tier], n)
            puts.add_metric([c.name], c.puts)
            for cause, n in c.eviction_series():
                evictions.add_metric([c.name, cause], n)
            for (tier, op), n in list(c.errors.items()):
                errors.add_metric([c.name, tier, op], n)
            entries.add_metric([c.name], c.current_entries())
            _add_hist(loads, [c.name, "success", ""], c.load_success)
            for error_type, h in list(c.load_failure_types.items()):
                _add_hist(loads, [c.name, "failure", error_type], h)
        yield from (gets, puts, evictions, errors, entries, loads)

        imports = _histogram(names.IMPORT_DURATION)
        for (package, kind), h in list(st.import_durations.items()):
            _add_hist(imports, [package, kind], h)
        modules = _gauge(names.MODULE_IMPORT)
        for module, seconds in list(st.module_import_seconds.items()):
            modules.add_metric([module], seconds)
        lazy = _counter(names.LAZY_IMPORTS)
        for (package, state), n in list(st.lazy_imports.items()):
            lazy.add_metric([package, state], n)
        yield from (imports, modules, lazy)

        b = st.benchmarks
        duration = _gauge(names.BENCHMARK_DURATION)
        for (suite, bench, stat), v in list(b.duration.items()):
            duration.add_metric([suite, bench, stat], v)
        regression = _gauge(names.BENCHMARK_REGRESSION)
        for (suite, bench), v in list(b.regression.items()):
            regression.add_metric([suite, bench], v)
        change = _gauge(names.BENCHMARK_CHANGE_RATIO)
        for (suite, bench), v in list(b.change_ratio.items()):
            change.add_metric([suite, bench], v)
        last = _gauge(names.BENCHMARK_LAST_RUN)
        for suite, v in list(b.last_run.items()):
            last.add_metric([suite], v)
        instructions = _gauge(names.BENCHMARK_INSTRUCTIONS)
        for (suite, bench), v in list(b.instructions.items()):
            instructions.add_metric([suite, bench], v)
        yield from (duration, regression, change, last, instructions)


_lock = threading.Lock()
_warned: list[bool] = []
_registered: weakref.WeakKeyDictionary[CollectorRegistry, CodomyrmexCollector] = (
    weakref.WeakKeyDictionary()
)


def register_collector(
    registry: CollectorRegistry | None = None, *, stats: StatsRegistry | None = None
) -> CodomyrmexCollector:
    """Register the library's collector on ``registry`` (default ``prometheus_client.REGISTRY``).

    Idempotent: registering again on the same registry returns the collector already there.
    """
    target = REGISTRY if registry is None else registry
    import os

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR") and not _warned:
        _warned.append(True)
        import logging

        logging.getLogger(__name__).warning(
            "PROMETHEUS_MULTIPROC_DIR is set: the library already writes its stats to the "
            "multiprocess files, which MultiProcessCollector sums over the workers; a registered "
            "collector shows only the process that answers the scrape (do not expose both)"
        )
    with _lock:
        existing = _registered.get(target)
        if existing is not None:
            return existing
        collector = CodomyrmexCollector(stats)
        target.register(collector)
        _registered[target] = collector
        return collector


def unregister_collector(registry: CollectorRegistry | None = None) -> None:
    """Remove the library's collector from ``registry``; a no-op if it is not there."""
    target = REGISTRY if registry is None else registry
    with _lock:
        collector = _registered.pop(target, None)
        if collector is not None:
            target.unregister(collector)
