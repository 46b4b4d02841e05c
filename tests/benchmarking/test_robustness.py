"""run_benchmark keeps every run and says what went wrong: history without normalised values,
a corrupt row in the store, bad alpha/min_effect, sys.exit() in a benchmark, stale gauges."""

from __future__ import annotations

import functools
import json
import socket
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest

from codomyrmex.performance.benchmarking import MIN_HISTORY_RUNS, BenchmarkSuite
from codomyrmex.performance.benchmarking import run_benchmark as _run_benchmark
from codomyrmex.performance.errors import BenchmarkError, RegressionError
from codomyrmex.performance.series import CorruptRowWarning, SQLiteStore
from codomyrmex.performance.telemetry.stats import default_registry

# These tests are about the gate and the runner on real timings. On an oversubscribed machine
# every run would be recorded as noisy and none judged (that behaviour is tested in
# test_noise.py), so here every run is judged: noise=False.
run_benchmark = functools.partial(_run_benchmark, noise=False)

FAST: dict[str, Any] = {"rounds": 5, "min_time": 0.0005, "warmup": 0}


def _suite(name: str, store: Path) -> BenchmarkSuite:
    suite = BenchmarkSuite(name, store=store)
    suite.add("work", lambda: sum(range(300)))
    return suite


def test_normalize_with_a_history_recorded_without_canary_judges_raw_and_keeps_the_run(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    suite = _suite("mixed", path)
    for _ in range(MIN_HISTORY_RUNS):
        run_benchmark(suite, canary=False, **FAST)  # no normalised values recorded
    run = run_benchmark(suite, normalize=True, **FAST)
    c = run["work"].comparison
    assert c is not None and c.verdict is not None and not c.normalized
    assert c.note is not None and "judged on raw samples: only 0 of 5 recorded runs" in c.note
    with SQLiteStore(path) as store:
        assert store.count_runs("mixed") == MIN_HISTORY_RUNS + 1


def test_normalize_without_canary_is_refused_before_timing(tmp_path: Path) -> None:
    timed: list[int] = []
    suite = BenchmarkSuite("s")
    suite.add("work", lambda: timed.append(1))
    with pytest.raises(BenchmarkError, match="normalize=True needs canary=True"):
        run_benchmark(suite, normalize=True, canary=False, **FAST)
    assert timed == []


def test_a_corrupt_row_in_the_store_does_not_lose_the_new_run(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    suite = _suite("corrupt", path)
    for _ in range(MIN_HISTORY_RUNS):
        run_benchmark(suite, canary=False, **FAST)
    conn = sqlite3.connect(path)
    host = json.dumps({"hostname": socket.gethostname()})
    conn.execute("INSERT INTO runs (run_id, suite, timestamp, environment) VALUES ('bad', 'corrupt', 1, ?)", (host,))
    conn.execute("INSERT INTO results (run, name, loops, failed, error, median, samples, normalized) "
                 "VALUES (last_insert_rowid(), 'work', 1, 0, NULL, 1.0, 'not json', '[]')")  # fmt: skip
    conn.commit()
    conn.close()
    with pytest.warns(CorruptRowWarning, match="run 'bad'"):
        run = run_benchmark(suite, canary=False, **FAST)
    c = run["work"].comparison
    assert c is not None and c.verdict is not None  # judged on the readable runs
    assert MIN_HISTORY_RUNS - 1 <= c.baseline_runs <= MIN_HISTORY_RUNS  # (one far-off run may be left out)
    with SQLiteStore(path) as store:
        assert store.count_runs("corrupt") == MIN_HISTORY_RUNS + 2
        with pytest.warns(CorruptRowWarning):
            assert run.run_id in [r.run_id for r in store.runs("corrupt")]


class _BrokenHistory:
    """A store whose history cannot be read (a network store that is down)."""

    def __init__(self) -> None:
        self.appended: list[Any] = []

    def append(self, run: Any) -> None:
        self.appended.append(run)

    def history(self, suite: str, benchmark: str, *, limit: int | None = None) -> list[Any]:
        from codomyrmex.performance.errors import SeriesStoreError

        raise SeriesStoreError("cannot query http://prometheus: connection refused")


def test_a_history_that_cannot_be_read_is_a_check_error_and_the_run_is_still_recorded() -> None:
    store = _BrokenHistory()
    run = run_benchmark(_suite("down", Path("unused")), canary=False, store=store, **FAST)
    assert run.check_errors == ["work"] and not run.ok
    assert "history could not be read" in (run["work"].comparison.note or "")  # type: ignore[union-attr]
    assert len(store.appended) == 1


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"alpha": 1.5}, "alpha must be a number in \\(0, 1\\), got 1.5"),
    ({"alpha": 0}, "alpha must be a number in \\(0, 1\\), got 0"),
    ({"min_effect": -0.1}, "min_effect must be a relative change in \\[0, 10\\), got -0.1"),
])  # fmt: skip
def test_alpha_and_min_effect_are_checked_before_timing_with_or_without_store(
    tmp_path: Path, kwargs: dict[str, Any], match: str
) -> None:

    timed: list[int] = []
    suite = BenchmarkSuite("s")
    suite.add("work", lambda: timed.append(1))
    for store in (None, tmp_path / "s.sqlite3"):
        with pytest.raises(RegressionError, match=match):
            run_benchmark(suite, store=store, canary=False, **FAST, **kwargs)
    assert timed == []
    assert not (tmp_path / "s.sqlite3").exists() or SQLiteStore(tmp_path / "s.sqlite3").count_runs() == 0


