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
    #: (warmup, rounds, min_time) from the options
    options: tuple[int, int, float] = (1, 100, 0.0002)
    #: "time" or "instructions" (--perf-measure)
    measure: str = "time"
    _timing: Timing | None = None
    #: why nothing is recorded, for the header and the summary (None when recording)
    disabled_reason: str | None = None
    #: set when a --perf* option switched pytest-benchmark's plugin off for the session
    replaced: str | None = None

    def timing(self) -> Timing | None:
        """How samples are taken (None when nothing is timed). Built on first use: a session
        whose tests never use the fixture does not import the benchmarking machinery."""
        if self.session is None:
            return None
        if self._timing is None:
            from ..benchmarking._environment import timer_overhead
            from ..benchmarking._timing import Timing

            warmup, rounds, min_time = self.options
            self._timing = Timing(warmup, rounds, min_time, False, None, timer_overhead())
        return self._timing


STATE = pytest.StashKey[PluginState]()
