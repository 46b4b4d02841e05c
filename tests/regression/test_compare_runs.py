"""compare_runs and ``bench compare``: two runs judged with the run-to-run spread, or not at all."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Any

import pytest

from codomyrmex.performance.cli import main
from codomyrmex.performance.regression import PastRun, compare_runs
from codomyrmex.performance.series import BenchmarkRecord, RunRecord, SQLiteStore


def _samples(level: float, n: int = 15, rng: random.Random | None = None) -> tuple[float, ...]:
    rng = rng or random.Random(1)
    return tuple(level * math.exp(rng.gauss(0.0, 0.002)) for _ in range(n))


def _pair(factor: float) -> tuple[RunRecord, RunRecord]:
    # two processes of the same code: tight samples inside each, a 13 % offset between them
    a = RunRecord.new("s", [BenchmarkRecord("tokenize", _samples(1e-3))], timestamp=1.0,
                      environment={"hostname": "h"})  # fmt: skip
    b = RunRecord.new("s", [BenchmarkRecord("tokenize", _samples(1e-3 * factor))], timestamp=2.0,
                      environment={"hostname": "h"})  # fmt: skip
    return a, b


def test_two_runs_without_history_are_inconclusive_not_a_regression() -> None:
    # issue 11, bug 3: runs 1 and 7 of unchanged code read "+13.2% regression (p=7.3e-11)"
    a, b = _pair(1.132)
    c = compare_runs(a, b)["tokenize"]
    assert c.verdict == "inconclusive"
    assert c.change == pytest.approx(0.132, abs=0.01)
    assert c.p_value is None and c.within_run_p is not None and c.within_run_p < 1e-5
    assert c.note is not None and "0 recorded runs on this host" in c.note and "compare_variants" in c.note


def test_a_tiny_difference_without_history_is_not_called_unchanged() -> None:
    # issue 11, bug 3: "unchanged (p=1.3e-07)"
    a, b = _pair(1.01)
    c = compare_runs(a, b)["tokenize"]
    assert c.verdict == "inconclusive" and c.p_value is None


def _history(rng: random.Random, n: int, sigma: float = 0.05) -> list[PastRun]:
    return [PastRun(1e-3 * math.exp(rng.gauss(0.0, sigma)), timestamp=float(i)) for i in range(n)]


def test_with_history_the_run_to_run_spread_decides() -> None:
    rng = random.Random(3)
    a, b = _pair(1.132)
    # a benchmark whose runs spread by ~5 %: +13 % between two runs is within that
    c = compare_runs(a, b, {"tokenize": _history(rng, 12)})["tokenize"]
    assert c.verdict == "inconclusive" and c.history_runs == 12 and c.p_value is not None
    assert c.note is not None and c.note.startswith("within the run-to-run spread")
    # a benchmark whose runs agree to ~0.5 % (floor 1 %): +13 % is a regression
    c = compare_runs(a, b, {"tokenize": _history(rng, 12, sigma=0.005)})["tokenize"]
    assert c.verdict == "regression" and c.p_value is not None and c.p_value < 0.01
    # and +1 % is unchanged
    a, b = _pair(1.01)
    assert compare_runs(a, b, {"tokenize": _history(rng, 12, sigma=0.005)})["tokenize"].verdict == "unchanged"


def test_noisy_history_does_not_count_and_four_runs_are_not_enough() -> None:
    rng = random.Random(4)
    a, b = _pair(1.2)
    past = _history(rng, 4, sigma=0.005) + [PastRun(1e-3, timestamp=9.0, noisy=True)] * 5
    c = compare_runs(a, b, {"tokenize": past})["tokenize"]
    assert c.verdict == "inconclusive" and c.history_runs == 4


def test_instruction_counts_need_no_history() -> None:
    def run(count: float) -> RunRecord:
        return RunRecord.new("s", [BenchmarkRecord("b", (count,), unit="instructions")])

    assert compare_runs(run(1e6), run(1.01e6))["b"].verdict == "regression"
    assert compare_runs(run(1e6), run(1.002e6))["b"].verdict == "unchanged"
    assert compare_runs(run(1e6), run(0.99e6))["b"].verdict == "improvement"
    mixed = RunRecord.new("s", [BenchmarkRecord("b", (1e-3, 1e-3))])
    c = compare_runs(mixed, run(1e6))["b"]
    assert c.verdict == "error" and c.note == "measured in seconds in the baseline run and in instructions in the current run"


def _store(tmp_path: Path, history: int, sigma: float) -> tuple[Path, RunRecord, RunRecord]:
    rng = random.Random(5)
    path = tmp_path / "s.sqlite3"
    with SQLiteStore(path) as store:
        for i in range(history):
            level = 1e-3 * math.exp(rng.gauss(0.0, sigma))
            store.append(RunRecord.new("s", [BenchmarkRecord("tokenize", _samples(level, rng=rng))],
                                       timestamp=float(i), environment={"hostname": "h"}))  # fmt: skip
        a, b = _pair(1.132)
        store.append(a)
        store.append(b)
    return path, a, b


def test_cli_compare_without_history_prints_inconclusive_and_exits_0(tmp_path: Path, capsys: Any) -> None:
    path, a, b = _store(tmp_path, 0, 0.0)
    args = ["bench", "compare", a.run_id[:10], b.run_id[:10], "--store", str(path)]
    assert main([*args, "--fail-on-regression"]) == 0
    out = capsys.readouterr().out
    assert "+13." in out and "inconclusive (within-run p=" in out and "regression" not in out
    assert "unchanged" not in out
    assert main([*args, "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)["benchmarks"]
    assert row["verdict"] == "inconclusive" and row["p_value"] is None and row["history_runs"] == 0


def test_cli_compare_judges_with_the_recorded_spread(tmp_path: Path, capsys: Any) -> None:
    path, a, b = _store(tmp_path, 10, 0.004)
    args = ["bench", "compare", a.run_id[:10], b.run_id[:10], "--store", str(path)]
    assert main([*args, "--fail-on-regression"]) == 1
    out = capsys.readouterr().out
    assert "regression (p=" in out and "against the run-to-run spread of 10 runs" in out
