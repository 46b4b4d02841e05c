"""Which recorded runs form the baseline of a new run: those since the last change point.

    >>> from codomyrmex.performance.regression import baseline_start
    >>> baseline_start([1.0] * 10 + [1.2] * 10)
    10
"""

from __future__ import annotations

from collections.abc import Sequence

from ._changepoints import find_change_points

__all__ = ["baseline_start"]


def baseline_start(medians: Sequence[float], *, min_size: int = 5) -> int:
    """Index of the first run of the current level in a history of run medians (0 if none).

    A level shorter than ``min_size`` runs cannot be confirmed yet (one slow run looks exactly
    like a spike), so it stays part of the previous level until it has lasted that long.
    """
    points = find_change_points(medians, min_size=min_size)
    return points[-1] if points else 0
