"""Which recorded runs judge a new run: the accepted level, never a suspected new one.

A regression must stay visible until someone accepts it. The old rule ("the runs since the last
change point") let the runs at a new, slower level enter the baseline of the runs that judged
them: a +10 % step was flagged on three runs, then read +8 % and +5 % "inconclusive", then
"unchanged" once the change point was confirmed, and the alert cleared by itself. Here:

* noisy runs (the run's own evidence says the machine disturbed it) are never a baseline;
* the history is cut into levels at its change points (:func:`find_change_points`). A level
  that is worse than the current baseline level by at least ``min_effect`` becomes the baseline
  only when a person accepted it (an acceptance recorded after its first run); a level that is
  better, or within ``min_effect``, becomes the baseline by itself (an improvement needs no
  sign-off, and a level that returned is simply the baseline again);
* the last few runs of the baseline level that all sit at least ``min_effect`` (and three noise
  σ) off it in the same direction are a *suspected* new level, too short to be a change point
  yet: they are left out of the baseline, unless accepted.

    >>> from codomyrmex.performance.regression import PastRun
    >>> from codomyrmex.performance.regression._baseline import choose_baseline
    >>> runs = [PastRun(1.0 + 0.01 * (i % 3), timestamp=i) for i in range(10)]
    >>> slow = [PastRun(1.2 + 0.01 * (i % 3), timestamp=10 + i) for i in range(6)]
    >>> len(choose_baseline(runs + slow, (), 0.02).runs)   # the slow level is not accepted
    10
    >>> len(choose_baseline(runs + slow, (10.5,), 0.02).runs)   # accepted at t=10.5
    6
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

from ._changepoints import find_change_points, noise_scale
from ._stats import median

if TYPE_CHECKING:
    from ._gate import PastRun

__all__ = ["Baseline", "choose_baseline"]

#: a level is confirmed (a change point) once it has lasted this many runs
_MIN_LEVEL = 5
#: trailing runs this many noise σ (and min_effect) off the level are a suspected new level
_TAIL_Z = 3.0


@dataclass(frozen=True, slots=True)
class Baseline:
    """The runs that judge a new run (oldest first), the usable history they came from, and a
    note for the reader when the choice is not simply "the last level"."""

    runs: list[PastRun]
    history: list[PastRun]
    note: str | None = None
    #: True when the baseline is an accepted level that has too few runs to judge yet
    building: bool = False


def _accepted(start: PastRun, accepted: Sequence[float]) -> bool:
    # a level is accepted by an acceptance recorded once it had begun (its first run existed)
    return start.timestamp is not None and any(t >= start.timestamp for t in accepted)


def choose_baseline(
    history: Sequence[PastRun],
    accepted: Sequence[float],
    min_effect: float,
    *,
    higher_is_better: bool = False,
    sigma_floor: float = 0.01,
) -> Baseline:
    """The baseline of a new run given its recorded ``history`` (oldest first, medians > 0) and
    the times of the acceptances that apply to it."""
    runs = [r for r in history if not r.noisy]
    if len(runs) < 2:
        return Baseline(runs, runs)
    logs = [math.log(r.median) for r in runs]
    bounds = [0, *find_change_points(logs, min_size=_MIN_LEVEL), len(runs)]
    segments = list(pairwise(bounds))
    threshold = math.log1p(min_effect)
    base = 0
    held: int | None = None  # the first segment of a worse level nobody accepted
    for i in range(1, len(segments)):
        s, e = segments[i]
        bs, be = segments[base]
        delta = median(logs[s:e]) - median(logs[bs:be])
        worse = (delta > 0) != higher_is_better
        if worse and abs(delta) >= threshold and not _accepted(runs[s], accepted):
            held = i if held is None else held
            continue
        base, held = i, None
    s, e = segments[base]
    note = None
    if held is not None:
        k = len(runs) - segments[held][0]
        note = (f"the level of the last {k} runs is not accepted (codomyrmex-perf bench accept): "
                "judged against the level before it")  # fmt: skip
    elif base == len(segments) - 1:
        tail = _suspected_tail(logs[s:e], threshold, max(noise_scale(logs), sigma_floor))
        if tail:
            start = runs[e - tail]
            if _accepted(start, accepted):
                note = f"accepted change: the new level has {tail} run{'s' if tail > 1 else ''} so far"
                return Baseline(runs[e - tail:e], runs, note, building=True)
            e -= tail
            note = (f"the last {tail} run{'s' if tail > 1 else ''} look like a new level: "
                    "left out of the baseline until it is accepted or returns")  # fmt: skip
    return Baseline(runs[s:e], runs, note)


def _suspected_tail(level: list[float], threshold: float, sigma: float) -> int:
    """How many trailing values of ``level`` (fewer than a confirmable level) all sit beyond
    ``threshold`` and ``_TAIL_Z`` σ from the rest, on the same side; 0 if none."""
    for k in range(min(_MIN_LEVEL - 1, len(level) - _MIN_LEVEL), 0, -1):
        head, tail = level[:-k], level[-k:]
        centre = median(head)
        gap = max(threshold, _TAIL_Z * sigma)
        if all(v - centre >= gap for v in tail) or all(centre - v >= gap for v in tail):
            return k
    return 0
