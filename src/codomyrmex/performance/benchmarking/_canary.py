"""A fixed canary workload timed in every run, so results can be normalised for machine drift.

Sequential runs on a shared machine drift by 10–30 %. The canary does a little of what
benchmarks do (integer arithmetic, sorting, string building, dict traffic) and never changes, so
``sample / canary`` removes much of the drift that hits everything alike. Both the raw and the
normalised values are stored.

    >>> from codomyrmex.performance.benchmarking import canary_workload
    >>> canary_workload()
    1115
"""

from __future__ import annotations

__all__ = ["canary_workload"]

_WORDS = tuple(f"w{i % 97}" for i in range(400))


def canary_workload() -> int:
    """The fixed workload (about 0.1 ms on a 2020s CPU). Do not change it: stored normalised values
    would no longer be comparable across versions."""
    acc = 0
    for i in range(600):
        acc = (acc * 31 + i * i) % 1_000_003
    ordered = sorted(_WORDS, key=lambda w: (len(w), w))
    text = "-".join(ordered[:200])
    counts: dict[str, int] = {}
    for w in _WORDS:
        counts[w] = counts.get(w, 0) + 1
    return (acc + len(text) + len(counts)) % 1117
