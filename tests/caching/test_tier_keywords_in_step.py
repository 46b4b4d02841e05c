"""The shared-tier keywords are listed on purpose in four places, and must stay in step.

``Tiers(...)`` groups them; ``cached_function`` (its typed overload and its implementation) and
``CacheManager`` accept the same flat keywords beside ``tiers=``; ``merge_tiers`` tells a given
keyword from an omitted one by comparing it with ``_TIER_DEFAULTS``. A keyword added, renamed or
given another default in one place but not the others would silently change what ``tiers=``
means (or make every ``tiers=`` call look like it also passed that keyword).
"""

from __future__ import annotations

import inspect
import typing
from typing import Any

from codomyrmex.performance.caching._decorator import cached_function
from codomyrmex.performance.caching._manager import CacheManager
from codomyrmex.performance.caching._options import _TIER_DEFAULTS, Tiers

# The one deliberate difference: cached_function's key_prefix defaults to None, meaning "not
# given", so that the old spelling cache_key_prefix= can fill it; it then becomes Tiers' default.
DELIBERATE = {("cached_function", "key_prefix"): (None, "str | None")}


def _tier_parameters() -> list[inspect.Parameter]:
    return list(inspect.signature(Tiers.__init__).parameters.values())[1:]  # without self


def _listings() -> dict[str, inspect.Signature]:
    overloads = typing.get_overloads(cached_function)
    keyword_overload = [o for o in overloads if "tiers" in inspect.signature(o).parameters]
    assert len(keyword_overload) == 1, f"expected one keyword overload, got {overloads}"
    return {
        "cached_function": inspect.signature(cached_function),
        "cached_function (typed overload)": inspect.signature(keyword_overload[0]),
        "CacheManager": inspect.signature(CacheManager.__init__),
    }


def _differences(where: str, signature: inspect.Signature) -> list[str]:
    params = list(signature.parameters.values())
    names = [p.name for p in params]
    expected = [p.name for p in _tier_parameters()]
    if "tiers" not in names:
        return [f"{where} has no tiers= keyword"]
    start = names.index("tiers") + 1
    block = names[start : start + len(expected)]
    out = []
    if block != expected:
        out.append(
            f"{where}: the keywords after tiers= are {block}, Tiers(...) takes {expected} "
            f"(missing: {sorted(set(expected) - set(block))}, extra: {sorted(set(block) - set(expected))})"
        )
    owner = where.split(" ")[0]
    for tier_param in _tier_parameters():
        param = signature.parameters.get(tier_param.name)
        if param is None:
            continue  # reported above
        default, annotation = DELIBERATE.get(
            (owner, tier_param.name), (tier_param.default, tier_param.annotation)
        )
        if param.default != default or type(param.default) is not type(default):
            out.append(
                f"{where}: {tier_param.name}= defaults to {param.default!r}, "
                f"expected {default!r} (Tiers: {tier_param.default!r})"
            )
        if param.annotation != annotation:
            out.append(
                f"{where}: {tier_param.name}: {param.annotation} but Tiers has {tier_param.annotation}"
            )
        if param.kind is not inspect.Parameter.KEYWORD_ONLY:
            out.append(f"{where}: {tier_param.name}= is {param.kind.description}, not keyword-only")
    return out


def test_tiers_takes_exactly_the_keywords_merge_tiers_knows_with_the_same_defaults() -> None:
    tiers = {p.name: p.default for p in _tier_parameters()}
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in _tier_parameters())
    assert tiers == _TIER_DEFAULTS, (
        f"Tiers(...) defaults {tiers} differ from _TIER_DEFAULTS {_TIER_DEFAULTS}"
    )
    assert tuple(Tiers.__slots__) == tuple(tiers)


def test_cached_function_and_cache_manager_list_the_tier_keywords_in_step_with_tiers() -> None:
    differences = [d for where, sig in _listings().items() for d in _differences(where, sig)]
    assert differences == []


def test_the_check_names_what_differs() -> None:
    # the check itself, on a listing that drifted: a renamed keyword and a changed default
    def drifted(
        *, tiers: Any = None, persist: Any = None, redis: Any = None, signing_key: Any = None,
        strict: Any = False, prefix: Any = "codomyrmex:", lease_timeout: Any = 30.0,
        lease_wait: Any = 60.0, retry_after: Any = 1.0,
    ) -> None: ...  # fmt: skip

    differences = _differences("drifted", inspect.signature(drifted))
    assert differences[0].startswith("drifted: the keywords after tiers= are ")
    assert "missing: ['key_prefix'], extra: ['prefix']" in differences[0]
    assert "drifted: lease_wait= defaults to 60.0, expected 30.0 (Tiers: 30.0)" in differences


def test_tiers_with_every_flat_keyword_left_out_is_accepted() -> None:
    # merge_tiers sees the flat defaults as "not given": tiers= alone is no conflict
    shared = Tiers(key_prefix="step:", retry_after=2)
    manager = CacheManager(tiers=shared)
    assert manager.tiers is shared and manager.key_prefix == "step:"
    decorated = cached_function(tiers=shared, name="tests.tier_keywords_in_step")(lambda x: x * 2)
    assert decorated(21) == 42
    decorated.cache_close()
    manager.close()
