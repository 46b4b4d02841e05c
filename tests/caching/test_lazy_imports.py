"""Import cost: a sync-only, memory-only program never loads asyncio or the shared-tier stack.

Each check runs in a fresh interpreter, because this test session has long imported everything.
"""

from __future__ import annotations

import ast
import asyncio
import functools
import inspect
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from codomyrmex.performance.caching._decorator import _is_async

ROOT = Path(__file__).resolve().parents[2]


def _loaded_after(code: str, modules: tuple[str, ...]) -> list[str]:
    """Run ``code`` in a fresh interpreter; which of ``modules`` it has imported by the end."""
    probe = f"{code}\nimport sys\nprint(sorted(m for m in {modules!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return list(ast.literal_eval(out.stdout.strip().splitlines()[-1]))


SYNC_PROGRAM = """
import codomyrmex.performance.caching
from codomyrmex.performance import CacheManager, cached_function

@cached_function(ttl=60)
def square(x):
    return x * x

class Svc:
    @cached_function
    def double(self, x):
        return 2 * x

assert square(3) == 9 and square(3) == 9 and square.cache_info().hits == 1
assert Svc().double(2) == 4
manager = CacheManager()
manager.set("k", [1, 2])
assert manager.get("k") == [1, 2]
"""


def test_importing_caching_and_decorating_a_sync_function_does_not_import_asyncio() -> None:
    assert _loaded_after(SYNC_PROGRAM, ("asyncio",)) == []


def test_a_memory_only_cache_does_not_import_the_shared_tier_stack() -> None:
    heavy = ("sqlite3", "pickle", "hmac", "redis", "codomyrmex.performance.caching._tiering")
    assert _loaded_after(SYNC_PROGRAM, heavy) == []


def test_decorating_an_async_function_in_a_fresh_interpreter_caches_it() -> None:
    code = """
import asyncio
from codomyrmex.performance import cached_function
calls = []

@cached_function
async def f(x):
    calls.append(x)
    return x + 1

async def main():
    assert await f(1) == 2 and await f(1) == 2
asyncio.run(main())
assert calls == [1], calls
"""
    assert _loaded_after(code, ("asyncio",)) == ["asyncio"]


async def _coro(x: int) -> int:
    return x


def _sync(x: int) -> int:
    return x


class _Obj:
    async def am(self, x: int) -> int:
        return x

    def sm(self, x: int) -> int:
        return x


class _AsyncCallable:
    async def __call__(self, x: int) -> int:
        return x


@functools.wraps(_coro)
async def _wrapped_coro(x: int) -> int:
    return await _coro(x)


CALLABLES: dict[str, Callable[..., Any]] = {
    "async def": _coro,
    "def": _sync,
    "lambda": lambda x: x,
    "bound async method": _Obj().am,
    "bound sync method": _Obj().sm,
    "partial of async def": functools.partial(_coro, 1),
    "partial of partial of async def": functools.partial(functools.partial(_coro), 1),
    "partial of sync def": functools.partial(_sync, 1),
    "functools.wraps async wrapper": _wrapped_coro,
    "instance with async __call__": _AsyncCallable(),
    "builtin": len,
    "class": int,
    "AsyncMock": mock.AsyncMock(),
    "Mock": mock.Mock(),
}


@pytest.mark.parametrize("name", list(CALLABLES))
def test_coroutine_detection_agrees_with_inspect(name: str) -> None:
    fn = CALLABLES[name]
    assert _is_async(fn) is inspect.iscoroutinefunction(fn)


def test_a_partial_of_a_bound_async_method_is_detected_as_async() -> None:
    # inspect (3.11) unwraps methods and then partials, not the other way round; we do both.
    assert _is_async(functools.partial(_Obj().am, 1)) is True
    coro = functools.partial(_Obj().am, 1)()
    assert asyncio.iscoroutine(coro)
    coro.close()
