"""Every metric and span name, unit, label and bucket boundary of the library, in one place.

One set of names serves both export paths (DESIGN.md): the OTel instrument
``codomyrmex.cache.gets`` with attributes ``cache``, ``result``, ``tier`` becomes the Prometheus
family ``codomyrmex_cache_gets_total{cache,result,tier}``, whether through our own collector or
through an OTLP→Prometheus pipeline. Attribute keys equal label names, except the OTel
semantic-convention key ``error.type`` of failed loads, which Prometheus spells ``error_type``
(as an OTLP→Prometheus translation does).

    >>> from codomyrmex.performance.telemetry import names
    >>> names.CACHE_GETS.prometheus_name, names.CACHE_GETS.sample_name
    ('codomyrmex_cache_gets', 'codomyrmex_cache_gets_total')
"""

from __future__ import annotations

from typing import Literal, NamedTuple

__all__ = [
    "ALL_METRICS",
    "BENCHMARK_CHANGE_RATIO",
    "BENCHMARK_DURATION",
    "BENCHMARK_INSTRUCTIONS",
    "BENCHMARK_LAST_RUN",
    "BENCHMARK_REGRESSION",
    "BENCHMARK_STATS",
    "CACHE_ENTRIES",
    "CACHE_ERRORS",
    "CACHE_EVICTIONS",
    "CACHE_GETS",
    "CACHE_LOAD_DURATION",
    "CACHE_PUTS",
    "DURATION_BUCKETS",
    "EVICTION_CAUSES",
    "IMPORT_DURATION",
    "IMPORT_KINDS",
    "INSTRUMENTATION_SCOPE",
    "LAZY_IMPORTS",
    "LAZY_STATES",
    "LOAD_RESULTS",
    "MODULE_IMPORT",
    "SPAN_BENCHMARK",
    "SPAN_CACHE_LOAD",
    "SPAN_IMPORT",
    "SPAN_IMPORTS",
    "SPAN_REGRESSION_CHECK",
    "TIERS",
    "MetricName",
    "span_benchmark",
    "span_import",
]

INSTRUMENTATION_SCOPE = "codomyrmex.performance"

Kind = Literal["counter", "gauge", "histogram"]

#: Explicit bucket boundaries in seconds, sub-millisecond to 10 s. The same list is used as OTel
#: bucket advice and for the Prometheus histograms, so both paths bucket identically.
DURATION_BUCKETS: tuple[float, ...] = (
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
    0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)  # fmt: skip

TIERS = ("memory", "disk", "redis")
LOAD_RESULTS = ("success", "failure")
EVICTION_CAUSES = ("size", "expired", "explicit")
IMPORT_KINDS = ("self", "cumulative")
LAZY_STATES = ("loaded", "failed")
BENCHMARK_STATS = ("min", "p50", "p90", "p95", "p99", "mean")


# A NamedTuple rather than a dataclass: importing dataclasses costs ~5 ms (inspect, ast), and
# this module is on the path of the first cache or lazy import of a process.
class MetricName(NamedTuple):
    """The two spellings of one metric, with its type, unit and labels (immutable)."""

    otel_name: str
    prometheus_name: str  # family name without the ``_total`` counter suffix
    kind: Kind
    unit: str  # UCUM unit for OTel ("s", "1", "{get}")
    description: str
    labels: tuple[str, ...]
    buckets: tuple[float, ...] = ()

    @property
    def sample_name(self) -> str:
        """The name a sample carries in the exposition (counters end in ``_total``)."""
        return self.prometheus_name + "_total" if self.kind == "counter" else self.prometheus_name


