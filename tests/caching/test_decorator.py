"""cached_function in memory: keys, None, exceptions, TTL, methods, async, re-entrancy."""

from __future__ import annotations

import asyncio
import gc
import weakref
from typing import Any

import pytest

from codomyrmex.performance import CacheManager, cached_function
from codomyrmex.performance.caching import CacheInfo


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_seed_snippet_verbatim_caches_the_result() -> None:
    from codomyrmex.performance import CacheManager, cached_function

    manager = CacheManager()
    calls: list[str] = []

    @cached_function(ttl=3600)
    def expensive_analysis(code: str) -> dict[str, int]:
        calls.append(code)
        return {"lines": code.count("\n") + 1}

    assert manager.get("missing") is None
    assert expensive_analysis("a\nb") == {"lines": 2}
    assert expensive_analysis("a\nb") == {"lines": 2}
    assert calls == ["a\nb"]


def test_bare_decorator_works(unique_name: str) -> None:
    calls: list[int] = []

    @cached_function
    def double(x: int) -> int:
        calls.append(x)
        return 2 * x

    assert double(2) == double(2) == 4
    assert calls == [2]
    assert double.__name__ == "double"
    assert double.__wrapped__(5) == 10  # type: ignore[attr-defined]


def test_cache_info_is_functools_compatible(unique_name: str) -> None:
    @cached_function(maxsize=8, name=unique_name)
    def ident(x: int) -> int:
        return x

    ident(1), ident(1), ident(2), ident(1)
    info = ident.cache_info()  # type: ignore[attr-defined]
    assert isinstance(info, CacheInfo)
    assert info == (2, 2, 8, 2)
    assert (info.hits, info.misses, info.maxsize, info.currsize) == (2, 2, 8, 2)


def test_none_is_cached_like_any_value(unique_name: str) -> None:
    calls: list[int] = []

    @cached_function(name=unique_name)
    def nothing(x: int) -> None:
        calls.append(x)

    assert nothing(1) is None and nothing(1) is None
    assert calls == [1]


def test_cache_none_false_recomputes_none(unique_name: str) -> None:
    calls: list[int] = []

    @cached_function(name=unique_name, cache_none=False)
    def nothing(x: int) -> None:
        calls.append(x)

    nothing(1), nothing(1)
    assert calls == [1, 1]


def test_exceptions_are_not_cached_by_default(unique_name: str) -> None:
    calls: list[int] = []

    @cached_function(name=unique_name)
    def boom(x: int) -> int:
        calls.append(x)
        raise ValueError(x)

    for _ in range(2):
        with pytest.raises(ValueError):
            boom(1)
    assert calls == [1, 1]
    assert boom.cache_stats().loads_failed == 2  # type: ignore[attr-defined]


def test_cache_exceptions_caches_them_for_their_own_ttl(unique_name: str) -> None:
    clock = FakeClock()
    calls: list[int] = []

    @cached_function(
        name=unique_name, ttl=100, cache_exceptions=(KeyError,), exception_ttl=5, timer=clock
    )
    def lookup(x: int) -> int:
        calls.append(x)
        if x < 0:
            raise KeyError(x)
        return x

    for _ in range(3):
        with pytest.raises(KeyError):
            lookup(-1)
    assert calls == [-1]
    clock.now += 6  # past the exception's TTL, well within the value TTL
    lookup(1)
    with pytest.raises(KeyError):
        lookup(-1)
    lookup(1)
    assert calls == [-1, 1, -1]


def test_typed_encoding_keeps_distinct_calls_apart(unique_name: str) -> None:
    calls: list[tuple[Any, ...]] = []

    @cached_function(name=unique_name)
    def echo(*args: Any) -> tuple[Any, ...]:
        calls.append(args)
        return args

    assert echo(1) == (1,)
    assert echo("1") == ("1",)
    assert echo("a b") == ("a b",)
    assert echo("a", "b") == ("a", "b")
    assert len(calls) == 4


def test_typed_true_separates_int_and_float(unique_name: str) -> None:
    calls: list[Any] = []

    @cached_function(name=unique_name, typed=True)
    def echo(x: Any) -> Any:
        calls.append(x)
        return x

    echo(1), echo(1.0), echo(1)
    assert calls == [1, 1.0]


def test_typed_false_shares_equal_int_and_float_like_functools(unique_name: str) -> None:
    calls: list[Any] = []

    @cached_function(name=unique_name)
    def echo(x: Any) -> Any:
        calls.append(x)
        return x

    echo(1), echo(1.0)
    assert calls == [1]


