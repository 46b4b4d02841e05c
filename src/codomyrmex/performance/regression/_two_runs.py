"""Compare two recorded runs honestly: with the run-to-run spread, or not at all.

Samples inside one process are not independent of that process's state (memory layout, hash
seed, CPU frequency, neighbours): a rank test on the samples of two processes measures the
processes, not the code. Runs 1 and 7 of unchanged code read ``+13.2 % regression (p=7.3e-11)``
that way. So :func:`compare_runs` judges a benchmark

* in **instruction mode** on the two counts alone: they are deterministic to ~2e-5, so a change of
  at least ``min_effect`` (default 0.5 %) is a change;
* in **time mode** against the run-to-run spread of that benchmark's recorded history on that host
  (at least :data:`MIN_HISTORY_RUNS` runs besides the two): a t test of the difference of two run
  medians, whose variance is twice a run's;
* otherwise it reports the difference and the within-run evidence (the rank test's p-value,
  labelled as such) with the verdict ``inconclusive`` and says why, pointing at
  ``compare_variants`` (which interleaves both variants in one process) or at recording more runs.

It never calls a difference ``unchanged`` on the strength of a tiny within-run p-value.

    >>> from codomyrmex.performance.series import BenchmarkRecord, RunRecord
    >>> from codomyrmex.performance.regression import compare_runs
    >>> a = RunRecord.new("s", [BenchmarkRecord("parse", (1.00, 1.01, 0.99, 1.00))])
    >>> b = RunRecord.new("s", [BenchmarkRecord("parse", (1.13, 1.14, 1.12, 1.13))])
    >>> c = compare_runs(a, b)["parse"]
    >>> c.verdict, round(c.change, 2)
    ('inconclusive', 0.13)
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..series._records import BenchmarkRecord, RunRecord
from ._changepoints import noise_scale
from ._compare import _check_levels, adjust_p_values
from ._gate import _SIGMA_FLOOR, BASELINE_RUNS, DEFAULT_MIN_EFFECT, MIN_HISTORY_RUNS, PastRun
from ._stats import mann_whitney_u, student_t_sf

__all__ = ["RunComparison", "compare_runs"]

#: what to do when two runs cannot tell (shown with every inconclusive verdict)
ADVICE = ("two runs cannot separate the code from the process that ran it: record at least "
          f"{MIN_HISTORY_RUNS} runs of this benchmark on this host (bench run), or time both "
          "variants in one process with compare_variants")  # fmt: skip


@dataclass(frozen=True, slots=True)
class RunComparison:
    """One benchmark of two runs. ``verdict`` is regression/improvement/unchanged/inconclusive
    or ``error``; ``p_value`` the Holm-adjusted p of the run-to-run test (None when there was
    none); ``within_run_p`` the rank test of the two runs' samples (evidence about the two
    processes only, never the basis of a verdict in time mode); ``history_runs`` how many
    recorded runs gave the run-to-run spread ``drift`` (relative σ of one run)."""

    benchmark: str
    verdict: str
    unit: str = "seconds"
    baseline: float | None = None
    current: float | None = None
    change: float | None = None
    p_value: float | None = None
    within_run_p: float | None = None
    history_runs: int = 0
    drift: float | None = None
    method: str = ""
    note: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "benchmark": self.benchmark, "verdict": self.verdict, "unit": self.unit,
            "baseline": self.baseline, "current": self.current, "change": self.change,
            "p_value": self.p_value, "within_run_p": self.within_run_p,
            "history_runs": self.history_runs, "drift": self.drift, "method": self.method,
            "note": self.note,
        }  # fmt: skip


def _within(b: BenchmarkRecord, c: BenchmarkRecord) -> float | None:
    xs, ys = [v for v in b.samples if v > 0], [v for v in c.samples if v > 0]
    if len(xs) < 2 or len(ys) < 2:
        return None
    return mann_whitney_u([math.log(v) for v in xs], [math.log(v) for v in ys]).p_value


def _kind(log_change: float, worse_if_up: bool) -> str:
    return "regression" if (log_change > 0) == worse_if_up else "improvement"


def compare_runs(
    baseline: RunRecord,
    current: RunRecord,
    history: Mapping[str, Sequence[PastRun]] | None = None,
    *,
    alpha: float = 0.01,
    min_effect: float | None = None,
    higher_is_better: bool = False,
) -> dict[str, RunComparison]:
    """Every benchmark the two runs share, judged as the module doc says. ``history`` maps a
    benchmark to its other recorded runs on the current run's host (oldest first; the two runs
    themselves and noisy runs must not be in it). ``min_effect`` defaults per unit
    (:data:`DEFAULT_MIN_EFFECT`). Holm's correction runs across the benchmarks tested."""
    if not isinstance(baseline, RunRecord) or not isinstance(current, RunRecord):
        raise TypeError("baseline and current must be RunRecord objects")
    _check_levels(alpha, 0.0 if min_effect is None else min_effect)
    history = history or {}
    cur_by_name = {b.name: b for b in current.benchmarks}
    out: dict[str, RunComparison] = {}
    tested: dict[str, tuple[float, RunComparison]] = {}
    for b in baseline.benchmarks:
        c = cur_by_name.get(b.name)
        if c is None:
            continue
        name = b.name
        if b.failed or c.failed:
            which, rec = ("baseline", b) if b.failed else ("current", c)
            out[name] = RunComparison(name, "error", note=f"failed in the {which} run: {rec.error}")
            continue
        if b.unit != c.unit:
            out[name] = RunComparison(name, "error", note=f"measured in {b.unit} in the baseline "
                                      f"run and in {c.unit} in the current run")  # fmt: skip
            continue
        unit = b.unit
        effect = DEFAULT_MIN_EFFECT[unit] if min_effect is None else min_effect
        bm, cm = b.median, c.median
        if bm is None or cm is None or bm <= 0 or cm <= 0:
            out[name] = RunComparison(name, "error", unit, bm, cm,
                                      note="a run has no positive median to compare")  # fmt: skip
            continue
        d = math.log(cm / bm)
        threshold = math.log1p(effect)
        within = _within(b, c)
        base = RunComparison(name, "inconclusive", unit, bm, cm, math.expm1(d), None, within)
        worse_if_up = not higher_is_better
        if unit == "instructions":
            # deterministic counts: the difference itself is the evidence
            kind = _kind(d, worse_if_up) if abs(d) >= threshold else "unchanged"
            out[name] = _replace(base, verdict=kind, method="instruction-count difference",
                                 drift=_SIGMA_FLOOR[unit])  # fmt: skip
            continue
        past = [r for r in history.get(name, ()) if not r.noisy and r.median > 0]
        if len(past) < MIN_HISTORY_RUNS:
            have = f"{len(past)} recorded run{'s' if len(past) != 1 else ''} on this host"
            out[name] = _replace(base, method="none (no run-to-run spread)", history_runs=len(past),
                                 note=f"{have}; {ADVICE}")  # fmt: skip
            continue
        logs = [math.log(r.median) for r in past]
        spread = statistics.stdev(logs[-BASELINE_RUNS:]) if len(logs) >= 2 else 0.0
        sigma = max(noise_scale(logs), spread, _SIGMA_FLOOR[unit])
        df = max(1, min(len(logs), BASELINE_RUNS) - 1)
        p = student_t_sf(d / (sigma * math.sqrt(2.0)), df)
        tested[name] = (p, _replace(base, history_runs=len(past), drift=math.expm1(sigma),
                                    method=f"run-to-run-t(df={df})"))  # fmt: skip
    adjusted = adjust_p_values([p for p, _ in tested.values()], "holm")
    for (name, (_, comp)), p in zip(tested.items(), adjusted, strict=True):
        d = math.log1p(comp.change or 0.0)
        effect = DEFAULT_MIN_EFFECT[comp.unit] if min_effect is None else min_effect
        if abs(d) < math.log1p(effect):
            kind, note = "unchanged", None
        elif p < alpha:
            kind, note = _kind(d, not higher_is_better), None
        else:
            kind = "inconclusive"
            note = f"within the run-to-run spread of this benchmark (±{(comp.drift or 0) * math.sqrt(2):.1%} per pair)"
        out[name] = _replace(comp, verdict=kind, p_value=p, note=note)
    order = [b.name for b in baseline.benchmarks if b.name in out]
    return {n: out[n] for n in order}


def _replace(c: RunComparison, **changes: Any) -> RunComparison:
    return dataclasses.replace(c, **changes)

