"""Regression detection: is a benchmark slower than before, and since when?

Pure Python (no numpy/scipy): a rank test plus a practical threshold for two samples, and a
robust change-point search over a benchmark's history of medians::

    from codomyrmex.performance.regression import compare_samples, find_change_points

    verdict = compare_samples(baseline_seconds, current_seconds, alpha=0.01, min_effect=0.02)
    if verdict.is_regression:
        print(f"{verdict.change:+.1%} (CI {verdict.ci_low:+.1%}..{verdict.ci_high:+.1%}), p={verdict.p_value:.2g}")

    find_change_points(history_of_medians)   # -> [indices where a new level starts]

Across a suite, :func:`compare_many` controls the false-alarm rate with Holm's method (or
Benjamini–Hochberg); :func:`adjust_p_values` exposes the correction itself. :func:`judge_runs` is
the gate ``run_benchmark`` and the HTML report share: a new run against its recorded runs, with
the run-to-run variation counted.
"""

from __future__ import annotations

from .. import _lazy_exports

TYPE_CHECKING = False  # typing costs ~10 ms to import; mypy treats this name as typing's
if TYPE_CHECKING:
    from ._changepoints import DEFAULT_PENALTY, find_change_points, noise_scale
    from ._compare import (
        CORRECTIONS,
        Verdict,
        VerdictKind,
        adjust_p_values,
        compare_many,
        compare_samples,
    )
    from ._gate import (
        BASELINE_RUNS,
        DEFAULT_MIN_EFFECT,
        MIN_HISTORY_RUNS,
        NO_HISTORY,
        Judgement,
        PastRun,
        judge_runs,
        judgement_from_dict,
        judgement_to_dict,
    )
    from ._history import baseline_start
    from ._two_runs import RunComparison, compare_runs

__all__ = [
    "BASELINE_RUNS",
    "CORRECTIONS",
    "DEFAULT_MIN_EFFECT",
    "DEFAULT_PENALTY",
    "MIN_HISTORY_RUNS",
    "NO_HISTORY",
    "Judgement",
    "PastRun",
    "RunComparison",
    "Verdict",
    "VerdictKind",
    "adjust_p_values",
    "baseline_start",
    "compare_many",
    "compare_runs",
    "compare_samples",
    "find_change_points",
    "judge_runs",
    "judgement_from_dict",
    "judgement_to_dict",
    "noise_scale",
]


# Every name resolves on first access (then cached in globals()): the gate and the comparisons
# load the series stores, statistics, json and sqlite3, none of which `from
# codomyrmex.performance.profiling.benchmark import BenchmarkResult` needs (it reads _stats only).
_LAZY: dict[str, str] = {
    "DEFAULT_PENALTY": "_changepoints",
    "find_change_points": "_changepoints",
    "noise_scale": "_changepoints",
    "CORRECTIONS": "_compare",
    "Verdict": "_compare",
    "VerdictKind": "_compare",
    "adjust_p_values": "_compare",
    "compare_many": "_compare",
    "compare_samples": "_compare",
    "BASELINE_RUNS": "_gate",
    "DEFAULT_MIN_EFFECT": "_gate",
    "MIN_HISTORY_RUNS": "_gate",
    "NO_HISTORY": "_gate",
    "Judgement": "_gate",
    "PastRun": "_gate",
    "judge_runs": "_gate",
    "judgement_from_dict": "_gate",
    "judgement_to_dict": "_gate",
    "baseline_start": "_history",
    "RunComparison": "_two_runs",
    "compare_runs": "_two_runs",
}

__getattr__, __dir__ = _lazy_exports(__name__, globals(), _LAZY, __all__)