def test_sys_exit_in_a_benchmark_fails_that_benchmark_only() -> None:
    suite = BenchmarkSuite("exits")
    suite.add("quits", lambda: sys.exit(3))
    suite.add("setup_quits", lambda _: None, setup=lambda: sys.exit("bye"))
    suite.add("fine", lambda: sum(range(10)))
    run = run_benchmark(suite, canary=False, **FAST)
    assert run.failed == ["quits", "setup_quits"]
    assert run["quits"].error == "SystemExit: exit code 3"
    assert run["setup_quits"].error == "setup failed: SystemExit: exit code 'bye'"
    assert run["fine"].times and not run["fine"].failed


def test_keyboard_interrupt_in_a_benchmark_still_stops_the_run() -> None:
    def interrupt() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_benchmark(interrupt, canary=False, **FAST)


def test_a_benchmark_that_fails_stops_exporting_its_previous_numbers(clean_stats: Any, unique_name: str) -> None:
    state = {"fail": False}

    def work() -> None:
        if state["fail"]:
            raise RuntimeError("broken now")

    suite = BenchmarkSuite(unique_name)
    suite.add("work", work)
    suite.add("other", lambda: None)
    run_benchmark(suite, canary=False, **FAST)
    gauges = default_registry().benchmarks
    assert (unique_name, "work", "p50") in gauges.duration and (unique_name, "work") in gauges.regression
    state["fail"] = True
    run_benchmark(suite, canary=False, **FAST)
    assert not any(k[:2] == (unique_name, "work") for k in gauges.duration)
    assert (unique_name, "work") not in gauges.regression
    assert (unique_name, "other", "p50") in gauges.duration


def test_one_disturbed_canary_timing_does_not_rescale_the_benchmarks_next_to_it() -> None:
    from codomyrmex.performance.benchmarking import BenchmarkResult, SuiteRun
    from codomyrmex.performance.benchmarking._runner import _normalize

    run = SuiteRun("s")
    for name in ("a", "b", "c"):
        run.results[name] = BenchmarkResult(name, [2.0, 2.0, 2.0])
    # the canary after "a" took three times as long (a neighbour stole the CPU for a moment)
    _normalize(run, [1.0, 3.0, 1.02, 0.98])
    assert run["a"].normalized == [2.0, 2.0, 2.0]  # only the undisturbed canary before it
    assert run["b"].normalized == pytest.approx([2.0 / 1.02] * 3)
    assert run["c"].normalized == pytest.approx([2.0 / 1.0] * 3)
    assert run.environment["canary_replaced"] == ["a", "b"]
    assert "canary timing far from the run's median next to a, b" in run.warnings[0]
    assert run.environment["canary_spread"] == pytest.approx(0.0297, abs=0.001)


def test_a_run_is_judged_against_its_own_host_only(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    suite = _suite("hosts", path)
    with SQLiteStore(path) as store:  # a much slower machine's runs, imported into this store
        from codomyrmex.performance.series import BenchmarkRecord, RunRecord

        for i in range(MIN_HISTORY_RUNS):
            store.append(RunRecord.new("hosts", [BenchmarkRecord("work", (1.0, 1.0, 1.1))],
                                       environment={"hostname": f"not-{socket.gethostname()}"},
                                       timestamp=1.0 + i))  # fmt: skip
    run = run_benchmark(suite, canary=False, **FAST)
    assert run["work"].comparison is not None and run["work"].comparison.verdict_name == "new"


def test_setup_per_round_gives_every_sample_a_fresh_input() -> None:
    made: list[int] = []

    def setup() -> list[int]:
        made.append(1)
        return [1]

    suite = BenchmarkSuite("pops")
    suite.add("pop", lambda lst: lst.pop(), setup=setup, setup_per_round=True)  # fails on a reused list
    suite.add("pop_once", lambda lst: lst.pop(), setup=setup)  # setup once: the 2nd call fails

    @suite.benchmark(setup=setup, setup_per_round=True)
    def pop_decorated(lst: list[int]) -> None:
        lst.pop()

    run = run_benchmark(suite, canary=False, rounds=6, warmup=1, min_time=0)
    assert run["pop"].times and len(run["pop"].times) == 6 and run["pop"].loops == 1
    assert run["pop_decorated"].times and not run["pop_decorated"].failed
    assert run.failed == ["pop_once"] and "IndexError" in (run["pop_once"].error or "")
    with pytest.raises(BenchmarkError, match="setup_per_round=True needs a setup function"):
        suite.add("nosetup", lambda: None, setup_per_round=True)
