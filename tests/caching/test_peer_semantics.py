"""Issue 9, peer semantics: ``cached_function`` behaves as ``functools.lru_cache``/cachetools
where a user would expect it (README "Differences from functools/cachetools" lists the rest).

Each reproducer from the issue that applies to a tier runs on every tier (memory, SQLite, a
real Redis): the ``tier`` fixture of tests/caching/conftest.py.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import threading
import typing
from typing import Any
from unittest import mock

import pytest

from codomyrmex.performance import cached_function

from .conftest import Tier


def _in_thread(fn: typing.Callable[[], Any]) -> Any:
    """Run ``fn`` in a daemon thread; a hang (the bug) is reported instead of wedging the run.
    The join timeout is a hang guard, not a speed limit: the call takes microseconds."""
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(fn())
        except BaseException as exc:  # reported to the test below
            out.append(exc)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(60)
    assert not t.is_alive(), "the call hung (a non-reentrant lock re-entered)"
    if isinstance(out[0], BaseException):
        raise out[0]
    return out[0]


# -- re-entry (issue reproducer 4) -------------------------------------------------------------
def test_need_for_rlock_reentry_through_eq_returns_the_right_value(unique_name: str) -> None:
    """CPython's test_need_for_rlock: ``__eq__`` of an argument calls the cached function
    while the hit path holds the cache's lock."""

    @cached_function(name=unique_name, maxsize=10)
    def test_func(x: Any) -> Any:
        return x

    class DoubleEq:
        def __init__(self, x: int) -> None:
            self.x = x

        def __hash__(self) -> int:
            return self.x

        def __eq__(self, other: object) -> bool:
            if self.x == 2:
                test_func(DoubleEq(1))
            return isinstance(other, DoubleEq) and self.x == other.x

    test_func(DoubleEq(1))
    test_func(DoubleEq(2))
    assert _in_thread(lambda: test_func(DoubleEq(2))) == DoubleEq(2)
    # Later callers are not wedged either (the bug left the lock held forever).
    assert _in_thread(lambda: test_func(DoubleEq(1))).x == 1


def test_decorator_needs_rlock_reentry_through_hash(unique_name: str) -> None:
    """cachetools' test_decorator_needs_rlock: ``__hash__`` calls the cached function."""

    class Reentrant:
        def __hash__(self) -> int:
            return hash(func(0))  # re-enters while the key is hashed

    @cached_function(name=unique_name)
    def func(x: Any) -> int:
        return 0 if x == 0 else 1

    assert _in_thread(lambda: func(Reentrant())) == 1
    assert _in_thread(lambda: func(0)) == 0


def test_recursion_with_the_same_key_computes_again_on_every_tier(tier: Tier) -> None:
    depth: list[int] = []

    @cached_function(name=f"reenter_{tier.name}", **tier.options())
    def again(x: int) -> int:
        depth.append(x)
        return again(x) + 1 if len(depth) < 3 else 0

    try:
        assert _in_thread(lambda: again(7)) == 2
        assert depth == [7, 7, 7]
        assert again(7) == 2 and depth == [7, 7, 7]  # now a hit
    finally:
        again.cache_clear()
        again.cache_close()


# -- max_size ------------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [0, -1, -100])
def test_max_size_zero_or_negative_caches_nothing(unique_name: str, size: int) -> None:
    calls: list[int] = []

    @cached_function(name=unique_name, maxsize=size)
    def f(x: int) -> int:
        calls.append(x)
        return x * 2

    assert [f(1), f(1), f(2)] == [2, 2, 4]
    assert calls == [1, 1, 2]
    assert tuple(f.cache_info()) == (0, 3, 0, 0)  # functools reports maxsize=0 too
    assert f.cache_parameters() == {"maxsize": 0, "typed": False}


def test_max_size_zero_with_a_shared_tier_reads_the_tier(tier: Tier) -> None:
    """``max_size`` is the memory tier's size: with 0, a shared tier still serves hits."""
    calls: list[int] = []

    @cached_function(name=f"size0_{tier.name}", maxsize=0, **tier.options())
    def f(x: int) -> int:
        calls.append(x)
        return x * 2

    try:
        assert [f(1), f(1)] == [2, 2]
        assert calls == ([1] if tier.shared else [1, 1])
        assert f.cache_info().currsize == 0
    finally:
        f.cache_clear()
        f.cache_close()


def test_cache_parameters_has_exactly_the_functools_keys(unique_name: str) -> None:
    @cached_function(name=unique_name, ttl=5, policy="lfu", maxsize=7, typed=True)
    def f(x: int) -> int:
        return x

    assert f.cache_parameters() == {"maxsize": 7, "typed": True}
    stats = f.cache_stats()
    assert stats.max_size == 7


