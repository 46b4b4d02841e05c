"""Judge a new run of a suite against its recorded history: the one function behind the gate.

``run_benchmark`` calls :func:`judge_runs` when a run finishes and records what it decided; the
HTML report renders those recorded decisions and calls the same function to re-judge runs that were
recorded before decisions were stored. So the report never disagrees with the gate.

Why not just compare samples: samples taken within one process are not independent of each other
the way samples of two processes are. Memory layout, hash seed, CPU frequency and the neighbours
on a shared machine move a whole run by a few percent, so pooling the samples of earlier runs and
testing the new run's samples against them (as if all were independent) flags ~4 % of same-code
runs. The unit of replication is the *run*. A run is therefore flagged only when all of these hold:

* **between runs**: the new run's median lies outside what the recorded runs' medians predict —
  a Student-t prediction test on ``log(median)`` against the last :data:`BASELINE_RUNS` runs of
  the current level (since the last change point), with σ the largest of: the spread of those
  medians, the robust run-to-run noise of the whole history (successive differences, blind to
  steps) and the standard error of the new run's own median (so identical quantised medians never
  make σ zero);
* **within the run**: a Mann–Whitney U test of the new samples against the baseline runs' pooled
  samples (when the store kept raw samples);
* **practically**: the change is at least ``min_effect``.

The decision uses the larger of the two p-values, Holm-corrected across the suite. A benchmark
needs :data:`MIN_HISTORY_RUNS` recorded runs before it is judged at all.

    >>> from codomyrmex.performance.regression import PastRun, judge_runs
    >>> past = [PastRun(m) for m in (1.00, 1.01, 0.99, 1.00, 1.02, 0.98, 1.00, 1.01)]
    >>> j = judge_runs({"parse": [1.30, 1.31, 1.29, 1.30, 1.32]}, {"parse": past})["parse"]
    >>> j.verdict.verdict.value, round(j.verdict.change, 2)
    ('regression', 0.3)
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import RegressionError
from ._baseline import choose_baseline
from ._changepoints import noise_scale
from ._compare import Verdict, VerdictKind, _check_levels, _check_sample, adjust_p_values
from ._stats import mann_whitney_u, median, student_t_ppf, student_t_sf

__all__ = [
    "BASELINE_RUNS",
    "DEFAULT_MIN_EFFECT",
    "MIN_HISTORY_RUNS",
    "NO_HISTORY",
    "Judgement",
    "PastRun",
    "judge_runs",
    "judgement_from_dict",
    "judgement_to_dict",
]

#: at most this many runs of the current level form the baseline (the most recent ones). 20, not
#: 10: the spread of 10 run medians is a noisy σ with 9 degrees of freedom, and a +5 % step was
#: flagged within two runs in 80 % of generated histories (98 % with 20; benchmarks/bench_regression.py)
BASELINE_RUNS = 20
#: recorded runs a benchmark needs before it gets a verdict: with fewer, the spread of the run
#: medians (the between-run σ) is too uncertain to tell a change from a process that landed on
#: a slow memory layout.
MIN_HISTORY_RUNS = 5
#: note of a judgement without enough recorded history
NO_HISTORY = "no history"
#: smallest between-run σ (log scale) per unit. Seconds ~1 %: two processes timing the same code
#: on a real machine differ at least that much (memory layout, hash seed, frequency), however
#: steady a few runs look. Instructions 0.05 %: the same program counts the same instructions to
#: ~2e-5 whatever else runs, so a floor well below the 0.5 % minimum effect keeps a +1 % change
#: detectable on its first run, yet above the residual jitter (hash seed, allocator).
_SIGMA_FLOOR = {"seconds": 0.01, "instructions": 0.0005}
#: smallest change reported per unit when ``min_effect`` is not given: 2 % of wall time is within
#: reach of a few runs; an instruction count is deterministic, so 0.5 % is already a real change
DEFAULT_MIN_EFFECT = {"seconds": 0.02, "instructions": 0.005}
#: a recorded run this many robust σ off the others' median is left out of the baseline
_OUTLIER_Z = 5.0


@dataclass(frozen=True, slots=True)
class PastRun:
    """One recorded run of one benchmark as the gate sees it: its median and, if the store kept
    them, its samples (same unit as the current samples: seconds, instructions, or
    canary-normalised); when it was recorded (acceptances apply to runs by time) and whether it
    was noisy (never part of a baseline)."""

    median: float
    samples: tuple[float, ...] = ()
    timestamp: float | None = None
    noisy: bool = False


@dataclass(frozen=True, slots=True)
class Judgement:
    """What the gate decided for one benchmark of one run.

    ``verdict`` is None when the benchmark has too little history (``note`` starts with
    :data:`NO_HISTORY`) or when it could not be judged (``note`` says why). ``drift`` is the
    relative between-run σ used; ``baseline_median`` the geometric mean of the baseline runs'
    medians.
    """

    verdict: Verdict | None
    note: str | None = None
    baseline_runs: int = 0
    drift: float = 0.0
    baseline_median: float | None = None

    @property
    def label(self) -> str:
        """``regression``/``improvement``/``unchanged``/``inconclusive``, ``new`` or ``error``."""
        if self.verdict is not None:
            return self.verdict.verdict.value
        return "new" if self.note is not None and self.note.startswith(NO_HISTORY) else "error"


@dataclass(frozen=True, slots=True)
class _Evidence:
    log_change: float
    p_value: float  # the larger of the between-run and within-run p-values
    ci: tuple[float, float]  # log-scale prediction interval of the change at 1 - alpha
    margin: float  # half-width of that interval: changes inside it are run-to-run drift
    sigma: float
    runs: int
    n_baseline: int
    n_current: int
    baseline_median: float
    current_median: float
    method: str


def _past(name: str, runs: Sequence[PastRun]) -> tuple[list[PastRun], int]:
    """The recorded runs that can be judged on a log scale, and how many were left out. One
    run with a zero median (an imported run, a timer too coarse for a one-call sample) must not
    block the benchmark's gate for good; a history with too few usable runs is an error."""
    out, bad = [], []
    for r in runs:
        if not isinstance(r, PastRun):
            raise TypeError(f"history[{name!r}] must contain PastRun objects, got {type(r).__name__}")
        if not (math.isfinite(r.median) and r.median > 0):
            bad.append(r.median)
            continue
        out.append(r)
    if bad and len(out) < MIN_HISTORY_RUNS:
        raise RegressionError(f"a recorded median of {name!r} is not a positive number: {bad[0]!r}")
    return out, len(bad)


