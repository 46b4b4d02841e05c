"""The miss path: spans only in a sampled context (or above span_threshold), error.type on failed
loads, exemplars that point at the cache.load span, no SDK histogram call per miss."""

from __future__ import annotations

import time
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.openmetrics.exposition import generate_latest as openmetrics_latest

from codomyrmex.performance import cached_function, telemetry
from codomyrmex.performance.telemetry import recording


def loads(otel: Any) -> list[Any]:
    return [s for s in otel.spans() if s.name == "cache.load"]


def load_point(otel: Any, cache: str) -> Any:
    """The one data point of cache ``cache`` in a fresh collection of the load histogram."""
    ((_, point),) = [(a, p) for a, p in otel.points("codomyrmex.cache.load_duration") if a["cache"] == cache]
    return point


def test_no_span_without_a_sampled_context_one_under_a_request(unique_name: str, otel: Any) -> None:
    @cached_function(name=unique_name)
    def f(x: int) -> int:
        return x

    f(1)  # a miss outside any traced request: no root span per miss
    assert loads(otel) == []
    with otel.tracer_provider.get_tracer("app").start_as_current_span("request") as request:
        f(2)
    (load,) = loads(otel)
    assert load.parent.span_id == request.get_span_context().span_id
    assert load.attributes == {"cache": unique_name}


def test_span_threshold_makes_spans_only_for_slow_loads_with_the_real_start(unique_name: str, otel: Any) -> None:
    @cached_function(name=unique_name)
    def f(x: float) -> float:
        time.sleep(x)
        return x

    recording.set_span_threshold(0.05)
    try:
        with otel.tracer_provider.get_tracer("app").start_as_current_span("request"):
            f(0.0)
            before = time.time_ns()
            f(0.06)
    finally:
        recording.set_span_threshold(None)
    (load,) = loads(otel)  # the fast load made none
    assert before <= load.start_time  # made after the fact, with the load's real start time
    assert load.end_time - load.start_time >= 50_000_000


def test_failed_load_carries_error_type_on_span_and_metrics(unique_name: str, otel: Any) -> None:
    reg = CollectorRegistry()
    telemetry.register_collector(reg)

    @cached_function(name=unique_name)
    def f(x: int) -> int:
        raise KeyError(x)

    with otel.tracer_provider.get_tracer("app").start_as_current_span("request"), pytest.raises(KeyError):
        f(1)
    (load,) = loads(otel)
    assert load.attributes["error.type"] == "KeyError"
    assert not load.status.is_ok
    points = [a for a, _ in otel.points("codomyrmex.cache.load_duration") if a["cache"] == unique_name]
    assert points == [{"cache": unique_name, "result": "failure", "error.type": "KeyError"}]
    text = openmetrics_latest(reg).decode()
    assert (f'codomyrmex_cache_load_duration_seconds_count{{cache="{unique_name}",error_type="KeyError",'
            'result="failure"} 1.0') in text  # fmt: skip
    assert f'cache="{unique_name}",error_type="",result="failure"' not in text


def test_exemplars_point_at_the_cache_load_span(unique_name: str, otel: Any) -> None:
    reg = CollectorRegistry()
    telemetry.register_collector(reg)

    @cached_function(name=unique_name)
    def f(x: int) -> int:
        return x

    with otel.tracer_provider.get_tracer("app").start_as_current_span("request"):
        f(1)
    (load,) = loads(otel)
    span_id = load.context.span_id
    point = load_point(otel, unique_name)
    assert [e.span_id for e in point.exemplars] == [span_id]  # the load's span, not the request
    text = openmetrics_latest(reg).decode()
    exemplar_lines = [line for line in text.splitlines() if f'cache="{unique_name}"' in line and " # {" in line]
    assert len(exemplar_lines) == 1
    assert f'span_id="{span_id:016x}"' in exemplar_lines[0]
    assert f'trace_id="{load.context.trace_id:032x}"' in exemplar_lines[0]


