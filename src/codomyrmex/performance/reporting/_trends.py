"""The trend of every recorded benchmark: its runs, change points, regressions and current verdict.

Each run is judged the way ``run_benchmark`` judged it when it ran: against the raw samples of at
most :data:`~codomyrmex.performance.benchmarking.BASELINE_RUNS` earlier runs of the level it
belongs to (since the last change point), with Holm's correction across the benchmarks of that
run. So the regressions marked in a report are the ones the gate would have raised, and the last
run's verdict is the current one::

    from codomyrmex.performance.reporting import load_trends
    from codomyrmex.performance.series import SQLiteStore

    with SQLiteStore("series.sqlite3") as store:
        for t in load_trends(store):
            print(t.suite, t.benchmark, t.verdict_label, t.change_points)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .._validation import check_choice
from ..benchmarking import BASELINE_RUNS
from ..errors import RegressionError, SeriesStoreError
from ..regression import Verdict, baseline_start, compare_many, find_change_points
from ..series import RunRecord, SQLiteStore, run_stats

__all__ = ["BenchmarkTrend", "RunPoint", "load_trends", "trends_from_runs"]


@dataclass(frozen=True, slots=True)
class RunPoint:
    """One successful run of one benchmark, with the verdict against the runs before it."""

    run_id: str
    timestamp: float
    median: float
    samples: tuple[float, ...]
    #: ``None`` for the first run (no baseline yet) or when the samples could not be judged.
    verdict: Verdict | None


@dataclass(frozen=True, slots=True)
class BenchmarkTrend:
    """The recorded history of one benchmark of one suite, oldest run first."""

    suite: str
    benchmark: str
    points: tuple[RunPoint, ...]
    #: indices into ``points`` where a new level of the medians starts
    change_points: tuple[int, ...]

    @property
    def latest(self) -> RunPoint:
        return self.points[-1]

    @property
    def regressions(self) -> tuple[int, ...]:
        """Indices of the runs judged a regression against their baseline."""
        return tuple(i for i, p in enumerate(self.points) if p.verdict and p.verdict.is_regression)

    @property
    def stats(self) -> dict[str, float]:
        """min/p50/p90/p95/p99/mean (seconds) of the latest run's samples."""
        return run_stats(self.latest.samples)

    @property
    def verdict_label(self) -> str:
        """``regression``, ``improvement``, ``unchanged``, ``inconclusive`` or ``no baseline``."""
        v = self.latest.verdict
        return "no baseline" if v is None else v.verdict.value


def _baseline(earlier: Sequence[tuple[float, tuple[float, ...]]]) -> list[float]:
    """Pooled samples of the last ``BASELINE_RUNS`` runs of the current level of ``earlier``."""
    if not earlier:
        return []
    level = earlier[baseline_start([m for m, _ in earlier]) :][-BASELINE_RUNS:]
    return [v for _, samples in level for v in samples]


def trends_from_runs(
    runs: Sequence[RunRecord], *, alpha: float = 0.01, min_effect: float = 0.02
) -> list[BenchmarkTrend]:
    """Trends of every benchmark in ``runs`` (any suites, in any order), sorted by suite and name."""
    if isinstance(runs, str | bytes) or not all(isinstance(r, RunRecord) for r in runs):
        raise TypeError(f"runs must be a sequence of RunRecord, got {type(runs).__name__}")
    by_suite: dict[str, list[RunRecord]] = {}
    for run in sorted(runs, key=lambda r: r.timestamp):
        by_suite.setdefault(run.suite, []).append(run)
    out: list[BenchmarkTrend] = []
    for suite in sorted(by_suite):
        # benchmark -> [(median, samples)] of its successful runs so far, and its points
        seen: dict[str, list[tuple[float, tuple[float, ...]]]] = {}
        points: dict[str, list[RunPoint]] = {}
        for run in by_suite[suite]:
            ok = [b for b in run.benchmarks if not b.failed and b.samples and b.median is not None]
            pairs = {
                b.name: (_baseline(seen.get(b.name, [])), list(b.samples))
                for b in ok
                if seen.get(b.name)
            }
            verdicts = compare_many(pairs, alpha=alpha, min_effect=min_effect, correction="holm")
            for b in ok:
                verdict = verdicts.get(b.name)
                judged = (
                    None if verdict is None or isinstance(verdict, RegressionError) else verdict
                )
                assert b.median is not None  # filtered above; keeps mypy precise
                points.setdefault(b.name, []).append(
                    RunPoint(run.run_id, run.timestamp, b.median, b.samples, judged)
                )
                seen.setdefault(b.name, []).append((b.median, b.samples))
        for name in sorted(points):
            medians = [p.median for p in points[name]]
            out.append(
                BenchmarkTrend(suite, name, tuple(points[name]), tuple(find_change_points(medians)))
            )
    return out


def load_trends(
    store: SQLiteStore,
    *,
    suite: str | None = None,
    alpha: float = 0.01,
    min_effect: float = 0.02,
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
    return trends_from_runs(store.runs(suite), alpha=alpha, min_effect=min_effect)
