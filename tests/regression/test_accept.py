"""A regression stays visible until accepted: run_benchmark + store + ``bench accept``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codomyrmex.performance.benchmarking import (
    BenchmarkResult,
    BenchmarkSuite,
    SuiteRun,
    run_benchmark,
)
from codomyrmex.performance.benchmarking._runner import _compare, _record
from codomyrmex.performance.cli import main
from codomyrmex.performance.series import SQLiteStore


def _suite(path: Path, factor: dict[str, int]) -> BenchmarkSuite:
    suite = BenchmarkSuite("acc", store=path)
    suite.add("work", lambda: sum(range(3000 * factor["f"])))
    return suite


def _verdict(suite: BenchmarkSuite) -> str:
    run = run_benchmark(suite, rounds=3, min_time=0.001)
    c = run["work"].comparison
    return "none" if c is None else str(c.verdict_name)


_clock = iter(range(1_000_000, 2_000_000))


def _judged(store: SQLiteStore, level: float) -> str:
    """One run through the runner's gate path (history, acceptances, judge_runs) and recorded,
    with fixed samples: wall-time runs on this shared machine vary several-fold."""
    result = BenchmarkResult("work", [level * (1 + 0.001 * k) for k in (-1, 0, 1, 0, 2)])
    run = SuiteRun("acc", {"work": result}, {"hostname": "h"}, timestamp=float(next(_clock)))
    _compare(run, store, alpha=0.01, min_effect=0.02, normalize=False)
    store.append(_record(run))
    c = result.comparison
    assert c is not None
    return str(c.verdict_name)


def test_a_doubled_benchmark_is_flagged_on_every_run_until_accepted(tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "s.sqlite3"
    with SQLiteStore(path) as store:
        for i in range(8):
            _judged(store, 1e-3 * (1 + 0.004 * (i % 3)))
        # 8 runs at the doubled level: the change point is confirmed after 5 of them, and the old
        # gate then took the new level as the baseline ("unchanged"); it stays a regression
        assert [_judged(store, 2e-3) for _ in range(8)] == ["regression"] * 8
    capsys.readouterr()
    assert main(["bench", "accept", "acc", "work", "--note", "doubled on purpose", "--who", "ana",
                 "--store", str(path)]) == 0  # fmt: skip
    assert "accepted the current seconds level of acc/work at " in capsys.readouterr().out
    with SQLiteStore(path) as store:
        assert _judged(store, 2e-3) == "unchanged"
        (a,) = store.acceptances("acc")
        assert (a.benchmark, a.who, a.note) == ("work", "ana", "doubled on purpose")
        # back at the old level after accepting the doubled one: an improvement, not a regression
        assert _judged(store, 1e-3) == "improvement"
    assert main(["bench", "history", "acc", "work", "--store", str(path)]) == 0
    out = capsys.readouterr().out
    assert "accepted changes of acc:" in out and "work [seconds] by ana: doubled on purpose" in out


def test_accept_names_what_is_wrong(tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "s.sqlite3"
    _verdict(_suite(path, {"f": 1}))
    capsys.readouterr()
    assert main(["bench", "accept", "nosuch", "--note", "n", "--store", str(path)]) == 2
    assert "no runs of suite 'nosuch'" in capsys.readouterr().err
    assert main(["bench", "accept", "acc", "nosuch", "--note", "n", "--store", str(path)]) == 2
    assert "no benchmark 'nosuch' in suite 'acc' (benchmarks: work)" in capsys.readouterr().err
    assert main(["bench", "accept", "acc", "--note", " ", "--store", str(path)]) == 2
    assert "an acceptance needs a note saying why" in capsys.readouterr().err
    assert main(["bench", "accept", "acc", "--note", "n", "--store", str(tmp_path / "none.sqlite3")]) == 2
    assert "does not exist" in capsys.readouterr().err
    with SQLiteStore(path) as store:
        assert store.acceptances() == []
