"""The trend of every recorded benchmark: its runs, change points, regressions and current verdict.

Each run shows what the gate (``run_benchmark``) decided for it: the verdict and note recorded
with the run. Runs recorded before verdicts were stored are re-judged with the gate's own function
(:func:`~codomyrmex.performance.regression.judge_runs`) against the runs before them. So the
regressions marked in a report are the ones the gate raised, and the last run's verdict is the
current one::

    from codomyrmex.performance.reporting import load_trends
    from codomyrmex.performance.series import SQLiteStore

    with SQLiteStore("series.sqlite3") as store:
        for t in load_trends(store):
            print(t.suite, t.benchmark, t.verdict_label, t.change_points)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .._validation import check_choice
from ..benchmarking._runner import HISTORY_LIMIT
from ..errors import RegressionError, SeriesStoreError
from ..regression import (
    Judgement,
    PastRun,
    Verdict,
    find_change_points,
    judge_runs,
    judgement_from_dict,
)
from ..series import Acceptance, RunRecord, SQLiteStore, run_stats

__all__ = ["BenchmarkTrend", "RunPoint", "load_trends", "trends_from_runs"]


@dataclass(frozen=True, slots=True)
class RunPoint:
    """One successful run of one benchmark, with what the gate decided for it."""

    run_id: str
    timestamp: float
    median: float
    samples: tuple[float, ...]
    #: ``None`` while the benchmark had too little history, or when it could not be judged
    verdict: Verdict | None
    #: the gate's note ("no history …", "within run-to-run drift …", why it could not be judged)
    note: str | None = None
    #: True when the verdict was recorded by the gate at run time; False when the run predates
    #: recorded verdicts and was re-judged here with the same function
    recorded: bool = False
    #: the gate's label: regression/improvement/unchanged/inconclusive, new or error
    label: str = "new"
    #: the commit the run measured (the environment's ``git_commit``), None when not recorded
    commit: str | None = None
    #: the run's own evidence says it was disturbed (it is never part of a baseline)
    noisy: bool = False

    @property
    def short_commit(self) -> str | None:
        """The first 7 characters of :attr:`commit`, as ``git log --oneline`` shows it."""
        return None if not self.commit else self.commit[:7]


@dataclass(frozen=True, slots=True)
class BenchmarkTrend:
    """The recorded history of one benchmark of one suite, oldest run first."""

    suite: str
    benchmark: str
    points: tuple[RunPoint, ...]
    #: indices into ``points`` where a new level of the medians starts
    change_points: tuple[int, ...]
    #: ``seconds`` (time per call) or ``instructions`` (instruction mode): each is its own series
    unit: str = "seconds"
    #: the recorded acceptances of this benchmark's level (``bench accept``), oldest first
    acceptances: tuple[Acceptance, ...] = ()

    @property
    def latest(self) -> RunPoint:
        return self.points[-1]

    @property
    def regressions(self) -> tuple[int, ...]:
        """Indices of the runs the gate judged a regression."""
        return tuple(i for i, p in enumerate(self.points) if p.verdict and p.verdict.is_regression)

    @property
    def stats(self) -> dict[str, float]:
        """min/p50/p90/p95/p99/mean (in :attr:`unit`) of the latest run's samples."""
        return run_stats(self.latest.samples)

    @property
    def key(self) -> str:
        """``suite/benchmark``, with `` [instructions]`` for an instruction-mode series."""
        name = f"{self.suite}/{self.benchmark}"
        return name if self.unit == "seconds" else f"{name} [{self.unit}]"

    @property
    def verdict_label(self) -> str:
        """``regression``, ``improvement``, ``unchanged``, ``inconclusive``, ``no baseline`` or
        ``not judged``."""
        label = self.latest.label
        return {"new": "no baseline", "error": "not judged"}.get(label, label)


def _point(run: RunRecord, samples: tuple[float, ...], median: float, judged: Judgement,
           recorded: bool, noisy: bool) -> RunPoint:  # fmt: skip
    commit = run.environment.get("git_commit")
    return RunPoint(run.run_id, run.timestamp, median, samples, judged.verdict, judged.note,
                    recorded, judged.label, commit if isinstance(commit, str) and commit else None,
                    noisy)  # fmt: skip


def _accepted_before(acceptances: Sequence[Acceptance], name: str, unit: str, host: str | None,
                     when: float) -> list[float]:  # fmt: skip
    """Times of the acceptances the gate could see when it judged a run at ``when`` (as the
    runner passes them: this benchmark's or the whole suite's, same unit, same host or any)."""
    return [a.timestamp for a in acceptances
            if a.timestamp <= when and a.unit == unit and (a.benchmark is None or a.benchmark == name)
            and (a.host is None or host is None or a.host == host)]  # fmt: skip


