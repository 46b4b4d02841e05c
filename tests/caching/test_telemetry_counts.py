"""Exact counts after a scripted sequence: Prometheus exposition, promtool, OTel reader, spans."""

from __future__ import annotations

import asyncio
import subprocess
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from codomyrmex.performance import cached_function, telemetry


def samples(
    registry: CollectorRegistry, cache: str
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = generate_latest(registry).decode()
    out: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.labels.get("cache") == cache:
                labels = tuple(sorted((k, v) for k, v in s.labels.items() if k != "cache" and v))
                out[(s.name, labels)] = s.value
    return out


def scripted(name: str) -> Any:
    @cached_function(name=name, max_size=2)
    def f(x: int) -> int:
        if x < 0:
            raise ValueError(x)
        return x

    for x in [1, 1, 2, 1, 2, 3]:  # miss hit miss hit hit miss(+1 size eviction)
        f(x)
    with pytest.raises(ValueError):
        f(-1)  # a failed load: miss, not stored
    f.invalidate(3)  # type: ignore[attr-defined]
    return f


# a memory-only cache has no disk/redis series (issue 10: no series for tiers it does not have)
EXPECTED_GETS = {("hit", "memory"): 3.0, ("miss", "memory"): 4.0}


def test_prometheus_exposition_shows_the_exact_numbers(unique_name: str, otel: Any) -> None:
    registry = CollectorRegistry()
    telemetry.register_collector(registry)
    f = scripted(unique_name)  # kept alive: a dropped cache's entries leave the gauge
    got = samples(registry, unique_name)
    for (result, tier), value in EXPECTED_GETS.items():
        assert got[("codomyrmex_cache_gets_total", (("result", result), ("tier", tier)))] == value
    assert got[("codomyrmex_cache_puts_total", ())] == 3.0
    assert got[("codomyrmex_cache_evictions_total", (("cause", "size"),))] == 1.0
    assert got[("codomyrmex_cache_evictions_total", (("cause", "explicit"),))] == 1.0
    assert ("codomyrmex_cache_evictions_total", (("cause", "expired"),)) not in got  # never seen
    assert got[("codomyrmex_cache_entries", ())] == 1.0
    assert got[("codomyrmex_cache_load_duration_seconds_count", (("result", "success"),))] == 3.0
    assert got[("codomyrmex_cache_load_duration_seconds_count", (("error_type", "ValueError"), ("result", "failure")))] == 1.0
    assert f.cache_info().currsize == 1


def test_promtool_accepts_the_exposition(unique_name: str, promtool: str) -> None:
    registry = CollectorRegistry()
    telemetry.register_collector(registry)
    scripted(unique_name)
    exposition = generate_latest(registry)
    proc = subprocess.run(
        [promtool, "check", "metrics"], input=exposition, capture_output=True, check=False
    )
    assert proc.returncode == 0, proc.stdout.decode() + proc.stderr.decode()


def test_otel_reader_shows_the_same_numbers(unique_name: str, otel: Any) -> None:
    f = scripted(unique_name)  # kept alive: a dropped cache's entries leave the gauge
    for (result, tier), value in EXPECTED_GETS.items():
        got = otel.value("codomyrmex.cache.gets", cache=unique_name, result=result, tier=tier)
        assert got == value, (result, tier)
    assert otel.value("codomyrmex.cache.puts", cache=unique_name) == 3
    assert otel.value("codomyrmex.cache.evictions", cache=unique_name, cause="size") == 1
    assert otel.value("codomyrmex.cache.evictions", cache=unique_name, cause="explicit") == 1
    assert otel.value("codomyrmex.cache.entries", cache=unique_name) == 1
    ok = otel.value("codomyrmex.cache.load_duration", cache=unique_name, result="success")
    failed = otel.value("codomyrmex.cache.load_duration", cache=unique_name, result="failure")
    assert (ok.count, failed.count) == (3, 1)
    assert f.cache_info().currsize == 1


def test_cache_load_spans_only_for_misses(unique_name: str, otel: Any) -> None:
    # cache.load spans are made only in a sampled context (a request's span), issue 10
    with otel.tracer_provider.get_tracer("test").start_as_current_span("request"):
        scripted(unique_name)
    loads = [s for s in otel.spans() if s.name == "cache.load"]
    assert len(loads) == 4  # 4 misses (one failed), no span for the 3 hits
    assert {s.attributes["cache"] for s in loads} == {unique_name}
    assert sum(1 for s in loads if not s.status.is_ok) == 1


def _forbid_telemetry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every telemetry entry point feature code may call raises from now on."""
    from codomyrmex.performance.telemetry import _otel, recording

    def forbidden(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("a telemetry call on the hit path")

    for name in ("span", "start_span", "record_cache_load", "record_import_duration",
                 "count_lazy_import", "mark_error", "_bridge"):  # fmt: skip
        monkeypatch.setattr(recording, name, forbidden)
    monkeypatch.setattr(_otel, "bridge", forbidden)


def test_hits_make_no_telemetry_call(
    unique_name: str, otel: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    @cached_function(name=unique_name)
    def f(x: int) -> int:
        return x

    @cached_function(name=unique_name + "_typed", typed=True, cache_exceptions=(KeyError,))
    def g(x: int) -> int:
        return x

    @cached_function(name=unique_name + "_async")
    async def h(x: int) -> int:
        return x

    class Owner:
        @cached_function(name=unique_name + "_method")
        def m(self, x: int) -> int:
            return x

    owner = Owner()
    f(1), g(1), owner.m(1)
    asyncio.run(h(1))
    spans_before = len(otel.spans())
    with monkeypatch.context() as patch:
        _forbid_telemetry(patch)

        async def async_hits() -> None:
            for _ in range(50):
                await h(1)

        for _ in range(50):
            f(1), g(1), owner.m(1)
        asyncio.run(async_hits())
    assert len(otel.spans()) == spans_before
    ok = otel.value("codomyrmex.cache.load_duration", cache=unique_name, result="success")
    assert ok.count == 1
    assert otel.value("codomyrmex.cache.gets", cache=unique_name, result="hit", tier="memory") == 50


def test_series_exist_with_zero_from_creation(unique_name: str) -> None:
    registry = CollectorRegistry()
    telemetry.register_collector(registry)

    @cached_function(name=unique_name)
    def f(x: int) -> int:
        return x

    got = samples(registry, unique_name)
    for result, tier in EXPECTED_GETS:
        assert got[("codomyrmex_cache_gets_total", (("result", result), ("tier", tier)))] == 0.0
    assert got[("codomyrmex_cache_puts_total", ())] == 0.0
    assert got[("codomyrmex_cache_entries", ())] == 0.0
