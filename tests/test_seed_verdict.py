"""The seed call gives a verdict: ``run_benchmark(suite)`` records into the default store and
compares with its history, as ``codomyrmex-perf bench run`` does. (tests/conftest.py points the
default store at a fresh temporary directory for every test.)"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

from codomyrmex.performance.benchmarking import MIN_HISTORY_RUNS, EmptySuiteWarning
from codomyrmex.performance.profiling.benchmark import BenchmarkSuite, run_benchmark
from codomyrmex.performance.series import SQLiteStore

FAST = {"rounds": 6, "min_time": 0.0005, "warmup": 0, "canary": False}


def _suite(name: str, store: object = None) -> BenchmarkSuite:
    suite = BenchmarkSuite(name, store=store)
    suite.add("sum", lambda: sum(range(300)))
    return suite


def _recorded(path: Path, suite: str) -> int:
    with SQLiteStore(path) as store:
        return len(store.runs(suite))


def test_seed_call_records_into_the_default_store_and_gets_a_verdict(unique_name: str) -> None:
    default = Path(os.environ["CODOMYRMEX_PERF_STORE"])
    suite = _suite(unique_name)
    first = run_benchmark(suite, **FAST)
    assert first.store is not None and Path(first.store.path) == default
    assert first["sum"].comparison is not None
    assert first["sum"].comparison.verdict_name == "new"
    # "new" until MIN_HISTORY_RUNS usable runs are recorded; on a busy machine the runner marks
    # disturbed runs noisy and the gate leaves them out, so it may take a few more runs
    limit = 4 * MIN_HISTORY_RUNS
    runs = [first]
    while runs[-1]["sum"].comparison.verdict is None and len(runs) < limit:
        runs.append(run_benchmark(suite, **FAST))
    assert _recorded(default, unique_name) == len(runs)
    assert len(runs) > MIN_HISTORY_RUNS
    for earlier in runs[:-1]:
        note = earlier["sum"].comparison.note
        assert earlier["sum"].comparison.verdict_name == "new" and note.startswith("no history"), note
    comparison = runs[-1]["sum"].comparison
    assert comparison is not None and comparison.verdict is not None, comparison  # a verdict, no longer "new"
    assert comparison.verdict_name in {"unchanged", "inconclusive", "improvement", "regression"}
    assert 1 <= comparison.baseline_runs <= len(runs) - 1


def test_store_none_opts_out(unique_name: str) -> None:
    default = Path(os.environ["CODOMYRMEX_PERF_STORE"])
    run = run_benchmark(_suite(unique_name), store=None, **FAST)
    assert run.store is None and run["sum"].comparison is None
    assert not default.exists()
    run = run_benchmark(_suite(unique_name), store=False, **FAST)
    assert run.store is None and not default.exists()


def test_codomyrmex_perf_store_relocates_and_xdg_data_home_is_the_fallback(
    unique_name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere" / "runs.sqlite3"
    monkeypatch.setenv("CODOMYRMEX_PERF_STORE", str(elsewhere))
    run_benchmark(_suite(unique_name), **FAST)
    assert _recorded(elsewhere, unique_name) == 1
    monkeypatch.delenv("CODOMYRMEX_PERF_STORE")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    run_benchmark(_suite(unique_name), **FAST)
    assert _recorded(tmp_path / "xdg" / "codomyrmex-perf" / "series.sqlite3", unique_name) == 1
    assert _recorded(elsewhere, unique_name) == 1


def test_a_suites_own_store_wins_over_the_default(unique_name: str, tmp_path: Path) -> None:
    own = tmp_path / "own.sqlite3"
    run_benchmark(_suite(unique_name, store=own), **FAST)
    assert _recorded(own, unique_name) == 1
    assert not Path(os.environ["CODOMYRMEX_PERF_STORE"]).exists()


def test_the_seed_snippet_with_an_empty_suite_creates_no_store() -> None:
    default = Path(os.environ["CODOMYRMEX_PERF_STORE"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = run_benchmark(BenchmarkSuite(name="agent_performance"))
    assert [w.category for w in caught] == [EmptySuiteWarning]
    assert len(run) == 0 and run.store is None
    assert not default.exists()


def test_a_plain_callable_is_only_timed() -> None:
    default = Path(os.environ["CODOMYRMEX_PERF_STORE"])
    result = run_benchmark(lambda: sum(range(100)), iterations=3, min_time=0.0005, canary=False)
    assert result.iterations == 3 and result.comparison is None
    assert not default.exists()
