"""Issue 9, shared-tier identity: two functions never read each other's shared entries.

The reproducers of the issue (the ``sq``/``cube`` lambdas, the ``make(n)`` closures, also in a
later process) on every tier; ``version=``; one ``typed`` rule in memory and in the shared
tiers.
"""

from __future__ import annotations

import gc
from typing import Any

from codomyrmex.performance import cached_function

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
