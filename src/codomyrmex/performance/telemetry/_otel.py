"""The OpenTelemetry side of telemetry: observable instruments, slow-path histograms, tracer.

Imported on first need only (never by ``import codomyrmex.performance``). Instruments are made
on the meter provider injected with :func:`use_providers`, or on the global API provider: before
an application installs an SDK that is the API's proxy, which binds to the real provider later
and is a no-op until then.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.metrics import CallbackOptions, Observation

from .._version import __version__
from . import names
from .stats import StatsRegistry, default_registry

__all__ = ["Bridge", "bridge", "set_load_histogram_exported", "use_providers"]


class Bridge:
    """Instruments bound to one meter provider and a tracer from one tracer provider."""

    def __init__(
        self,
        meter_provider: metrics.MeterProvider | None,
        tracer_provider: trace.TracerProvider | None,
        registry: StatsRegistry,
    ) -> None:
        self.registry = registry
        meter = metrics.get_meter(
            names.INSTRUMENTATION_SCOPE, __version__, meter_provider=meter_provider
        )
        self.tracer = trace.get_tracer(
            names.INSTRUMENTATION_SCOPE, __version__, tracer_provider=tracer_provider
        )

        def counter(m: names.MetricName, cb: Any) -> None:
            meter.create_observable_counter(m.otel_name, [cb], unit=m.unit, description=m.description)

        def gauge(m: names.MetricName, cb: Any) -> None:
            meter.create_observable_gauge(m.otel_name, [cb], unit=m.unit, description=m.description)

        counter(names.CACHE_GETS, self._gets)
        counter(names.CACHE_PUTS, self._puts)
        counter(names.CACHE_EVICTIONS, self._evictions)
        counter(names.CACHE_ERRORS, self._errors)
        gauge(names.CACHE_ENTRIES, self._entries)
        counter(names.LAZY_IMPORTS, self._lazy)
        gauge(names.MODULE_IMPORT, self._module_import)
        gauge(names.BENCHMARK_DURATION, self._bench_duration)
        gauge(names.BENCHMARK_REGRESSION, self._bench_regression)
        gauge(names.BENCHMARK_CHANGE_RATIO, self._bench_change)
        gauge(names.BENCHMARK_LAST_RUN, self._bench_last_run)
        gauge(names.BENCHMARK_INSTRUCTIONS, self._bench_instructions)

        def histogram(m: names.MetricName) -> metrics.Histogram:
            return meter.create_histogram(
                m.otel_name, unit=m.unit, description=m.description,
                explicit_bucket_boundaries_advisory=list(m.buckets),
            )  # fmt: skip

        self.cache_load = histogram(names.CACHE_LOAD_DURATION)
        self.import_duration = histogram(names.IMPORT_DURATION)
        self.global_meter = meter_provider is None
        #: loads waiting to be recorded into ``cache_load`` (see :meth:`defer_load`)
        self.pending: deque[tuple[float, str, str | None, Any]] = deque()
        #: a full queue was handed to the background drainer, which has not finished it yet
        self.handed_over = False

    # -- the load histogram, fed at collection time --------------------------------------------
    # An SDK Histogram.record costs 5-25 µs, more than a whole cachetools miss; so a load is
    # queued (deque.append is atomic and ~50 ns) and recorded when a reader collects: the SDK
    # runs the observable callbacks (below, _gets drains first) before it reads the histogram
    # storage, so every load queued before a collection is in it, with the cache.load span's
    # context for the exemplar. The queue is bounded. At MAX_PENDING the miss that fills it
    # hands it to a background thread (one per process, started on first need), so no caller
    # stalls for the thousands of records a full queue means (~0.1 s on a slow machine, an
    # event loop's whole budget); only past HARD_PENDING, when the loads come faster than that
    # thread records them, does the miss path drain itself: slower, never unbounded, nothing
    # lost. When no application or configure() installed a meter provider, a full queue is
    # discarded: the API is a no-op then and nothing could ever read it.
    MAX_PENDING = 4096
    HARD_PENDING = 65536

    def defer_load(self, seconds: float, cache: str, error_type: str | None, ctx: Any) -> None:
        if _load_histogram_exported:
            return  # configure()'s own exporters read the plain buckets (_histogram_export)
        pending = self.pending
        pending.append((seconds, cache, error_type, ctx))
        # the deque's own __len__, not builtins.len: a program may cache len itself
        # (functools' test_lru_reentrancy_with_len), and this runs on every miss
        n = pending.__len__()
        if n >= self.MAX_PENDING and (not self.handed_over or n >= self.HARD_PENDING):
            self._full(n)

    def _full(self, n: int) -> None:
        if self.global_meter and _api_only_meter_provider():
            self.pending.clear()
        elif n >= self.HARD_PENDING:
            self.drain()  # backpressure: the background thread cannot keep up
        else:
            self.handed_over = True  # until the background drain is done: no second request
            _drainer.request(self)

    def drain(self) -> None:
        """Record every queued load into the OTel histogram (any thread; each once)."""
        pop, record = self.pending.popleft, self.cache_load.record
        while True:
            try:
                seconds, cache, error_type, ctx = pop()
            except IndexError:
                return
            if error_type is None:
                attrs = {"cache": cache, "result": "success"}
            else:
                attrs = {"cache": cache, "result": "failure", "error.type": error_type}
            record(seconds, attrs, context=ctx)

    # Callbacks run on the exporter's thread at collection time. They copy the dicts (list())
    # because a feature thread may add a new cache while we iterate; cache_views() sums the
    # caches that share a name (live instances plus the counts of retired ones).
    def _gets(self, _: CallbackOptions) -> Iterable[Observation]:
        self.drain()  # first callback of a collection: the queued loads join this collection
        for s in self.registry.cache_views():
            for result, tier, n in s.gets():
                yield Observation(n, {"cache": s.name, "result": result, "tier": tier})

    def _puts(self, _: CallbackOptions) -> Iterable[Observation]:
        for s in self.registry.cache_views():
            yield Observation(s.puts, {"cache": s.name})

    def _evictions(self, _: CallbackOptions) -> Iterable[Observation]:
        for s in self.registry.cache_views():
            for cause, n in s.eviction_series():
                yield Observation(n, {"cache": s.name, "cause": cause})

    def _errors(self, _: CallbackOptions) -> Iterable[Observation]:
        for s in self.registry.cache_views():
            for (tier, op), n in list(s.errors.items()):
                yield Observation(n, {"cache": s.name, "tier": tier, "op": op})

    def _entries(self, _: CallbackOptions) -> Iterable[Observation]:
        for s in self.registry.cache_views():
            yield Observation(s.current_entries(), {"cache": s.name})

    def _lazy(self, _: CallbackOptions) -> Iterable[Observation]:
        for (package, state), n in list(self.registry.lazy_imports.items()):
            yield Observation(n, {"package": package, "state": state})

    def _module_import(self, _: CallbackOptions) -> Iterable[Observation]:
        for module, seconds in list(self.registry.module_import_seconds.items()):
            yield Observation(seconds, {"module": module})

    def _bench_duration(self, _: CallbackOptions) -> Iterable[Observation]:
        for (suite, bench, stat), v in list(self.registry.benchmarks.duration.items()):
            yield Observation(v, {"suite": suite, "benchmark": bench, "stat": stat})

    def _bench_regression(self, _: CallbackOptions) -> Iterable[Observation]:
        for (suite, bench), v in list(self.registry.benchmarks.regression.items()):
            yield Observation(v, {"suite": suite, "benchmark": bench})

    def _bench_change(self, _: CallbackOptions) -> Iterable[Observation]:
        for (suite, bench), v in list(self.registry.benchmarks.change_ratio.items()):
            yield Observation(v, {"suite": suite, "benchmark": bench})

    def _bench_instructions(self, _: CallbackOptions) -> Iterable[Observation]:
        for (suite, bench), v in list(self.registry.benchmarks.instructions.items()):
            yield Observation(v, {"suite": suite, "benchmark": bench})

    def _bench_last_run(self, _: CallbackOptions) -> Iterable[Observation]:
        for suite, v in list(self.registry.benchmarks.last_run.items()):
            yield Observation(v, {"suite": suite})


class _Drainer:
    """The background thread that records full queues (see :meth:`Bridge.defer_load`).

    A daemon thread, started on the first full queue and again in a child process after
    ``fork`` (the parent's thread does not exist there). It only ever calls
    :meth:`Bridge.drain`, which any thread may call; a collection on the exporter's thread
    may drain the same queue at the same time, each load being recorded once."""

    def __init__(self) -> None:
        self.requests: deque[Bridge] = deque()
        self.wakeup = threading.Event()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def request(self, bridge: Bridge) -> None:
        self.requests.append(bridge)
        thread = self.thread
        if thread is None or not thread.is_alive():
            with self.lock:
                if self.thread is None or not self.thread.is_alive():
                    self.thread = threading.Thread(
                        target=self._run, name="codomyrmex-otel-drain", daemon=True
                    )
                    self.thread.start()
        self.wakeup.set()

    def _run(self) -> None:
        while True:
            self.wakeup.wait()
            self.wakeup.clear()  # before the work: a request made during it wakes us again
            while self.requests:
                bridge = self.requests.popleft()
                try:
                    bridge.drain()
                except Exception:  # an SDK that fails must not end this thread
                    import logging

                    logging.getLogger(__name__).warning(
                        "recording queued cache loads into the OpenTelemetry histogram failed",
                        exc_info=True,
                    )
                    bridge.pending.clear()  # they cannot be recorded; do not retry forever
                finally:
                    bridge.handed_over = False


_drainer = _Drainer()
_load_histogram_exported = False


def set_load_histogram_exported(on: bool) -> None:
    """configure() built the meter provider, whose exporters add the load histogram from the
    plain buckets: queueing loads for the SDK histogram would count them twice."""
    global _load_histogram_exported
    _load_histogram_exported = on


def _api_only_meter_provider() -> bool:
    """No meter provider installed: the global is the API's own proxy (checked by module
    name, so that no private OTel module is imported)."""
    return type(metrics.get_meter_provider()).__module__.startswith("opentelemetry.metrics")


_lock = threading.Lock()
_bridge: Bridge | None = None
_global_bridge: Bridge | None = None


def bridge() -> Bridge:
    """The current bridge: the injected providers', else the global API's (made once)."""
    global _global_bridge
    b = _bridge or _global_bridge  # the miss path's usual case: no lock
    if b is not None:
        return b
    with _lock:
        if _bridge is not None:
            return _bridge
        if _global_bridge is None:
            # Instruments on the global proxy meter are made once per process: the proxy binds
            # them to whatever SDK provider the application installs later.
            _global_bridge = Bridge(None, None, default_registry())
        return _global_bridge


def use_providers(
    *,
    tracer_provider: trace.TracerProvider | None = None,
    meter_provider: metrics.MeterProvider | None = None,
) -> None:
    """Send the library's telemetry to these providers instead of the global ones.

    ``use_providers()`` with no argument returns to the global providers. Tests use this with
    ``InMemoryMetricReader`` / ``InMemorySpanExporter`` rather than patching globals.
    """
    global _bridge
    with _lock:
        old = _bridge if _bridge is not None else _global_bridge
        if old is not None:
            old.drain()  # loads queued for the old providers go to them, not nowhere
        if tracer_provider is None and meter_provider is None:
            _bridge = None
        else:
            _bridge = Bridge(meter_provider, tracer_provider, default_registry())
