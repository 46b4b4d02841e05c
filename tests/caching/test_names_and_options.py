"""Issue 9, one name per idea: functools/cachetools names where users know them, one name
elsewhere (old spellings warn), the shared-tier options grouped in ``Tiers``; bad names and
tags of a ``CacheManager`` are named errors."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codomyrmex.performance import CacheManager, cached_function
from codomyrmex.performance.caching import Tiers
from codomyrmex.performance.errors import CacheError


def test_maxsize_is_the_functools_name(unique_name: str) -> None:
    @cached_function(name=unique_name, maxsize=2)
    def f(x: int) -> int:
        return x

    f(1), f(2), f(3)
    assert f.cache_info().maxsize == 2 and f.cache_info().currsize == 2  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ({"max_size": 3}, {"maxsize": 3},
         "cached_function(max_size=...) is deprecated; use maxsize= (as functools.lru_cache)"),
        ({"ttl_seconds": 5}, {"ttl": 5}, "cached_function(ttl_seconds=...) is deprecated; use ttl="),
        ({"cache_key_prefix": "p:"}, {"key_prefix": "p:"},
         "cached_function(cache_key_prefix=...) is deprecated; use key_prefix= (as CacheManager)"),
    ],
)  # fmt: skip
def test_old_decorator_spellings_warn_and_still_work(
    old: dict[str, Any], new: dict[str, Any], message: str, unique_name: str
) -> None:
    with pytest.warns(DeprecationWarning, match=f"^{re.escape(message)} \\(same meaning\\)$") as rec:

        @cached_function(name=unique_name, **old)
        def f(x: int) -> int:
            return x

    assert rec[0].filename == __file__  # points at the caller
    assert f(1) == f(1) == 1 and f.cache_info().hits == 1  # type: ignore[attr-defined]
    params = f.cache_parameters()  # type: ignore[attr-defined]
    assert params == {"maxsize": new.get("maxsize", 1024), "typed": False}


def test_old_manager_spellings_warn_and_still_work(unique_name: str) -> None:
    with pytest.warns(DeprecationWarning, match=r"^CacheManager\(max_memory_items=\.\.\.\) is "):
        manager = CacheManager(max_memory_items=2, name=unique_name)
    assert manager.maxsize == manager.max_memory_items == 2
    manager.set("a", 1)
    with pytest.warns(DeprecationWarning, match=r"^CacheManager\.get_stats\(\) is deprecated"):
        old = manager.get_stats()
    assert old == manager.cache_stats()
    cache = manager.get_cache(unique_name)
    with pytest.warns(DeprecationWarning, match=r"^NamedCache\.stats\(\) is deprecated"):
        as_dict = cache.stats()
    assert as_dict == cache.cache_stats().as_dict()
    assert cache.cache_stats().puts == 1


def test_the_seed_manager_call_needs_no_keyword(tmp_path: Path) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no DeprecationWarning for the positional seed call
        manager = CacheManager(str(tmp_path), 10, 60)
    assert (manager.maxsize, manager.default_ttl) == (10, 60)
    manager.close()


def test_tiers_groups_the_shared_tier_options(tmp_path: Path, unique_name: str) -> None:
    shared = Tiers(persist=tmp_path / "c.sqlite3", retry_after=0, key_prefix="app:")
    calls: list[int] = []

    def view() -> Any:
        @cached_function(name=unique_name, tiers=shared)
        def f(x: int) -> int:
            calls.append(x)
            return x

        return f

    assert view()(1) == 1
    assert view()(1) == 1 and calls == [1]  # a fresh memory tier: read from the file
    manager = CacheManager(tiers=shared, name=unique_name + ".m")
    assert manager.tiers == shared and manager.key_prefix == "app:"
    with pytest.raises(AttributeError, match=r"^Tiers is immutable: use \.replace\(strict=\.\.\.\)$"):
        shared.strict = True  # type: ignore[misc]
    assert shared.replace(strict=True).strict is True
    assert repr(Tiers(signing_key=b"k" * 16, strict=True)) == "Tiers(signing_key=<key>, strict=True)"


def test_tiers_and_flat_tier_keywords_are_exclusive(tmp_path: Path) -> None:
    message = (
        "pass the shared-tier options either in tiers= or as keywords, not both "
        "(got tiers= and persist=, retry_after=)"
    )
    for build in (cached_function, CacheManager):
        with pytest.raises(CacheError) as info:
            build(tiers=Tiers(), persist=tmp_path / "c.sqlite3", retry_after=0)  # type: ignore[operator]
        assert str(info.value) == message
    with pytest.raises(TypeError, match=r"^tiers must be a Tiers\(\.\.\.\) object or None, got"):
        cached_function(tiers={"persist": "x"})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"strict": 1}, TypeError, "strict must be True or False, got 1"),
        ({"lease_timeout": 0}, CacheError, "lease_timeout must be a positive number of seconds, got 0"),
        ({"retry_after": -1}, CacheError, "retry_after must be a number of seconds >= 0, got -1"),
        ({"key_prefix": 3}, TypeError, "key_prefix must be a string, got 3"),
        ({"signing_key": "short"}, CacheError, "signing_key must be at least 16 bytes, got 5 bytes"),
        ({"signing_key": "\udcff" * 20}, CacheError,
         "signing_key must be bytes or a str encodable as UTF-8, got a str with '\\udcff' at "
         "position 0 (surrogates not allowed)"),
        ({"signing_key": 1234567890123456}, TypeError,
         "signing_key must be bytes or str, got 1234567890123456 (int)"),
    ],
)  # fmt: skip
def test_bad_tier_options_are_named(kwargs: dict[str, Any], error: type, message: str) -> None:
    for build in (lambda: Tiers(**kwargs), lambda: cached_function(**kwargs),
                  lambda: CacheManager(**kwargs)):  # fmt: skip
        with pytest.raises(error) as info:
            build()
        assert str(info.value) == message


# -- CacheManager names and tags -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda m: m.get_cache(3), TypeError, "name must be a non-empty string, got 3 (int)"),
        (lambda m: m.get_cache(" "), CacheError, "name must be a non-empty string, got ' '"),
        (lambda m: m.clear_cache(b"x"), TypeError, "name must be a non-empty string, got b'x' (bytes)"),
        (lambda m: CacheManager(name=None), TypeError,
         "name must be a non-empty string, got None (NoneType)"),
        (lambda m: m.set("k", 1, tags=5), TypeError,
         "tags must be a string or an iterable of strings, got 5 (int)"),
        (lambda m: m.set("k", 1, tags=b"ab"), TypeError,
         "tags must be a string or an iterable of strings, got b'ab' (bytes)"),
        (lambda m: m.set("k", 1, tags=["a", 2]), TypeError,
         "tags must be non-empty strings, got 2 (int) in ['a', 2]"),
        (lambda m: m.set("k", 1, tags=["a", ""]), CacheError,
         "tags must be non-empty strings, got '' in ['a', '']"),
        (lambda m: m.invalidate_tags("a", None), TypeError,
         "tags must be non-empty strings, got None (NoneType) in ['a', None]"),
    ],
)  # fmt: skip
def test_manager_names_and_tags_of_the_wrong_type_are_named(
    call: Any, error: type, message: str
) -> None:
    manager = CacheManager()
    with pytest.raises(error) as info:
        call(manager)
    assert str(info.value) == message
    assert manager.get("k") is None  # nothing was stored by a refused set


@given(
    tags=st.one_of(
        st.none(), st.text(max_size=3), st.integers(), st.binary(max_size=3),
        st.lists(st.one_of(st.text(max_size=3), st.integers(), st.none()), max_size=3),
    )
)  # fmt: skip
@settings(max_examples=150, deadline=None)
def test_any_tags_value_is_stored_or_refused_with_a_named_error(tags: Any) -> None:
    manager = CacheManager()
    try:
        manager.set("k", 1, tags=tags)
    except (TypeError, CacheError) as exc:
        assert str(exc).startswith("tags must be")
        assert manager.get("k") is None
    else:
        assert manager.get("k") == 1


@given(
    port=st.one_of(st.integers(-5, 70000), st.text("0123456789abc", min_size=1, max_size=6)),
    timeout=st.one_of(st.none(), st.sampled_from(["0", "-1", "x", "nan", "inf", "0.5", "2"])),
)
@settings(max_examples=100, deadline=None)
def test_any_redis_url_is_accepted_or_refused_naming_port_or_timeout(port: Any, timeout: Any) -> None:
    url = f"redis://127.0.0.1:{port}/0" + ("" if timeout is None else f"?socket_timeout={timeout}")
    try:
        f = cached_function(redis=url, name="hypothesis_redis_url", retry_after=60)(abs)
    except CacheError as exc:
        assert str(exc).startswith(f"redis URL {url!r} has a bad ")
        assert ("port" in str(exc)) or ("socket_timeout" in str(exc))
    else:
        f.cache_close()  # type: ignore[attr-defined]