def test_unhashable_arguments_use_a_canonical_encoding(unique_name: str) -> None:
    calls: list[Any] = []

    @cached_function(name=unique_name)
    def total(items: list[Any], weights: dict[str, int]) -> int:
        calls.append(items)
        return len(items) + sum(weights.values())

    assert total([1, 2], {"a": 1, "b": 2}) == 5
    assert total([1, 2], {"b": 2, "a": 1}) == 5  # same dict, other insertion order
    assert total([2, 1], {"a": 1, "b": 2}) == 5  # another list
    assert total(["1", 2], {"a": 1, "b": 2}) == 5  # "1" is not 1
    assert calls == [[1, 2], [2, 1], ["1", 2]]


def test_unhashable_strings_and_ints_stay_distinct(unique_name: str) -> None:
    calls: list[Any] = []

    @cached_function(name=unique_name)
    def ident(x: Any) -> Any:
        calls.append(x)
        return x

    ident([1]), ident(["1"]), ident([1]), ident(["a b"]), ident(["a", "b"])
    assert calls == [[1], ["1"], ["a b"], ["a", "b"]]


def test_keyword_order_does_not_matter(unique_name: str) -> None:
    calls: list[Any] = []

    @cached_function(name=unique_name)
    def f(*, a: int, b: int) -> int:
        calls.append((a, b))
        return a + b

    f(a=1, b=2), f(b=2, a=1)
    assert calls == [(1, 2)]


def test_custom_key_function(unique_name: str) -> None:
    calls: list[str] = []

    @cached_function(name=unique_name, key=lambda text: text.lower())
    def shout(text: str) -> str:
        calls.append(text)
        return text.upper()

    assert shout("Hi") == shout("HI") == "HI"
    assert calls == ["Hi"]


def test_ttl_expires_entries_with_an_injected_clock(unique_name: str) -> None:
    clock = FakeClock()
    calls: list[int] = []

    @cached_function(name=unique_name, ttl=10, timer=clock)
    def f(x: int) -> int:
        calls.append(x)
        return x

    f(1), f(1)
    clock.now += 11
    f(1)
    assert calls == [1, 1]
    f(2)  # an insert purges the expired entry and counts it
    assert f.cache_stats().evictions["expired"] == 1  # type: ignore[attr-defined]


def test_ttl_seconds_is_an_alias_of_ttl(unique_name: str) -> None:
    clock = FakeClock()

    @cached_function(name=unique_name, ttl_seconds=5, timer=clock)
    def f(x: int) -> int:
        return x

    f(1)
    clock.now += 6
    f(1)
    assert f.cache_info().misses == 2  # type: ignore[attr-defined]


@pytest.mark.parametrize("policy", ["lfu", "fifo", "rr"])
def test_ttl_with_other_policies_expires_entries(unique_name: str, policy: str) -> None:
    clock = FakeClock()
    calls: list[int] = []

    @cached_function(name=unique_name, ttl=10, policy=policy, timer=clock)
    def f(x: int) -> int:
        calls.append(x)
        return x

    f(1), f(1)
    clock.now += 10
    f(1)
    assert calls == [1, 1]
    assert f.cache_stats().evictions["expired"] == 1  # type: ignore[attr-defined]


def test_callable_ttl_sets_a_ttl_per_entry(unique_name: str) -> None:
    clock = FakeClock()
    calls: list[int] = []

    @cached_function(name=unique_name, ttl=lambda value: value, timer=clock)
    def f(x: int) -> int:
        calls.append(x)
        return x

    f(5), f(50)
    clock.now += 6
    f(5), f(50)
    assert calls == [5, 50, 5]


def test_invalidate_forgets_one_entry_and_counts_an_explicit_eviction(unique_name: str) -> None:
    calls: list[int] = []

    @cached_function(name=unique_name)
    def f(x: int, *, y: int = 0) -> int:
        calls.append(x)
        return x + y

    f(1, y=2), f(3)
    assert f.invalidate(1, y=2) is True  # type: ignore[attr-defined]
    assert f.invalidate(1, y=2) is False  # type: ignore[attr-defined]
    f(1, y=2), f(3)
    assert calls == [1, 3, 1]
    assert f.cache_stats().evictions == {"size": 0, "expired": 0, "explicit": 1}  # type: ignore[attr-defined]


def test_cache_clear_empties_the_cache(unique_name: str) -> None:
    @cached_function(name=unique_name)
    def f(x: int) -> int:
        return x

    f(1), f(2)
    f.cache_clear()  # type: ignore[attr-defined]
    assert f.cache_info().currsize == 0  # type: ignore[attr-defined]
    assert f.cache_stats().evictions["explicit"] == 2  # type: ignore[attr-defined]