def _recorded(data: Mapping[str, Any] | None) -> Judgement | None:
    """The judgement recorded with a run, or None when there is none or it cannot be read (that
    run is then re-judged, like a run recorded before judgements were stored)."""
    if data is None:
        return None
    try:
        return judgement_from_dict(data)
    except RegressionError:
        return None


def trends_from_runs(
    runs: Sequence[RunRecord],
    *,
    alpha: float = 0.01,
    min_effect: float | None = None,
    acceptances: Sequence[Acceptance] = (),
) -> list[BenchmarkTrend]:
    """Trends of every benchmark in ``runs`` (any suites, in any order), sorted by suite, name and
    unit (a benchmark measured in seconds and in instructions gives two trends).

    A benchmark recorded with the gate's judgement shows exactly that judgement. One recorded
    before judgements were stored is re-judged with the gate's own function
    (:func:`~codomyrmex.performance.regression.judge_runs`, raw samples, ``alpha``,
    ``min_effect`` — None: the gate's default for the unit — and the ``acceptances`` recorded
    before it) against the runs recorded before it, as ``run_benchmark`` would have.
    """
    if isinstance(runs, str | bytes) or not all(isinstance(r, RunRecord) for r in runs):
        raise TypeError(f"runs must be a sequence of RunRecord, got {type(runs).__name__}")
    if isinstance(acceptances, str | bytes) or not all(isinstance(a, Acceptance) for a in acceptances):
        raise TypeError(f"acceptances must be a sequence of Acceptance, got {type(acceptances).__name__}")
    by_suite: dict[str, list[RunRecord]] = {}
    for run in sorted(runs, key=lambda r: r.timestamp):
        by_suite.setdefault(run.suite, []).append(run)
    out: list[BenchmarkTrend] = []
    for suite in sorted(by_suite):
        accepted_here = [a for a in acceptances if a.suite == suite]
        # (benchmark, unit, host or None for every host) -> its successful runs so far, as the
        # gate sees them: the gate judges a run against the runs of its own host and unit
        seen: dict[tuple[str, str, str | None], list[PastRun]] = {}
        points: dict[tuple[str, str], list[RunPoint]] = {}
        for run in by_suite[suite]:
            ok = [b for b in run.benchmarks if not b.failed and b.samples and b.median is not None]
            recorded_judgements = {b.name: j for b in ok if (j := _recorded(b.judgement)) is not None}
            host = run.environment.get("hostname") or None
            rejudged: dict[str, Judgement] = {}
            for unit in sorted({b.unit for b in ok if b.name not in recorded_judgements}):
                unjudged = [b for b in ok if b.name not in recorded_judgements and b.unit == unit]
                rejudged.update(judge_runs(
                    {b.name: list(b.samples) for b in unjudged},
                    {b.name: seen.get((b.name, unit, host), [])[-HISTORY_LIMIT:] for b in unjudged},
                    alpha=alpha, min_effect=min_effect, unit=unit,
                    accepted={b.name: _accepted_before(accepted_here, b.name, unit, host, run.timestamp)
                              for b in unjudged},
                ))  # fmt: skip
            for b in ok:
                assert b.median is not None  # filtered above; keeps mypy precise
                if b.name in recorded_judgements:
                    judged, recorded = recorded_judgements[b.name], True
                else:
                    judged, recorded = rejudged[b.name], False
                points.setdefault((b.name, b.unit), []).append(
                    _point(run, b.samples, b.median, judged, recorded, b.noisy))
                past = PastRun(b.median, b.samples, run.timestamp, b.noisy)
                seen.setdefault((b.name, b.unit, None), []).append(past)
                if host is not None:
                    seen.setdefault((b.name, b.unit, host), []).append(past)
        for name, unit in sorted(points):
            series = points[(name, unit)]
            medians = [p.median for p in series]
            mine = tuple(a for a in accepted_here
                         if a.unit == unit and (a.benchmark is None or a.benchmark == name))  # fmt: skip
            out.append(BenchmarkTrend(suite, name, tuple(series), tuple(find_change_points(medians)),
                                      unit, mine))  # fmt: skip
    return out


def load_trends(
    store: SQLiteStore,
    *,
    suite: str | None = None,
    alpha: float = 0.01,
    min_effect: float | None = None,
) -> list[BenchmarkTrend]:
    """Trends of every benchmark recorded in ``store`` (only ``suite`` when given).

    Needs the raw samples, so it reads a :class:`~codomyrmex.performance.series.SQLiteStore`.
    """
    if not isinstance(store, SQLiteStore):
        raise TypeError(
            f"store must be a SQLiteStore (the report needs raw samples), got {type(store).__name__}"
        )
    if suite is not None:
        if not isinstance(suite, str):
            raise TypeError(f"suite must be a string, got {suite!r}")
        check_choice("suite", suite, store.suites(), error=SeriesStoreError)
    accepted = store.acceptances(suite)
    return trends_from_runs(store.runs(suite), alpha=alpha, min_effect=min_effect, acceptances=accepted)
