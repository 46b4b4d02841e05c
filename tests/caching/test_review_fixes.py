"""Regression tests for the review of issue 3 (one test per finding, each failed before its fix)."""

from __future__ import annotations

import asyncio
import traceback
from typing import Any

from codomyrmex.performance import cached_function


def _tb_len(exc: BaseException) -> int:
    return len(traceback.extract_tb(exc.__traceback__))


# -- finding 3: a cached exception's traceback must not grow with every raise -------------------
def test_a_cached_exception_keeps_the_same_traceback_length_on_every_hit(unique_name: str) -> None:
    @cached_function(name=unique_name, cache_exceptions=(ValueError,))
    def boom(x: int) -> int:
        raise ValueError(x)

    lengths = []
    for _ in range(50):
        try:
            boom(1)
        except ValueError as exc:
            lengths.append(_tb_len(exc))
    assert lengths[1] == lengths[-1]  # before the fix: +2 frames per cached raise (1 -> 49)


def test_a_cached_exception_of_an_async_function_keeps_its_traceback_length(
    unique_name: str,
) -> None:
    @cached_function(name=unique_name, cache_exceptions=(ValueError,))
    async def boom(x: int) -> int:
        raise ValueError(x)

    async def main() -> list[int]:
        lengths = []
        for _ in range(20):
            try:
                await boom(1)
            except ValueError as exc:
                lengths.append(_tb_len(exc))
        return lengths

    lengths = asyncio.run(main())
    assert lengths[1] == lengths[-1]


def test_waiters_of_a_failed_flight_each_get_the_leaders_traceback() -> None:
    from codomyrmex.performance.caching._singleflight import Flight

    flight = Flight(owner=1)
    try:
        raise ValueError("leader failed")
    except ValueError as exc:
        flight.fail(exc)
    lengths = []
    for _ in range(10):  # ten waiters woken by the one flight
        try:
            flight.result()
        except ValueError as exc:
            lengths.append(_tb_len(exc))
    assert lengths == [lengths[0]] * 10  # before the fix: 2, 3, 4, ... 11


# -- finding 4: typed=True types follow the sorted keyword items --------------------------------
def test_typed_keyword_types_follow_the_keyword_names_not_the_call_order(unique_name: str) -> None:
    calls: list[dict[str, Any]] = []

    @cached_function(name=unique_name, typed=True)
    def f(**kw: Any) -> tuple[str, ...]:
        calls.append(kw)
        return tuple(type(kw[k]).__name__ for k in sorted(kw))

    assert f(a=1, b=1.0) == ("int", "float")
    assert f(b=1, a=1.0) == ("float", "int")  # before the fix: ('int', 'float') from the cache


def test_typed_same_call_with_keywords_in_another_order_is_one_entry(unique_name: str) -> None:
    calls: list[dict[str, Any]] = []

    @cached_function(name=unique_name, typed=True)
    def f(**kw: Any) -> int:
        calls.append(kw)
        return len(calls)

    assert f(a=1, b=1.0) == 1
    assert f(b=1.0, a=1) == 1  # before the fix: a second miss
    assert len(calls) == 1