def test_cache_stats_reports_loads_and_ratio(unique_name: str) -> None:
    @cached_function(name=unique_name)
    def f(x: int) -> int:
        return x

    f(1), f(1), f(1), f(2)
    s = f.cache_stats()  # type: ignore[attr-defined]
    assert (s.hits, s.misses, s.hit_ratio, s.loads_ok, s.loads_failed) == (2, 2, 0.5, 2, 0)
    assert s.load_seconds_total > 0
    assert s.entries == 2 and s.errors == {}


def test_default_name_is_the_qualified_name() -> None:
    @cached_function
    def f(x: int) -> int:
        return x

    assert f.cache_name == f"{__name__}.{f.__qualname__}"  # type: ignore[attr-defined]


class Service:
    def __init__(self, base: int) -> None:
        self.base = base
        self.calls = 0

    @cached_function(name="tests.caching.Service.add")
    def add(self, x: int) -> int:
        self.calls += 1
        return self.base + x

    @cached_function(name="tests.caching.Service.aadd")
    async def aadd(self, x: int) -> int:
        self.calls += 1
        return self.base + x


def test_methods_are_cached_per_instance() -> None:
    a, b = Service(10), Service(20)
    assert a.add(1) == a.add(1) == 11
    assert b.add(1) == 21
    assert (a.calls, b.calls) == (1, 1)


def test_methods_do_not_keep_the_instance_alive() -> None:
    s = Service(1)
    s.add(1)
    ref = weakref.ref(s)
    before = Service.add.cache_info().currsize  # type: ignore[attr-defined]
    del s
    gc.collect()
    assert ref() is None
    assert Service.add.cache_info().currsize == before - 1  # type: ignore[attr-defined]


def test_async_methods_are_cached_per_instance() -> None:
    async def run() -> tuple[int, int, int]:
        s = Service(5)
        return await s.aadd(1), await s.aadd(1), s.calls

    assert asyncio.run(run()) == (6, 6, 1)


def test_async_functions_are_cached(unique_name: str) -> None:
    calls: list[int] = []

    @cached_function(name=unique_name)
    async def f(x: int) -> int:
        calls.append(x)
        await asyncio.sleep(0)
        return x * 3

    async def run() -> list[int]:
        return [await f(2), await f(2), await f([1].__len__())]

    assert asyncio.run(run()) == [6, 6, 3]
    assert calls == [2, 1]
    assert asyncio.iscoroutinefunction(f)


def test_reentrant_same_key_computes_again_as_lru_cache_does(unique_name: str) -> None:
    """Issue 9: re-entry computes again (no deadlock, no CacheError), as functools does."""
    depth: list[int] = []

    @cached_function(name=unique_name)
    def again(x: int) -> int:
        depth.append(x)
        return again(x) + 1 if len(depth) < 3 else 0

    assert again(1) == 2
    assert depth == [1, 1, 1]
    assert again(1) == 2 and depth == [1, 1, 1]  # the outermost result is the cached one
    assert again.cache_info().currsize == 1  # type: ignore[attr-defined]


def test_reentrant_other_key_is_fine(unique_name: str) -> None:
    @cached_function(name=unique_name)
    def fib(n: int) -> int:
        return n if n < 2 else fib(n - 1) + fib(n - 2)

    assert fib(30) == 832040


def test_async_reentrant_same_key_computes_again(unique_name: str) -> None:
    depth: list[int] = []

    @cached_function(name=unique_name)
    async def again(x: int) -> int:
        depth.append(x)
        if len(depth) < 3:
            return await asyncio.create_task(again(x)) + 1  # a child task inherits the context
        return 0

    assert asyncio.run(again(1)) == 2
    assert depth == [1, 1, 1]


def test_cache_manager_registers_the_function(unique_name: str) -> None:
    manager = CacheManager(default_ttl=60)

    @cached_function(name=unique_name, cache_manager=manager)
    def f(x: int) -> int:
        return x

    f(1), f(1)
    stats = manager.cache_stats()
    assert stats["caches"][unique_name]["hits"] == 1
    manager.clear_cache(unique_name)
    assert f.cache_info().currsize == 0  # type: ignore[attr-defined]


def test_static_and_class_methods_keep_their_binding(unique_name: str) -> None:
    calls: list[Any] = []

    class Tools:
        @cached_function(name=unique_name + "_static")
        @staticmethod
        def twice(x: int) -> int:
            calls.append(x)
            return 2 * x

        @cached_function(name=unique_name + "_class")
        @classmethod
        def named(cls, x: int) -> str:
            calls.append(x)
            return f"{cls.__name__}:{x}"

    assert Tools.twice(2) == Tools().twice(2) == 4
    assert Tools.named(3) == Tools().named(3) == "Tools:3"
    assert calls == [2, 3]
