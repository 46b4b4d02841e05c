"""A regression stays visible until accepted: run_benchmark + store + ``bench accept``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from codomyrmex.performance.benchmarking import (
    BenchmarkResult,
    BenchmarkSuite,
    SuiteRun,
    run_benchmark,
)
from codomyrmex.performance.benchmarking._runner import _compare, _record
from codomyrmex.performance.cli import main
from codomyrmex.performance.errors import SeriesStoreError
from codomyrmex.performance.series import (
    Acceptance,
    BenchmarkRecord,
    RunRecord,
    SQLiteStore,
    loads_acceptances,
)


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


def _verdict_of(store: SQLiteStore, level: float, timestamp: float) -> str:
    """The gate's verdict for one run at ``level`` judged against ``store`` (not recorded)."""
    result = BenchmarkResult("work", [level * (1 + 0.001 * k) for k in (-1, 0, 1, 0, 2)])
    run = SuiteRun("acc", {"work": result}, {"hostname": "h"}, timestamp=timestamp)
    _compare(run, store, alpha=0.01, min_effect=0.02, normalize=False)
    assert result.comparison is not None
    return str(result.comparison.verdict_name)


def _accepted_history(path: Path) -> None:
    """8 runs at a level, 8 at double it, the doubled level accepted (and another suite's run)."""
    with SQLiteStore(path) as store:
        for i in range(8):
            _judged(store, 1e-3 * (1 + 0.004 * (i % 3)))
        for _ in range(8):
            _judged(store, 2e-3)
        store.accept("acc", "work", note="doubled on purpose", who="ana", timestamp=float(next(_clock)))
        store.append(RunRecord.new("other", [BenchmarkRecord("x", (1e-6, 2e-6))], timestamp=1.0))
        store.accept("other", note="new CI image", who="bo", timestamp=2.0)


def test_export_import_carries_acceptances_so_the_verdict_stays_accepted(tmp_path: Path, capsys: Any) -> None:
    source, target, doc = tmp_path / "a.sqlite3", tmp_path / "b.sqlite3", tmp_path / "runs.json"
    _accepted_history(source)
    when = float(next(_clock))
    with SQLiteStore(source) as store:
        assert _verdict_of(store, 2e-3, when) == "unchanged"
    assert main(["bench", "export", "--store", str(source), "-o", str(doc)]) == 0
    assert [a["who"] for a in json.loads(doc.read_text())["acceptances"]] == ["bo", "ana"]
    capsys.readouterr()
    assert main(["bench", "import", str(doc), "--store", str(target)]) == 0
    assert capsys.readouterr().out == "imported 17 run(s), skipped 0 already recorded; 2 acceptance(s), skipped 0\n"
    with SQLiteStore(target) as store:
        # before: the acceptance stayed behind and the accepted level was a regression again
        assert _verdict_of(store, 2e-3, when) == "unchanged"
        assert store.acceptances("acc") == SQLiteStore(source).acceptances("acc")
    # importing the same document again records nothing twice, as for runs
    assert main(["bench", "import", str(doc), "--store", str(target)]) == 0
    assert capsys.readouterr().out == "imported 0 run(s), skipped 17 already recorded; 0 acceptance(s), skipped 2\n"
    with SQLiteStore(target) as store:
        assert [(a.suite, a.who) for a in store.acceptances()] == [("other", "bo"), ("acc", "ana")]


