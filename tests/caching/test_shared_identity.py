"""Issue 9, shared-tier identity: two functions never read each other's shared entries.

The reproducers of the issue (the ``sq``/``cube`` lambdas, the ``make(n)`` closures, also in a
later process) on every tier; ``version=``; one ``typed`` rule in memory and in the shared
tiers.
"""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from codomyrmex.performance import cached_function
from codomyrmex.performance.errors import CacheError

from .conftest import Tier


def _fresh(tier: Tier, name: str, calls: list[Any], **extra: Any) -> Any:
    """A cache of ``name`` on ``tier`` with an empty memory tier (as in a new process)."""

    @cached_function(name=name, **tier.options(**extra))
    def f(x: Any) -> Any:
        calls.append(x)
        return [x, type(x).__name__]

    return f


# -- typed: one rule in memory and in the shared tiers -------------------------------------------
def test_untyped_keys_f1_and_f1_0_together_in_every_tier(tier: Tier, unique_name: str) -> None:
    calls: list[Any] = []
    f = _fresh(tier, unique_name, calls)
    assert f(1) == [1, "int"]
    assert f(1.0) == [1, "int"]  # memory: 1 == 1.0, one entry (as functools.lru_cache)
    assert f(True) == [1, "int"]
    del f
    gc.collect()
    g = _fresh(tier, unique_name, calls)
    if tier.shared:
        assert g(1.0) == [1, "int"]  # the shared tiers key it the same way (before: a miss)
        assert calls == [1]
    else:
        assert g(1.0) == [1.0, "float"] and calls == [1, 1.0]  # a new memory tier


def test_typed_keys_f1_and_f1_0_apart_in_every_tier(tier: Tier, unique_name: str) -> None:
    calls: list[Any] = []
    f = _fresh(tier, unique_name, calls, typed=True)
    assert f(1) == [1, "int"] and f(1.0) == [1.0, "float"]
    del f
    gc.collect()
    g = _fresh(tier, unique_name, calls, typed=True)
    assert g(1) == [1, "int"] and g(1.0) == [1.0, "float"]
    assert calls == ([1, 1.0] if tier.shared else [1, 1.0, 1, 1.0])


# -- reproducer 1: two functions with one default name ------------------------------------------
@pytest.fixture(params=["sqlite", "redis"])
def shared_tier(request: pytest.FixtureRequest, tmp_path: Path) -> Tier:
    """The shared tiers only (a memory cache is per function: no name is shared)."""
    if request.param == "sqlite":
        return Tier("sqlite", persist=tmp_path / "cache.sqlite3")
    return Tier("redis", redis=request.getfixturevalue("redis_url"))


def test_lambdas_on_a_shared_tier_need_a_name(tier: Tier, unique_name: str) -> None:
    opts = tier.options()
    if not tier.shared:
        sq = cached_function(**opts)(lambda x: x * x)
        cube = cached_function(**opts)(lambda x: x**3)
        assert (sq(3), cube(3)) == (9, 27)
        return
    shown = "persist=..." if tier.persist else "redis=..."
    with pytest.raises(CacheError) as info:
        cached_function(**opts)(lambda x: x * x)
    message = str(info.value)
    assert message.startswith(
        f"cached_function({shown}) needs name= for test_lambdas_on_a_shared_tier_need_a_name"
        ".<locals>.<lambda>: its default name 'tests.caching.test_shared_identity."
        "test_lambdas_on_a_shared_tier_need_a_name.<locals>.<lambda>' is ambiguous (every "
        "lambda of a module has it)"
    ), message
    assert 'cached_function(..., name="' in message  # shows how
    sq = cached_function(name=unique_name + ".sq", **opts)(lambda x: x * x)
    cube = cached_function(name=unique_name + ".cube", **opts)(lambda x: x**3)
    assert (sq(3), cube(3)) == (9, 27)  # before: 9, 9


def _make(n: int, **opts: Any) -> Any:
    @cached_function(**opts)
    def scale(x: int) -> int:
        return x * n

    return scale