def test_configured_sdk_gets_the_load_histogram_from_plain_buckets(
    unique_name: str, otlp_receiver: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from opentelemetry.sdk.metrics._internal.instrument import Histogram as SdkHistogram

    def forbidden(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("an SDK Histogram.record on the miss path")

    monkeypatch.setattr(SdkHistogram, "record", forbidden)
    telemetry.configure(otlp_endpoint=otlp_receiver.http_url, prometheus=False, set_global=False)

    @cached_function(name=unique_name)
    def f(x: int) -> int:
        if x < 0:
            raise ValueError(x)
        return x

    for x in range(25):
        f(x)
    with pytest.raises(ValueError):
        f(-1)
    telemetry.shutdown()  # a last export
    points = {p.attributes.get("result"): p for p in otlp_receiver.data_points("codomyrmex.cache.load_duration")
              if p.attributes.get("cache") == unique_name}  # fmt: skip
    assert points["success"].kind == "histogram"
    assert points["success"].count == 25
    assert points["failure"].count == 1 and points["failure"].attributes["error.type"] == "ValueError"


def test_span_threshold_slow_load_outside_a_sampled_context_makes_no_span(unique_name: str, otel: Any) -> None:
    from opentelemetry import trace
    from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

    @cached_function(name=unique_name)
    def f(x: float) -> float:
        time.sleep(x)
        return x

    unsampled = NonRecordingSpan(SpanContext(trace_id=1, span_id=2, is_remote=True, trace_flags=TraceFlags(0)))
    recording.set_span_threshold(0.01)
    try:
        f(0.02)  # slow, but no context at all
        with trace.use_span(unsampled):
            f(0.03)  # slow, in a context that is not sampled
        with otel.tracer_provider.get_tracer("app").start_as_current_span("request") as request:
            f(0.04)  # slow and sampled: the one span
    finally:
        recording.set_span_threshold(None)
    (load,) = loads(otel)
    assert load.parent.span_id == request.get_span_context().span_id
    # every load is in the histogram, span or not
    point = load_point(otel, unique_name)
    assert point.count == 3
    assert [e.span_id for e in point.exemplars] == [load.context.span_id]


def test_load_histogram_counts_every_concurrent_load_exactly(unique_name: str) -> None:
    """The histogram is observed under the cache's own lock (the one that stores the value):
    eight threads missing at once lose no observation, for a function and for the per-instance
    caches of a method (which share one lock and one set of counters)."""
    import threading

    from codomyrmex.performance.telemetry.stats import default_registry

    @cached_function(name=unique_name, maxsize=64)
    def f(x: int) -> int:
        return x

    class C:
        @cached_function(name=f"{unique_name}_m", maxsize=64)
        def m(self, x: int) -> int:
            return x

    objects = [C() for _ in range(8)]
    barrier = threading.Barrier(8)

    def work(i: int) -> None:
        barrier.wait()
        for x in range(i * 1000, i * 1000 + 500):  # keys of this thread alone: every call a miss
            f(x)
            objects[i].m(x)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    views = {v.name: v for v in default_registry().cache_views()}
    for name in (unique_name, f"{unique_name}_m"):
        hist = views[name].load_success
        assert (hist.count, sum(hist.counts), views[name].misses) == (4000, 4000, 4000), name


def _recorder_threads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of the thread of every SDK Histogram.record from now on."""
    import threading

    from opentelemetry.sdk.metrics._internal.instrument import Histogram as SdkHistogram

    threads: list[str] = []
    real = SdkHistogram.record

    def spy(self: Any, *args: Any, **kwargs: Any) -> None:
        threads.append(threading.current_thread().name)
        real(self, *args, **kwargs)

    monkeypatch.setattr(SdkHistogram, "record", spy)
    return threads


def test_a_full_load_queue_is_recorded_off_the_callers_thread(
    unique_name: str, otel: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a host SDK and no collection for a while, the miss that fills the queue does not
    record thousands of loads itself (a stall of ~0.1 s in someone's request or event loop):
    a background thread does; a collection still sees every load exactly once."""
    from codomyrmex.performance.telemetry import _otel

    threads = _recorder_threads(monkeypatch)
    monkeypatch.setattr(_otel.Bridge, "MAX_PENDING", 64)

    @cached_function(name=unique_name, maxsize=10)
    def f(x: int) -> int:
        return x

    for x in range(200):
        f(x)
    bridge = _otel.bridge()
    deadline = time.monotonic() + 10
    while bridge.handed_over and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not bridge.handed_over
    assert len(threads) >= 64
    assert set(threads) == {"codomyrmex-otel-drain"}  # none on the caller's thread
    point = load_point(otel, unique_name)
    assert point.count == 200  # the rest was drained by the collection, none twice


def test_a_load_queue_past_its_hard_bound_is_drained_by_the_caller(
    unique_name: str, otel: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the background thread cannot keep up, the queue stays bounded: the miss that
    reaches HARD_PENDING records the queue itself (backpressure), and nothing is lost."""
    import threading

    from codomyrmex.performance.telemetry import _otel

    threads = _recorder_threads(monkeypatch)
    monkeypatch.setattr(_otel.Bridge, "MAX_PENDING", 8)
    monkeypatch.setattr(_otel.Bridge, "HARD_PENDING", 16)
    handed: list[Any] = []
    monkeypatch.setattr(_otel._drainer, "request", handed.append)  # a drainer that never runs

    @cached_function(name=unique_name, maxsize=10)
    def f(x: int) -> int:
        return x

    for x in range(20):
        f(x)
    bridge = _otel.bridge()
    assert handed == [bridge]  # handed over once at 8, not again while it is pending
    assert threads == [threading.current_thread().name] * 16  # the caller drained at 16
    assert len(bridge.pending) == 4
    bridge.handed_over = False
    point = load_point(otel, unique_name)
    assert point.count == 20
