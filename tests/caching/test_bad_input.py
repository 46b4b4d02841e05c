"""Bad input gets a clear error naming the argument, the bad value and what is accepted."""

from __future__ import annotations

import re
from typing import Any

import pytest

from codomyrmex.performance import CacheManager, cached_function, caching
from codomyrmex.performance.errors import CacheError


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"ttl": -1}, CacheError, "ttl must be a positive number of seconds or a callable, got -1"),
        ({"ttl": 0}, CacheError, "ttl must be a positive number of seconds or a callable, got 0"),
        ({"ttl": "1h"}, TypeError,
         "ttl must be a positive number of seconds or a callable, got '1h' (str)"),
        ({"ttl_seconds": 0}, CacheError, "ttl_seconds must be a positive number of seconds, got 0"),
        # (max_size=0 caches nothing and a negative size is 0, as functools: issue 9)
        ({"max_size": 2.5}, TypeError, "max_size must be an integer (0 or less: cache nothing) "
         "or None (unbounded), got 2.5 (float)"),
        ({"policy": "mru"}, CacheError,
         "policy must be one of 'fifo', 'lfu', 'lru', 'rr', got 'mru'"),
        ({"typed": "yes"}, TypeError, "typed must be True or False, got 'yes'"),
        ({"key": 3}, TypeError, "key must be callable or None, got 3 (int)"),
        ({"exception_ttl": -5}, CacheError,
         "exception_ttl must be a positive number of seconds, got -5"),
        ({"cache_exceptions": [ValueError]}, TypeError,
         "cache_exceptions must be an exception class or a tuple of them, got [<class 'ValueError'>]"),
        ({"name": " "}, CacheError, "name must be a non-empty string, got ' '"),
        ({"persist": 3}, TypeError, "persist must be a file path, True or None, got 3 (int)"),
        ({"redis": "http://x"}, CacheError,
         "redis must be a redis://, rediss:// or unix:// URL or a redis-py client, got 'http://x'"),
        ({"retry_after": float("nan")}, CacheError,
         "retry_after must be a number of seconds >= 0, got nan"),
        ({"lease_wait": None}, TypeError, "lease_wait must be a positive number of seconds, got None"),
        ({"timer": 5}, TypeError,
         "timer must be a callable returning seconds (like time.monotonic), got 5 (int)"),
    ],
)  # fmt: skip
def test_cached_function_rejects(
    kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        cached_function(**kwargs)


def test_decorating_a_non_callable_is_a_type_error() -> None:
    with pytest.raises(
        TypeError, match=r"^cached_function must decorate a callable, got 42 \(int\)$"
    ):
        cached_function(42)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match=r"^cached_function must decorate a callable, got None"):
        cached_function(ttl=5)(None)  # type: ignore[arg-type]


def test_ttl_and_ttl_seconds_disagreeing() -> None:
    with pytest.raises(CacheError, match=r"^pass ttl or ttl_seconds, not both"):
        cached_function(ttl=5, ttl_seconds=6)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"maxsize": 0}, CacheError, "maxsize must be an integer >= 1, got 0"),
        ({"default_ttl": -1}, CacheError,
         "default_ttl must be a positive number of seconds, got -1"),
        ({"policy": "x"}, CacheError, "policy must be one of 'fifo', 'lfu', 'lru', 'rr', got 'x'"),
        ({"cache_dir": 5}, TypeError, "cache_dir must be a directory path or None, got 5"),
        ({"signing_key": b"short"}, CacheError, "signing_key must be at least 16 bytes, got 5 bytes"),
        ({"retry_after": "x"}, CacheError, "retry_after must be a number of seconds >= 0, got 'x'"),
        ({"retry_after": -1}, CacheError, "retry_after must be a number of seconds >= 0, got -1"),
        ({"lease_wait": -5}, CacheError, "lease_wait must be a positive number of seconds, got -5"),
        ({"lease_wait": "x"}, TypeError,
         "lease_wait must be a positive number of seconds, got 'x' (str)"),
        ({"lease_timeout": None}, TypeError,
         "lease_timeout must be a positive number of seconds, got None"),
        ({"timer": 5}, TypeError,
         "timer must be a callable returning seconds (like time.monotonic), got 5 (int)"),
    ],
)  # fmt: skip
def test_cache_manager_rejects(
    kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        CacheManager(**kwargs)


def test_unreachable_redis_with_strict_is_a_cache_error() -> None:
    with pytest.raises(CacheError, match=r"^redis redis://127\.0\.0\.1:1/0 is unreachable \("):
        CacheManager(redis="redis://127.0.0.1:1/0", strict=True)
    with pytest.raises(CacheError, match=r"is unreachable"):
        cached_function(redis="redis://127.0.0.1:1/0", strict=True)


def test_unreachable_redis_without_strict_fails_open(unique_name: str) -> None:
    @cached_function(name=unique_name, redis="redis://127.0.0.1:1/0", retry_after=0)
    def f(x: int) -> int:
        return x + 1

    assert f(1) == 2 and f(1) == 2
    assert f.cache_stats().errors["redis/get"] == 1  # type: ignore[attr-defined]


def test_manager_set_rejects_bad_ttl_and_tags() -> None:
    manager = CacheManager()
    with pytest.raises(CacheError, match=r"^ttl must be a positive number of seconds, got 0$"):
        manager.set("k", 1, ttl=0)
    with pytest.raises(TypeError, match=r"^tags must be non-empty strings, got 3 \(int\) in \[3\]$"):
        manager.set("k", 1, tags=[3])  # type: ignore[list-item]


def test_clear_cache_of_an_unknown_name_lists_the_known_ones() -> None:
    manager = CacheManager(name="main")
    with pytest.raises(CacheError, match=r"^clear_cache: no cache named 'nope'; known: main$"):
        manager.clear_cache("nope")


def test_method_with_shared_tier_needs_a_key(tmp_path: Any) -> None:
    with pytest.raises(CacheError, match=r"is a method: an instance has no identity"):

        class Svc:
            @cached_function(persist=tmp_path / "c.sqlite3")
            def m(self, x: int) -> int:
                return x


def test_unencodable_unhashable_argument_is_a_type_error(unique_name: str) -> None:
    @cached_function(name=unique_name)
    def f(x: Any) -> Any:
        return x

    with pytest.raises(TypeError, match=r"^unhashable argument with no canonical encoding"):
        f([object()])


def test_exported_names_match_all() -> None:
    public = {n for n in dir(caching) if not n.startswith("_")} - {"annotations"}
    modules = {n for n in public if type(getattr(caching, n)).__name__ == "module"}
    assert set(caching.__all__) == public - modules


def test_a_ttl_callable_returning_a_non_number_is_a_cache_error(unique_name: str) -> None:
    @cached_function(name=unique_name, ttl=lambda value: "soon")
    def f(x: int) -> int:
        return x

    with pytest.raises(CacheError, match=r"must return seconds \(a number\) or None, got 'soon'"):
        f(1)
    assert f.cache_info().currsize == 0  # type: ignore[attr-defined]
