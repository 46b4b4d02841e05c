"""Issue 9, bad input: hypothesis over the in-memory options of ``cached_function`` (maxsize,
ttl, policy, typed, key, timer). Every combination either raises a clear typed error naming the
argument at decoration, or caches correctly: every call returns the function's value, and the
memory tier never holds more than ``maxsize`` entries."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codomyrmex.performance import cached_function
from codomyrmex.performance.errors import PerformanceError


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


_SIZES = st.one_of(
    st.none(),
    st.integers(min_value=-3, max_value=6),
    st.sampled_from([2.5, "3", True, [], math.nan]),
)
_TTLS = st.one_of(
    st.none(),
    st.floats(min_value=0.5, max_value=50, allow_nan=False),
    st.sampled_from([0, -1, math.inf, math.nan, "10", True, lambda v: 5.0, lambda v: None]),
)
_POLICIES = st.sampled_from(["lru", "LFU", "fifo", "rr", "nope", "", 3, None])
_TYPED = st.sampled_from([False, True, 0, "yes", None])
_KEYS = st.sampled_from(
    [None, "abs", "pair", "list", "not callable"]
)  # key functions by name (hypothesis shows the name)
_TIMERS = st.sampled_from(["clock", "text", "none", 5])

_KEY_FUNCS: dict[str, Any] = {
    "abs": lambda x: abs(x),
    "pair": lambda x: (x % 3, "k"),
    "list": lambda x: [x],
    "not callable": 42,
}


def _timer(name: Any, clock: FakeClock) -> Any:
    return {"clock": clock, "text": lambda: "t", "none": lambda: None}.get(name, name)


def _named(exc: BaseException, names: tuple[str, ...]) -> bool:
    return any(n in str(exc) for n in names)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    maxsize=_SIZES, ttl=_TTLS, policy=_POLICIES, typed=_TYPED, key=_KEYS, timer=_TIMERS,
    calls=st.lists(st.integers(min_value=-6, max_value=6), max_size=40),
    ticks=st.lists(st.floats(min_value=0, max_value=20), max_size=40),
)  # fmt: skip
def test_options_give_a_clear_error_or_correct_caching(
    maxsize: Any, ttl: Any, policy: Any, typed: Any, key: Any, timer: Any,
    calls: list[int], ticks: list[float],
) -> None:  # fmt: skip
    clock = FakeClock()
    options = {
        "maxsize": maxsize,
        "ttl": ttl,
        "policy": policy,
        "typed": typed,
        "key": _KEY_FUNCS.get(key) if key else None,
        "timer": _timer(timer, clock),
    }
    computed: list[int] = []
    try:
        decorator = cached_function(**options)
    except (PerformanceError, TypeError, ValueError) as exc:
        # a clear error names the argument it is about
        assert _named(exc, ("maxsize", "max_size", "ttl", "policy", "typed", "key", "timer")), exc
        return

    @decorator
    def square(x: int) -> int:
        computed.append(x)
        return x * x

    bound = None if maxsize is None else max(maxsize, 0)
    for i, x in enumerate(calls):
        if key == "list":
            try:
                square(x)
            except TypeError as exc:
                assert "key= of cached function" in str(exc)
                continue
            raise AssertionError("an unhashable key= result was accepted")
        assert square(x) == x * x
        info = square.cache_info()
        assert info.maxsize == bound
        if bound is not None:
            assert info.currsize <= bound
        if i < len(ticks):
            clock.now += ticks[i]
    # every call was a hit or a miss, and nothing was computed that was not a miss
    info = square.cache_info()
    if key != "list":
        assert info.hits + info.misses == len(calls)
        assert len(computed) == info.misses
    if bound == 0:
        assert info.hits == 0 and info.currsize == 0