def test_export_of_one_suite_carries_only_its_acceptances(tmp_path: Path, capsys: Any) -> None:
    source, doc = tmp_path / "a.sqlite3", tmp_path / "runs.json"
    _accepted_history(source)
    assert main(["bench", "export", "--store", str(source), "--suite", "acc", "-o", str(doc)]) == 0
    assert [(a.suite, a.benchmark) for a in loads_acceptances(doc.read_text())] == [("acc", "work")]
    with SQLiteStore(source) as store:
        last = store.runs("other")[-1].run_id
    assert main(["bench", "export", "--store", str(source), "--run", last, "-o", str(doc)]) == 0
    assert [(a.suite, a.benchmark) for a in loads_acceptances(doc.read_text())] == [("other", None)]
    # an import restricted to one suite restores only that suite's acceptances
    target = tmp_path / "b.sqlite3"
    assert main(["bench", "export", "--store", str(source), "-o", str(doc)]) == 0
    capsys.readouterr()
    assert main(["bench", "import", str(doc), "--store", str(target), "--suite", "other"]) == 0
    assert capsys.readouterr().out == "imported 1 run(s), skipped 0 already recorded; 1 acceptance(s), skipped 0\n"


@pytest.mark.parametrize("fmt", ["pyperf", "pytest-benchmark"])
def test_a_foreign_export_says_how_many_acceptances_it_cannot_carry(tmp_path: Path, capsys: Any, fmt: str) -> None:
    source, doc = tmp_path / "a.sqlite3", tmp_path / "runs.json"
    _accepted_history(source)
    capsys.readouterr()
    assert main(["bench", "export", "--store", str(source), "--suite", "acc", "--format", fmt, "-o", str(doc)]) == 0
    assert capsys.readouterr().err == (
        f"codomyrmex-perf bench export: warning: 1 acceptance (of acc) not carried: a {fmt} file "
        "cannot hold acceptances; --format codomyrmex keeps them\n"
    )
    assert main(["bench", "export", "--store", str(tmp_path / "a.sqlite3"), "--suite", "other", "--format",
                 "pytest-benchmark", "-o", str(doc)]) == 0  # fmt: skip
    assert "1 acceptance (of other) not carried" in capsys.readouterr().err


def test_merge_appends_new_runs_and_acceptances_in_one_transaction(tmp_path: Path) -> None:
    run = RunRecord.new("s", [BenchmarkRecord("x", (1e-6, 2e-6))], timestamp=1.0)
    acc = Acceptance("s", "x", 2.0, "why", "ana", "seconds", None)
    same_but_host = Acceptance("s", "x", 2.0, "why", "ana", "seconds", "ci-1")
    with SQLiteStore(tmp_path / "s.sqlite3") as store:
        assert store.merge([run], [acc, acc]) == (1, 1)  # a duplicate inside one batch, too
        assert store.merge([run], [acc, same_but_host]) == (0, 1)
        assert store.acceptances() == [acc, same_but_host]
        bad = RunRecord("other-id", "s", 3.0, (BenchmarkRecord("x", (1e-6,)),))
        with pytest.raises(TypeError, match="acceptances must be Acceptance records, got str"):
            store.merge([bad], ["nope"])  # type: ignore[list-item]
        assert store.count_runs() == 1  # nothing of the refused batch was appended


class _UnreadableAcceptances(SQLiteStore):
    def acceptances(self, suite: str | None = None) -> list[Acceptance]:
        raise SeriesStoreError("the acceptances table is unreadable")


def test_a_regression_says_when_the_acceptances_could_not_be_read(tmp_path: Path) -> None:
    # the doubled level was accepted, but the gate cannot read that: the regression it reports
    # says so instead of reading as "nobody accepted it"
    path = tmp_path / "s.sqlite3"
    _accepted_history(path)
    when = float(next(_clock))
    with _UnreadableAcceptances(path) as store:
        result = BenchmarkResult("work", [2e-3 * (1 + 0.001 * k) for k in (-1, 0, 1, 0, 2)])
        run = SuiteRun("acc", {"work": result}, {"hostname": "h"}, timestamp=when)
        _compare(run, store, alpha=0.01, min_effect=0.02, normalize=False)
    c = result.comparison
    assert c is not None and c.verdict_name == "regression"
    assert c.note is not None and c.note.endswith(
        "; acceptances could not be read: the acceptances table is unreadable"
    ), c.note
    with SQLiteStore(path) as store:  # an unchanged benchmark gets no such note
        assert _verdict_of(store, 2e-3, when) == "unchanged"