# -- key= (issue reproducer 3) -------------------------------------------------------------------
def test_unhashable_key_result_is_a_type_error_naming_key_on_every_tier(tier: Tier) -> None:
    version = [1]
    calls: list[int] = []

    @cached_function(name=f"badkey_{tier.name}", key=lambda x: [x, version[0]], **tier.options())
    def f(x: int) -> int:
        calls.append(x)
        return x

    try:
        with pytest.raises(TypeError, match=r"^key= of cached function .*f must return a hashable"):
            f(1)
        assert calls == []  # never computed with a key it could not keep
    finally:
        f.cache_close()


def test_a_hashable_key_result_keys_the_entry_on_every_tier(tier: Tier) -> None:
    version = [1]
    calls: list[tuple[int, int]] = []

    @cached_function(name=f"goodkey_{tier.name}", key=lambda x: (x, version[0]), **tier.options())
    def f(x: int) -> int:
        calls.append((x, version[0]))
        return x * version[0]

    try:
        assert f(3) == 3
        version[0] = 10
        assert f(3) == 30  # the key changed: a new entry, not the stale one
        assert calls == [(3, 1), (3, 10)]
    finally:
        f.cache_clear()
        f.cache_close()


# -- one __hash__ per call -----------------------------------------------------------------------
def test_a_single_argument_is_hashed_once_per_call_hit_miss_and_eviction(unique_name: str) -> None:
    """CPython's test_lru_hash_only_once, for the single-argument call the issue names."""

    @cached_function(name=unique_name, maxsize=1)
    def f(x: Any) -> int:
        return 16

    mock_int = mock.Mock()
    mock_int.__hash__ = mock.Mock(return_value=999)  # type: ignore[method-assign]
    assert f(mock_int) == 16  # miss and insert: one call
    assert mock_int.__hash__.call_count == 1
    assert f(mock_int) == 16  # hit: one more
    assert mock_int.__hash__.call_count == 2
    assert tuple(f.cache_info()) == (1, 1, 1, 1)
    assert f(6) == 16  # evicts mock_int: no call
    assert mock_int.__hash__.call_count == 2
    assert f(mock_int) == 16  # miss again: one call
    assert mock_int.__hash__.call_count == 3
    assert f.invalidate(mock_int) is True  # invalidate builds the same key
    assert f.cache_info().currsize == 0


@pytest.mark.parametrize("opts", [{}, {"typed": True}, {"ttl": 60}], ids=["fast", "typed", "ttl"])
def test_hash_once_on_the_general_paths_too(unique_name: str, opts: dict[str, Any]) -> None:
    @cached_function(name=unique_name, **opts)
    def f(x: Any) -> int:
        return 1

    obj = mock.Mock()
    obj.__hash__ = mock.Mock(return_value=5)  # type: ignore[method-assign]
    f(obj)
    f(obj)
    assert obj.__hash__.call_count == 2
    assert f.cache_info().hits == 1


# -- methods -------------------------------------------------------------------------------------
def test_a_method_is_detected_by_its_class_body_not_by_a_parameter_named_self(
    unique_name: str,
) -> None:
    class C:
        def __init__(self, n: int) -> None:
            self.n = n

        @cached_function(name=unique_name)
        def m(this, x: int) -> int:  # not "self": the point of the test
            return this.n + x

    a, b = C(1), C(100)
    assert (a.m(1), b.m(1), a.m(1)) == (2, 101, 2)
    assert C.m.cache_info().hits == 1
    assert C.m.invalidate(a, 1) is True


@dataclasses.dataclass(slots=True, frozen=True)
class _Slots:
    a: int

    @cached_function
    def plus(self, x: int) -> int:
        return self.a + x


class _Pair(typing.NamedTuple):
    a: int

    @cached_function
    def plus(self, x: int) -> int:
        return self.a + x


@dataclasses.dataclass(slots=True)
class _MutableSlots:
    a: int

    @cached_function
    def plus(self, x: int) -> int:
        return self.a + x


@pytest.mark.parametrize("cls", [_Slots, _Pair, _MutableSlots])
def test_instances_without_weakref_are_cached_keyed_by_the_instance(cls: Any) -> None:
    one, two = cls(1), cls(2)
    assert not hasattr(one, "__weakref__")
    before = cls.plus.cache_info()
    assert (one.plus(10), two.plus(10), one.plus(10)) == (11, 12, 11)
    after = cls.plus.cache_info()
    assert (after.hits - before.hits, after.misses - before.misses) == (1, 2)
    assert cls.plus.invalidate(one, 10) is True
    assert cls.plus.invalidate(one, 10) is False