def _without_outlier_runs(level: list[PastRun], floor: float) -> list[PastRun]:
    """``level`` without runs far off the others (a run that shared the machine with a heavy
    neighbour can take twice as long). One such run would inflate the spread of the medians and
    hide any change; at most one run in five is dropped, each beyond :data:`_OUTLIER_Z` robust σ
    of the remaining runs."""
    runs = list(level)
    for _ in range(len(runs) // 5):
        logs = [math.log(r.median) for r in runs]
        centre = median(logs)
        far = max(range(len(runs)), key=lambda i: abs(logs[i] - centre))
        rest = logs[:far] + logs[far + 1:]
        m = median(rest)
        sigma = max(1.4826 * median([abs(v - m) for v in rest]), floor)
        if abs(logs[far] - m) <= _OUTLIER_Z * sigma:
            break
        del runs[far]
    return runs


def _evidence(current: list[float], chosen: list[PastRun], history: list[PastRun], alpha: float,
              unit: str) -> _Evidence:
    medians = [r.median for r in history]
    floor = _SIGMA_FLOOR[unit]
    level = _without_outlier_runs(chosen[-BASELINE_RUNS:], floor)
    logs = [math.log(r.median) for r in level]
    k = len(logs)
    centre = math.fsum(logs) / k
    cur_logs = [math.log(v) for v in current]
    cur_median = median(current)
    d = math.log(cur_median) - centre
    # σ of a run median, three estimates; the largest wins (a cautious gate, see module doc)
    spread = statistics.stdev(logs) if k >= 2 else 0.0
    history_noise = noise_scale([math.log(m) for m in medians])
    cm = median(cur_logs)
    own = 1.2533 * 1.4826 * median([abs(v - cm) for v in cur_logs]) / math.sqrt(len(cur_logs))
    sigma = max(spread, history_noise, own, floor)
    se = sigma * math.sqrt(1.0 + 1.0 / k)
    df = max(1, k - 1)
    p_between = student_t_sf(d / se, df)
    margin = student_t_ppf(alpha, df) * se
    method = f"between-run-t(df={df})"
    p = p_between
    pooled = [v for r in level for v in r.samples]
    n_baseline = k
    # the rank test only when it can reach alpha at all: its smallest two-sided p-value is
    # 2 / C(m + n, n) (e.g. 0.095 for 5 vs 2, 1/3 for 5 vs 1); otherwise it would veto every
    # verdict of runs with one or two samples (rounds=1) without adding any evidence
    # instruction counts: the runs' spread is tiny and deterministic, the rank test adds nothing
    if unit == "seconds" and all(r.samples for r in level) and all(math.isfinite(v) and v > 0 for v in pooled) and math.comb(len(pooled) + len(cur_logs), len(cur_logs)) > 2.0 / alpha:
        p = max(p, mann_whitney_u([math.log(v) for v in pooled], cur_logs).p_value)
        method += "+mann-whitney-u"
        n_baseline = len(pooled)
    return _Evidence(d, p, (d - margin, d + margin), margin, sigma, k, n_baseline, len(current),
                     math.exp(centre), cur_median, method)  # fmt: skip


def _decide(ev: _Evidence, p: float, alpha: float, min_effect: float, higher_is_better: bool) -> Judgement:
    threshold = math.log1p(min_effect)
    note = None
    if p < alpha and abs(ev.log_change) >= threshold and ev.log_change != 0.0:
        worse = (ev.log_change > 0) != higher_is_better
        kind = VerdictKind.REGRESSION if worse else VerdictKind.IMPROVEMENT
    elif abs(ev.log_change) >= threshold:
        kind = VerdictKind.INCONCLUSIVE
        if abs(ev.log_change) < ev.margin:
            note = f"within run-to-run drift (±{math.expm1(ev.margin):.1%})"
    else:
        kind = VerdictKind.UNCHANGED
    verdict = Verdict(
        kind, math.expm1(ev.log_change), math.expm1(ev.ci[0]), math.expm1(ev.ci[1]), p, p, alpha,
        min_effect, ev.n_baseline, ev.n_current, ev.baseline_median, ev.current_median, ev.method,
        higher_is_better,
    )  # fmt: skip
    return Judgement(verdict, note, ev.runs, math.expm1(ev.sigma), ev.baseline_median)


def judge_runs(
    current: Mapping[str, Sequence[float]],
    history: Mapping[str, Sequence[PastRun]],
    *,
    alpha: float = 0.01,
    min_effect: float | None = None,
    higher_is_better: bool = False,
    correction: str = "holm",
    unit: str = "seconds",
    accepted: Mapping[str, Sequence[float]] | None = None,
) -> dict[str, Judgement]:
    """Judge every benchmark of one run: ``current`` maps a name to the new run's samples,
    ``history`` to its earlier runs, oldest first (a name missing from ``history`` has none).

    ``unit`` (``seconds`` or ``instructions``) sets the σ floor and, when ``min_effect`` is None,
    the minimum effect (:data:`DEFAULT_MIN_EFFECT`). ``accepted`` maps a name to the times of the
    acceptances that apply to it (``store.acceptances(suite)``): a worse level becomes the
    baseline only once accepted, so until then every run at it stays a regression. Noisy past
    runs are never a baseline. Holm's correction (or ``correction="bh"``/``"none"``) runs across
    the benchmarks judged. A benchmark whose data cannot be judged gets a judgement without a
    verdict whose note says why.
    """
    if unit not in DEFAULT_MIN_EFFECT:
        raise RegressionError(f"unit must be one of {', '.join(DEFAULT_MIN_EFFECT)}, got {unit!r}")
    if min_effect is None:
        min_effect = DEFAULT_MIN_EFFECT[unit]
    _check_levels(alpha, min_effect)
    out: dict[str, Judgement] = {}
    evidence: dict[str, _Evidence] = {}
    notes: dict[str, str | None] = {}
    left_out: dict[str, int] = {}
    for name, samples in current.items():
        try:
            # one sample is enough for the between-run test (rounds=1 runs are judged too)
            cur = _check_sample("current", samples, minimum=1)
            past, left_out[name] = _past(name, history.get(name, ()))
            usable = [r for r in past if not r.noisy]
            if len(usable) < MIN_HISTORY_RUNS:
                noisy = len(past) - len(usable)
                why = f"; {noisy} noisy left out" if noisy else ""
                out[name] = Judgement(None, f"{NO_HISTORY} ({len(usable)} of {MIN_HISTORY_RUNS} runs recorded{why})",
                                      len(usable))  # fmt: skip
                continue
            chosen = choose_baseline(past, (accepted or {}).get(name, ()), min_effect,
                                     higher_is_better=higher_is_better, sigma_floor=_SIGMA_FLOOR[unit])  # fmt: skip
            if chosen.building and len(chosen.runs) < MIN_HISTORY_RUNS:
                out[name] = Judgement(None, f"{NO_HISTORY} ({chosen.note}; {MIN_HISTORY_RUNS} needed)",
                                      len(chosen.runs))  # fmt: skip
                continue
            notes[name] = chosen.note
            evidence[name] = _evidence(cur, chosen.runs, chosen.history, alpha, unit)
        except (RegressionError, TypeError, ValueError, ArithmeticError) as exc:
            out[name] = Judgement(None, f"could not be judged: {exc}")
    adjusted = adjust_p_values([evidence[n].p_value for n in evidence], correction)
    for name, p in zip(list(evidence), adjusted, strict=True):
        j = _decide(evidence[name], p, alpha, min_effect, higher_is_better)
        if notes.get(name):
            j = dataclasses.replace(j, note="; ".join(x for x in (j.note, notes[name]) if x))
        if left_out.get(name):
            n = left_out[name]
            skipped = f"{n} recorded run{'s' if n > 1 else ''} with a median that is not a positive number left out"
            j = dataclasses.replace(j, note="; ".join(x for x in (j.note, skipped) if x))
        out[name] = j
    return {name: out[name] for name in current}


def judgement_from_dict(data: Mapping[str, Any]) -> Judgement:
    """Rebuild a :class:`Judgement` from :func:`judgement_to_dict` output (as stored); raises
    :class:`RegressionError` for anything else (a stored judgement is free-form JSON: an import or
    a newer version can hold what this version cannot read)."""
    try:
        return _judgement_from_dict(data)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise RegressionError(f"not a recorded judgement this version can read ({exc!r})") from exc


def _judgement_from_dict(data: Mapping[str, Any]) -> Judgement:
    detail = data.get("detail")
    verdict = None
    if detail is not None:
        ci = [math.nan if v is None else v for v in (detail.get("ci") or [None, None])]
        verdict = Verdict(
            VerdictKind(detail["verdict"]), float(detail["change"]), float(ci[0]), float(ci[1]),
            float(detail["p_value"]), float(detail["p_adjusted"]), float(detail["alpha"]),
            float(detail["min_effect"]), int(detail["n_baseline"]), int(detail["n_current"]),
            float(detail["baseline_median"]), float(detail["current_median"]), str(detail["method"]),
            bool(detail.get("higher_is_better", False)),
        )  # fmt: skip
    baseline = data.get("baseline")
    return Judgement(verdict, data.get("note"), int(data.get("baseline_runs", 0)),
                     float(data.get("drift", 0.0)), None if baseline is None else float(baseline))  # fmt: skip


def judgement_to_dict(j: Judgement) -> dict[str, Any]:
    """The JSON-safe form stored with each recorded benchmark."""
    return {
        "verdict": j.label,
        "note": j.note,
        "baseline": j.baseline_median,
        "change": None if j.verdict is None else j.verdict.change,
        "baseline_runs": j.baseline_runs,
        "drift": j.drift,
        "detail": None if j.verdict is None else j.verdict.to_dict(),
    }
