"""Push a stats registry's benchmark families to a Prometheus Pushgateway.

Imported on first need only (it imports prometheus_client). The series layer fills a fresh
:class:`~.stats.StatsRegistry` from one run and pushes it here, so the pushed families are exactly
the ones the collector exposes on ``/metrics``::

    from codomyrmex.performance.telemetry._push import push_benchmark_stats
    push_benchmark_stats("http://127.0.0.1:9091", stats, job="codomyrmex_benchmarks",
                         grouping_key={"suite": "agent", "host": "ci-1"})
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from prometheus_client import CollectorRegistry, push_to_gateway
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from ._prometheus import CodomyrmexCollector
from .names import (
    BENCHMARK_CHANGE_RATIO,
    BENCHMARK_DURATION,
    BENCHMARK_INSTRUCTIONS,
    BENCHMARK_LAST_RUN,
    BENCHMARK_REGRESSION,
)
from .stats import StatsRegistry

__all__ = ["push_benchmark_stats"]

_BENCHMARK_FAMILIES = frozenset(
    m.prometheus_name
    for m in (BENCHMARK_DURATION, BENCHMARK_REGRESSION, BENCHMARK_CHANGE_RATIO, BENCHMARK_LAST_RUN,
              BENCHMARK_INSTRUCTIONS)
)


class _BenchmarkOnly(Collector):
    """The library collector restricted to the benchmark families that have samples."""

    def __init__(self, stats: StatsRegistry) -> None:
        self._inner = CodomyrmexCollector(stats)

    def collect(self) -> Iterator[Metric]:
        for family in self._inner.collect():
            if family.name in _BENCHMARK_FAMILIES and family.samples:
                yield family


def push_benchmark_stats(
    gateway: str,
    stats: StatsRegistry,
    *,
    job: str,
    grouping_key: Mapping[str, str],
    timeout: float = 10.0,
) -> None:
    """PUT the benchmark gauges of ``stats`` to ``gateway`` under ``job`` and ``grouping_key``
    (replacing that group's previous values, as a new run of the suite should)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_BenchmarkOnly(stats))
    push_to_gateway(gateway, job=job, registry=registry, grouping_key=dict(grouping_key), timeout=timeout)
