"""Noise awareness in time mode: what the run records, the busy warning, re-measuring a
disturbed benchmark and recording what stays disturbed as noisy (issue 11)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from codomyrmex.performance.benchmarking import BenchmarkSuite, _timing, run_benchmark
from codomyrmex.performance.benchmarking._noise import (
    REMEASURE,
    busy_warnings,
    disturbed,
    measure_undisturbed,
    system_state,
)
from codomyrmex.performance.benchmarking._timing import Measurement
from codomyrmex.performance.series import SQLiteStore


def _m(cpu_ratio: float | None, cpu_wait: float | None, value: float = 1.0) -> Measurement:
    m = Measurement([value], 1)
    m.cpu_ratio, m.cpu_wait = cpu_ratio, cpu_wait
    return m


def test_busy_warning_when_every_cpu_has_a_runnable_task() -> None:
    assert busy_warnings({"load_average": [1.9, 1.0, 1.0], "cpu_count": 2}) == []
    assert busy_warnings({"load_average": [2.0, 1.0, 1.0], "cpu_count": 2}) == [
        "the machine is busy: load average 2 over the last minute on 2 CPUs; other processes compete "
        'for the CPU and timings will be noisy (measure="instructions" is not affected)'
    ]


def test_a_governor_other_than_performance_is_warned_about() -> None:
    assert busy_warnings({"cpu_count": 2, "cpu_governor": "powersave"}) == [
        "CPU frequency governor is 'powersave', not 'performance': the clock speed moves with load "
        "(pyperf system tune sets it)"
    ]
    assert busy_warnings({"cpu_count": 2, "cpu_governor": "performance"}) == []


def test_system_state_reads_what_linux_exposes() -> None:
    state = system_state()
    assert isinstance(state["cpu_count"], int)
    assert len(state["load_average"]) == 3
    assert state["aslr"] in ("disabled", "partial (stack, mmap)", "full")


def test_starved_of_cpu_while_waiting_for_it_is_disturbed_but_sleeping_is_not() -> None:
    assert disturbed(_m(0.2, 0.7))
    assert not disturbed(_m(0.01, 0.0))  # a benchmark that sleeps: little CPU, but no waiting
    assert not disturbed(_m(0.9, 0.05))
    assert not disturbed(_m(None, None))  # nothing known: not called disturbed


def test_a_disturbed_benchmark_is_measured_again_and_the_clean_measurement_kept() -> None:
    results = iter([_m(0.2, 0.7, 9.0), _m(0.95, 0.01, 1.0)])
    env: dict[str, Any] = {}
    m = measure_undisturbed(env, "b", lambda: next(results))
    assert m.samples == [1.0]
    assert env["scheduling"]["b"] == {"cpu_ratio": 0.95, "cpu_wait": 0.01, "remeasured": 1}
    assert "noisy" not in env


def test_what_stays_disturbed_is_recorded_as_noisy_after_a_bounded_number_of_attempts() -> None:
    calls: list[int] = []

    def once() -> Measurement:
        calls.append(1)
        return _m(0.3 - 0.05 * len(calls), 0.6 - 0.1 * len(calls))

    env: dict[str, Any] = {}
    m = measure_undisturbed(env, "b", once)
    assert len(calls) == 1 + REMEASURE
    assert m.cpu_wait == min(0.6 - 0.1 * i for i in range(1, 2 + REMEASURE))  # the least disturbed
    assert env["noisy"]["b"].startswith("got ") and f"measured {1 + REMEASURE} times" in env["noisy"]["b"]


def test_a_run_records_load_cpu_time_and_peak_rss(tmp_path: Path) -> None:
    suite = BenchmarkSuite("noise_env")
    suite.add("sum", lambda: sum(range(200)))
    run = run_benchmark(suite, rounds=3, min_time=0.0005, canary=False, store=False)
    env = run.environment
    assert set(env["system"]) >= {"cpu_count", "load_average"}
    assert env["wall_time"] > 0 and env["cpu_time"] > 0 and env["max_rss_bytes"] > 1_000_000
    assert set(env["scheduling"]["sum"]) == {"cpu_ratio", "cpu_wait", "remeasured"}


def test_a_noisy_result_is_recorded_shown_and_never_a_baseline(tmp_path: Path, monkeypatch: Any) -> None:
    # every measurement starved of CPU, as on a machine with four busy processes per CPU
    def starved(m: Measurement, before: Any, cpu: float, wall: float) -> None:
        m.cpu_ratio, m.cpu_wait = 0.2, 0.75

    monkeypatch.setattr(_timing, "_scheduling", starved)
    suite = BenchmarkSuite("noise_rec")
    suite.add("sleepy", lambda: time.sleep(0))
    store = tmp_path / "s.sqlite3"
    for _ in range(6):
        run = run_benchmark(suite, rounds=3, min_time=0.0005, canary=False, store=store)
    assert run["sleepy"].noisy
    assert "[noisy: not a baseline]" in run.report()
    assert any(w.startswith("noisy (recorded, never part of a baseline): sleepy: got 20% of its wall time")
               for w in run.warnings)  # fmt: skip
    with SQLiteStore(store) as s:
        points = s.history("noise_rec", "sleepy")
    assert len(points) == 6 and all(p.noisy for p in points)
    c = run["sleepy"].comparison
    assert c is not None and c.verdict is None and "5 noisy left out" in (c.note or "")


def test_noise_false_records_the_evidence_but_judges_every_run(tmp_path: Path, monkeypatch: Any) -> None:
    def starved(m: Measurement, before: Any, cpu: float, wall: float) -> None:
        m.cpu_ratio, m.cpu_wait = 0.2, 0.75

    monkeypatch.setattr(_timing, "_scheduling", starved)
    suite = BenchmarkSuite("noise_off")
    suite.add("sum", lambda: sum(range(100)))
    run = run_benchmark(suite, rounds=3, min_time=0.0005, canary=False, store=False, noise=False)
    assert not run["sum"].noisy and "noisy" not in run.environment
    assert run.environment["scheduling"]["sum"] == {"cpu_ratio": 0.2, "cpu_wait": 0.75, "remeasured": 0}


def _blocks(log: list[str]) -> list[str]:
    return [name for i, name in enumerate(log) if i == 0 or log[i - 1] != name]


def test_samples_are_spread_over_windows_so_one_burst_hits_one_third() -> None:
    log: list[str] = []
    setups: list[str] = []
    suite = BenchmarkSuite("windows")
    for name in ("a", "b"):
        suite.add(name, lambda _state, n=name: log.append(n), setup=lambda n=name: setups.append(n) or n)
    run = run_benchmark(suite, rounds=7, warmup=0, min_time=0.0005, canary=False, store=False)
    # three passes over the suite: a, b, a, b, a, b -- each pass takes a third of the samples
    assert _blocks(log) == ["a", "b", "a", "b", "a", "b"]
    assert [run[n].iterations for n in ("a", "b")] == [7, 7]
    assert setups == ["a", "b"]  # setup and calibration once, in the first pass


def test_a_single_benchmark_or_isolated_workers_take_their_samples_in_one_go() -> None:
    log: list[str] = []
    suite = BenchmarkSuite("one")
    suite.add("a", lambda: log.append("a"))
    run = run_benchmark(suite, rounds=6, warmup=0, min_time=0.0005, canary=False, store=False)
    assert _blocks(log) == ["a"] and run["a"].iterations == 6