# -- timedelta TTLs with a datetime timer ----------------------------------------------------------
class _Clock:
    def __init__(self) -> None:
        self.now = datetime.datetime(2026, 1, 1)

    def __call__(self) -> datetime.datetime:
        return self.now

    def tick(self, **delta: float) -> None:
        self.now += datetime.timedelta(**delta)


@pytest.mark.parametrize("policy", ["lru", "lfu"])
def test_timedelta_ttl_with_a_datetime_timer_expires_as_in_cachetools(
    unique_name: str, policy: str
) -> None:
    clock = _Clock()
    calls: list[int] = []

    @cached_function(
        name=unique_name, ttl=datetime.timedelta(seconds=10), timer=clock, policy=policy
    )
    def f(x: int) -> int:
        calls.append(x)
        return x

    f(1)
    clock.tick(seconds=9)
    f(1)
    assert calls == [1]
    clock.tick(seconds=1)  # cachetools: expired at insert time + ttl
    f(1)
    assert calls == [1, 1]


def test_timedelta_ttl_with_the_default_clock_is_seconds(unique_name: str) -> None:
    @cached_function(name=unique_name, ttl=datetime.timedelta(minutes=2))
    def f(x: int) -> int:
        return x

    assert f(1) == 1 and f(1) == 1
    assert f.cache_info().hits == 1


# -- exceptions carry no cache-internal context (bpo-13177) ---------------------------------------
_SHAPES = {
    "fast": {},
    "typed": {"typed": True},
    "key": {"key": lambda x: x},
    "ttl": {"ttl": 60},
    "cache_exceptions": {"cache_exceptions": (KeyError,)},
}


@pytest.mark.parametrize("shape", sorted(_SHAPES))
def test_the_functions_exception_has_no_cache_context_on_every_tier(tier: Tier, shape: str) -> None:
    opts = dict(_SHAPES[shape])
    if tier.shared and "key" not in opts:
        opts["key"] = lambda x: ("k", x)

    @cached_function(name=f"ctx_{tier.name}_{shape}", **tier.options(**opts))
    def boom(x: Any) -> int:
        raise ValueError(f"bad {x}")

    try:
        for arg in (1, 1):  # a miss, then (cache_exceptions aside) a miss again
            with pytest.raises(ValueError, match="^bad 1$") as info:
                boom(arg)
            assert info.value.__context__ is None
            assert info.value.__cause__ is None
    finally:
        boom.cache_close()


def test_an_unhashable_argument_call_raises_without_context(unique_name: str) -> None:
    @cached_function(name=unique_name)
    def boom(x: Any) -> int:
        raise ValueError("bad")

    with pytest.raises(ValueError) as info:
        boom([1, 2])
    assert info.value.__context__ is None


def test_a_method_and_a_coroutine_raise_without_context(unique_name: str) -> None:
    class C:
        @cached_function(name=unique_name + "_m")
        def m(self, x: int) -> int:
            raise ValueError("method")

    @cached_function(name=unique_name + "_a")
    async def a(x: int) -> int:
        raise ValueError("coroutine")

    with pytest.raises(ValueError) as info:
        C().m(1)
    assert info.value.__context__ is None
    with pytest.raises(ValueError) as ainfo:
        asyncio.run(a(1))
    assert ainfo.value.__context__ is None


# -- the timer ------------------------------------------------------------------------------------
@pytest.mark.parametrize("reading", ["x", None, True, b"1"])
def test_a_timer_returning_a_non_number_is_a_type_error_naming_timer(reading: Any) -> None:
    with pytest.raises(TypeError, match=r"^timer must return a number of seconds .*got "):
        cached_function(ttl=5, timer=lambda: reading)


# -- a leader's failure (async; threads: test_stampede.py) ---------------------------------------
@pytest.mark.parametrize("cached", [False, True], ids=["uncached-error", "cache_exceptions"])
def test_async_waiters_get_a_leaders_failure_only_when_it_is_cached(
    unique_name: str, cached: bool
) -> None:
    executions: list[int] = []

    @cached_function(name=unique_name, cache_exceptions=(RuntimeError,) if cached else ())
    async def boom(x: int) -> int:
        executions.append(x)
        await asyncio.sleep(0.01)
        raise RuntimeError("failed load")

    async def run() -> list[BaseException | int]:
        return await asyncio.gather(*(boom(1) for _ in range(5)), return_exceptions=True)

    results = asyncio.run(run())
    assert [type(r) for r in results] == [RuntimeError] * 5
    assert executions == ([1] if cached else [1] * 5)
