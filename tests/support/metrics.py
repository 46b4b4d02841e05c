"""What the library's Prometheus collector exposes, scraped as a Prometheus server would."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from codomyrmex.performance import telemetry

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def collector_samples(stats: Any) -> Samples:
    """Every sample of the collector over ``stats`` in a fresh registry, parsed from the text
    exposition: ``{(sample name, sorted labels): value}``."""
    registry = CollectorRegistry()
    telemetry.register_collector(registry, stats=stats)
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for fam in text_string_to_metric_families(generate_latest(registry).decode())
        for s in fam.samples
    }