def test_closures_on_a_shared_tier_need_a_name(shared_tier: Tier, unique_name: str) -> None:
    tier = shared_tier
    with pytest.raises(CacheError, match=r"needs name= for _make\.<locals>\.scale: .* ambiguous "
                       r"\(every function made by the enclosing function has it"):  # fmt: skip
        _make(2, **tier.options())
    two = _make(2, name=f"{unique_name}.x2", **tier.options())
    ten = _make(10, name=f"{unique_name}.x10", **tier.options())
    assert (two(5), ten(5)) == (10, 50)  # before: 10, 10


def test_two_live_functions_cannot_share_a_name_on_one_tier(
    shared_tier: Tier, unique_name: str
) -> None:
    tier = shared_tier
    two = _make(2, name=unique_name, **tier.options())
    assert two(5) == 10
    where = "disk" if tier.persist else "redis"
    with pytest.raises(
        CacheError,
        match=rf"^cache name '{unique_name}' is already used on {where} .* by "
        r"_make\.<locals>\.scale, another live function: the two would read each other's "
        r"entries\. Give '_make\.<locals>\.scale' its own name= \(or version=\)",
    ):
        _make(10, name=unique_name, **tier.options())
    again = _make(2, name=unique_name, **tier.options())  # the same function: allowed
    assert again(5) == 10
    other_version = _make(10, name=unique_name, version=2, **tier.options())
    assert other_version(5) == 50  # another version: its own entries
    del two, again
    gc.collect()
    ten = _make(10, name=unique_name, version=3, **tier.options())  # the claim ended with them
    assert ten(5) == 50


def _process(tier: str, tmp_path: Path, redis_url: str | None, body: str) -> str:
    """Run ``body`` in a new process, with ``TIER`` the shared-tier keywords of ``tier``."""
    option = f"persist={str(tmp_path / 'y.sqlite3')!r}" if tier == "sqlite" else f"redis={redis_url!r}"
    script = (
        "from codomyrmex.performance import cached_function\n"
        "from codomyrmex.performance.errors import CacheError\n"
        f"TIER = dict({option})\n" + body
    )
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_closures_in_later_processes(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest, unique_name: str
) -> None:
    url = request.getfixturevalue("redis_url") if kind == "redis" else None
    unnamed = (
        "def make(n):\n"
        "    @cached_function(**TIER)\n"
        "    def scale(x): return x * n\n"
        "    return scale\n"
        "try:\n"
        "    print(make(7)(5))\n"
        "except CacheError as exc:\n"
        "    print(type(exc).__name__, str(exc).split(' for ')[0])\n"
    )
    shown = "persist=..." if kind == "sqlite" else "redis=..."
    for _ in range(2):  # a first process, then a later one on the same store
        assert _process(kind, tmp_path, url, unnamed) == f"CacheError cached_function({shown}) needs name=\n"
    named = (
        "def make(n):\n"
        f"    @cached_function(name=f'{unique_name}.x{{n}}', **TIER)\n"
        "    def scale(x): return x * n\n"
        "    return scale\n"
        "print(make(2)(5), make(10)(5), make(7)(5))\n"
    )
    assert _process(kind, tmp_path, url, named) == "10 50 35\n"
    assert _process(kind, tmp_path, url, named) == "10 50 35\n"  # from the store, each its own


# -- version= ------------------------------------------------------------------------------------
def test_a_new_version_does_not_read_the_old_entries(shared_tier: Tier, unique_name: str) -> None:
    tier = shared_tier
    calls: list[Any] = []
    v1 = _fresh(tier, unique_name, calls, version=1)
    assert v1(5) == [5, "int"]
    del v1
    gc.collect()
    v2 = _fresh(tier, unique_name, calls, version="2")
    assert v2(5) == [5, "int"] and calls == [5, 5]  # computed again
    del v2
    gc.collect()
    v1 = _fresh(tier, unique_name, calls, version=1)
    assert v1(5) == [5, "int"] and calls == [5, 5]  # its own entry, from the shared tier


@pytest.mark.parametrize(
    ("version", "error", "message"),
    [
        (True, TypeError, "version must be a string or an int (or None), got True (bool)"),
        (1.5, TypeError, "version must be a string or an int (or None), got 1.5 (float)"),
        (" ", CacheError, "version must not be empty, got ' '"),
    ],
)
def test_a_bad_version_names_it(version: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error) as info:
        cached_function(version=version)
    assert str(info.value) == message
