"""The plugin's per-session state, kept in ``config.stash``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ..benchmarking._timing import Timing
    from ._session import PerfSession

__all__ = ["STATE", "PluginState"]


@dataclass
class PluginState:
    #: "active" (our fixture is registered) or "dormant" (pytest-benchmark provides it)
    mode: str
    #: None with --perf-disable (benchmarks run once as plain calls) or when dormant
    session: PerfSession | None = None
    timing: Timing | None = None
    #: why nothing is recorded, for the header and the summary (None when recording)
    disabled_reason: str | None = None
    #: set when a --perf* option switched pytest-benchmark's plugin off for the session
    replaced: str | None = None


STATE = pytest.StashKey[PluginState]()
