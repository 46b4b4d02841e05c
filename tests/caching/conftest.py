"""Fixtures of the caching tests: one ``tier`` fixture parametrized over memory, SQLite, Redis.

Contract tests take ``tier`` and build their caches with ``tier.options()``; the same assertions
then run against every tier (STYLE.md: contract tests run against every implementation).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest


@dataclass
class Tier:
    """How to build a cache on one tier. ``shared``: a second cache with the same name (and a
    fresh memory tier) sees the first one's entries."""

    name: str
    persist: Path | None = None
    redis: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def shared(self) -> bool:
        return self.persist is not None or self.redis is not None

    def options(self, **overrides: Any) -> dict[str, Any]:
        opts: dict[str, Any] = {"retry_after": 0}
        if self.persist is not None:
            opts["persist"] = self.persist
        if self.redis is not None:
            opts["redis"] = self.redis
        opts.update(self.extra)
        opts.update(overrides)
        return opts


@pytest.fixture
def as_other_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lets a test build, in one process, caches of one name over *different* functions, as
    other processes would (one live function per name and shared tier is the rule in a
    process): the claims are not checked."""
    from codomyrmex.performance.caching import _identity

    monkeypatch.setattr(_identity.CLAIMS, "claim", lambda tier, name, version, fn: ())
    monkeypatch.setattr(_identity.CLAIMS, "bind", lambda owner, key: None)


@pytest.fixture(params=["memory", "sqlite", "redis"])
def tier(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Tier]:
    if request.param == "memory":
        yield Tier("memory")
    elif request.param == "sqlite":
        yield Tier("sqlite", persist=tmp_path / "cache.sqlite3")
    else:
        yield Tier("redis", redis=request.getfixturevalue("redis_url"))
