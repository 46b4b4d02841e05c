"""The report shows exactly what the gate decided: on real runs of run_benchmark, whether the
verdicts were recorded with the runs or (for runs recorded before that) re-judged."""

from __future__ import annotations

from pathlib import Path

from codomyrmex.performance.benchmarking import (
    MIN_HISTORY_RUNS,
    BenchmarkSuite,
    SuiteRun,
    run_benchmark,
)
from codomyrmex.performance.reporting import load_trends, render_html
from codomyrmex.performance.series import BenchmarkRecord, RunRecord, SQLiteStore


def _work(n: int) -> int:
    return sum(i * i % 7 for i in range(n))


def _real_runs(path: Path) -> list[SuiteRun]:
    size = {"n": 200}
    suite = BenchmarkSuite("agree", store=path)
    suite.add("loop", lambda: _work(size["n"]))
    suite.add("join", lambda: ",".join(["ab"] * 60))
    runs = [run_benchmark(suite, rounds=8, min_time=0.001, canary=False) for _ in range(2 * MIN_HISTORY_RUNS)]
    # a hundred times the work: a regression even when busy processes make whole runs 2-3x slower
    size["n"] = 20000
    runs.append(run_benchmark(suite, rounds=8, min_time=0.001, canary=False))
    return runs


def _labels(path: Path) -> dict[tuple[str, str], tuple[str, bool, str | None]]:
    with SQLiteStore(path) as store:
        return {(p.run_id, t.benchmark): (p.label, p.recorded, p.note)
                for t in load_trends(store) for p in t.points}  # fmt: skip


def test_report_verdicts_equal_the_gate_verdicts_on_real_runs(tmp_path: Path) -> None:
    path = tmp_path / "series.sqlite3"
    runs = _real_runs(path)
    gate = {(r.run_id, n): (r[n].comparison.verdict_name, True, r[n].comparison.note)  # type: ignore[union-attr]
            for r in runs for n in r}  # fmt: skip
    assert gate[(runs[-1].run_id, "loop")][0] == "regression"
    assert _labels(path) == gate
    with SQLiteStore(path) as store:
        page = render_html(load_trends(store))
    assert page.count('class="run regression"') == sum(len(r.regressions) for r in runs)


def test_runs_recorded_without_verdicts_are_rejudged_as_the_gate_judged_them(tmp_path: Path) -> None:
    judged_path, legacy_path = tmp_path / "judged.sqlite3", tmp_path / "legacy.sqlite3"
    runs = _real_runs(judged_path)
    with SQLiteStore(judged_path) as judged, SQLiteStore(legacy_path) as legacy:
        for r in judged.runs():  # the same runs as a store written before verdicts were recorded
            legacy.append(RunRecord(r.run_id, r.suite, r.timestamp,
                                    tuple(BenchmarkRecord(b.name, b.samples, b.loops, b.failed, b.error, b.normalized)
                                          for b in r.benchmarks),
                                    r.environment, r.canary))  # fmt: skip
    rejudged = _labels(legacy_path)
    assert {k: v[0] for k, v in rejudged.items()} == {(r.run_id, n): r[n].comparison.verdict_name  # type: ignore[union-attr]
                                                      for r in runs for n in r}  # fmt: skip
    assert not any(recorded for _, recorded, _ in rejudged.values())