CACHE_GETS = MetricName(
    "codomyrmex.cache.gets", "codomyrmex_cache_gets", "counter", "{get}",
    "Cache lookups by outcome and tier.", ("cache", "result", "tier"),
)  # fmt: skip
CACHE_PUTS = MetricName(
    "codomyrmex.cache.puts", "codomyrmex_cache_puts", "counter", "{put}",
    "Values stored into the cache.", ("cache",),
)  # fmt: skip
CACHE_EVICTIONS = MetricName(
    "codomyrmex.cache.evictions", "codomyrmex_cache_evictions", "counter", "{eviction}",
    "Entries removed from the cache, by cause.", ("cache", "cause"),
)  # fmt: skip
CACHE_ERRORS = MetricName(
    "codomyrmex.cache.errors", "codomyrmex_cache_errors", "counter", "{error}",
    "Backend errors by tier and operation; the call fell back to computing.", ("cache", "tier", "op"),
)  # fmt: skip
CACHE_ENTRIES = MetricName(
    "codomyrmex.cache.entries", "codomyrmex_cache_entries", "gauge", "{entry}",
    "Entries currently held in the in-process tier.", ("cache",),
)  # fmt: skip
CACHE_LOAD_DURATION = MetricName(
    "codomyrmex.cache.load_duration", "codomyrmex_cache_load_duration_seconds", "histogram", "s",
    "Time spent computing a value on a miss; failures by error type.",
    ("cache", "result", "error_type"), DURATION_BUCKETS,
)  # fmt: skip
IMPORT_DURATION = MetricName(
    "codomyrmex.import.duration", "codomyrmex_import_duration_seconds", "histogram", "s",
    "Import time per top-level package (self or cumulative).", ("package", "kind"),
    DURATION_BUCKETS,
)  # fmt: skip
MODULE_IMPORT = MetricName(
    "codomyrmex.module.import", "codomyrmex_module_import_seconds", "gauge", "s",
    "Cumulative import time of the top-K slowest modules only.", ("module",),
)  # fmt: skip
LAZY_IMPORTS = MetricName(
    "codomyrmex.lazy.imports", "codomyrmex_lazy_imports", "counter", "{import}",
    "Lazy imports resolved on first use, by outcome.", ("package", "state"),
)  # fmt: skip
BENCHMARK_DURATION = MetricName(
    "codomyrmex.benchmark.duration", "codomyrmex_benchmark_duration_seconds", "gauge", "s",
    "Statistics of the last run of each benchmark.", ("suite", "benchmark", "stat"),
)  # fmt: skip
BENCHMARK_REGRESSION = MetricName(
    # unit "" (not "1"): an OTLP→Prometheus translation would otherwise append "_ratio".
    "codomyrmex.benchmark.regression", "codomyrmex_benchmark_regression", "gauge", "",
    "1 when the last run of the benchmark is a regression against its baseline, else 0.",
    ("suite", "benchmark"),
)  # fmt: skip
BENCHMARK_CHANGE_RATIO = MetricName(
    "codomyrmex.benchmark.change_ratio", "codomyrmex_benchmark_change_ratio", "gauge", "",
    "Current median divided by the baseline median.", ("suite", "benchmark"),
)  # fmt: skip
BENCHMARK_INSTRUCTIONS = MetricName(
    # unit "" like the other ratios/counts: "{instruction}" would be dropped by an OTLP→Prometheus
    # translation anyway, and the name already says what is counted
    "codomyrmex.benchmark.instructions", "codomyrmex_benchmark_instructions", "gauge", "",
    "CPU instructions per call in the last instruction-mode run of each benchmark (Valgrind).",
    ("suite", "benchmark"),
)  # fmt: skip
BENCHMARK_LAST_RUN = MetricName(
    "codomyrmex.benchmark.last_run_timestamp", "codomyrmex_benchmark_last_run_timestamp_seconds",
    "gauge", "s", "Unix time of the last run of the suite.", ("suite",),
)  # fmt: skip

ALL_METRICS: tuple[MetricName, ...] = (
    CACHE_GETS, CACHE_PUTS, CACHE_EVICTIONS, CACHE_ERRORS, CACHE_ENTRIES, CACHE_LOAD_DURATION,
    IMPORT_DURATION, MODULE_IMPORT, LAZY_IMPORTS,
    BENCHMARK_DURATION, BENCHMARK_REGRESSION, BENCHMARK_CHANGE_RATIO, BENCHMARK_LAST_RUN,
    BENCHMARK_INSTRUCTIONS,
)  # fmt: skip

# Span names.
SPAN_CACHE_LOAD = "cache.load"
SPAN_IMPORT = "import"  # full name: "import <module>"
SPAN_IMPORTS = "imports"  # root of an exported import tree (the process start), parent of "import <module>"
SPAN_BENCHMARK = "benchmark"  # full name: "benchmark <suite>"; children "benchmark <suite>/<name>"
SPAN_REGRESSION_CHECK = "regression.check"


def span_import(module: str) -> str:
    """Span name for the import of ``module``: ``"import json.decoder"``."""
    return f"{SPAN_IMPORT} {module}"


def span_benchmark(suite: str, benchmark: str | None = None) -> str:
    """Span name of a suite run (``"benchmark s"``) or of one benchmark in it."""
    return f"{SPAN_BENCHMARK} {suite}" if benchmark is None else f"{SPAN_BENCHMARK} {suite}/{benchmark}"
