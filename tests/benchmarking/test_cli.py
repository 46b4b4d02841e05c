"""``codomyrmex-perf bench``: run, history, export/import, and their exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from codomyrmex.performance.benchmarking import MIN_HISTORY_RUNS
from codomyrmex.performance.cli import main

ROOT = Path(__file__).resolve().parents[2]
FAST = ["--rounds", "8", "--min-time", "0.002", "--warmup", "0"]

SUITE = """
import os
from codomyrmex.performance.benchmarking import BenchmarkSuite

N = int(os.environ.get("BENCH_SIZE", "300"))
suite = BenchmarkSuite("cli_suite")

@suite.benchmark
def work():
    total = 0
    for i in range(N):
        total += i * i
"""


@pytest.fixture
def suite_file(tmp_path: Path) -> Path:
    path = tmp_path / "suite.py"
    path.write_text(SUITE)
    return path


def test_run_prints_a_table_and_a_progress_bar_and_records(suite_file: Path, tmp_path: Path,
                                                           capsys: Any) -> None:  # fmt: skip
    store = tmp_path / "s.sqlite3"
    # stderr is not a terminal here: progress lines only when asked (--progress)
    assert main(["bench", "run", str(suite_file), "--store", str(store), *FAST, "--progress"]) == 0
    out, err = capsys.readouterr()
    assert "suite cli_suite" in out and "work" in out and "new" in out
    assert f"recorded in {store}" in out
    assert "[########################] 1/1 cli_suite done" in err


def test_fail_on_regression_exits_1_only_when_asked(suite_file: Path, tmp_path: Path, capsys: Any,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    for flag, expected in (([], 0), (["--fail-on-regression"], 1)):
        store = ["--store", str(tmp_path / f"s{expected}.sqlite3")]
        monkeypatch.setenv("BENCH_SIZE", "300")
        for _ in range(2 * MIN_HISTORY_RUNS):  # the history (twice the minimum: robust to a busy neighbour)
            assert main(["bench", "run", str(suite_file), *store, *FAST]) == 0
        # a hundred times the work: an oversubscribed CPU moves whole runs 2-3x, and the gate
        # (rightly) calls a 10x slowdown within such a history's drift
        monkeypatch.setenv("BENCH_SIZE", "30000")
        assert main(["bench", "run", str(suite_file), *store, *FAST, *flag]) == expected
        assert "1 regression," in capsys.readouterr().out


def test_json_output_is_machine_readable(suite_file: Path, tmp_path: Path, capsys: Any) -> None:
    assert main(["bench", "run", str(suite_file), "--no-store", "--json", *FAST]) == 0
    (run,) = json.loads(capsys.readouterr().out)
    assert run["suite"] == "cli_suite"
    assert run["benchmarks"][0]["name"] == "work" and len(run["benchmarks"][0]["times"]) == 8


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        ("from codomyrmex.performance.benchmarking import BenchmarkSuite\ns = BenchmarkSuite('e')\n",
         "suite(s) ['e'] in"),
        ("x = 1\n", "defines no BenchmarkSuite"),
    ],
)
def test_bad_suite_files_exit_2_with_the_reason(tmp_path: Path, capsys: Any, content: str | None,
                                                message: str) -> None:  # fmt: skip
    path = tmp_path / "bad.py"
    if content is not None:
        path.write_text(content)
    assert main(["bench", "run", str(path), "--no-store"]) == 2
    assert message in capsys.readouterr().err


def test_a_failing_benchmark_exits_2(tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "fail.py"
    path.write_text("from codomyrmex.performance.benchmarking import BenchmarkSuite\n"
                    "s = BenchmarkSuite('f')\ns.add('boom', lambda: 1 / 0)\n")  # fmt: skip
    # 2: a benchmark that raised is an error, not a regression (1)
    assert main(["bench", "run", str(path), "--no-store", *FAST]) == 2
    assert "FAILED: ZeroDivisionError" in capsys.readouterr().out


def test_an_unusable_store_exits_2(suite_file: Path, tmp_path: Path, capsys: Any) -> None:
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"x" * 4096)
    assert main(["bench", "run", str(suite_file), "--store", str(garbage), *FAST]) == 2
    assert "not a readable codomyrmex series store" in capsys.readouterr().err
    assert garbage.read_bytes() == b"x" * 4096


def test_history_prints_the_series(suite_file: Path, tmp_path: Path, capsys: Any) -> None:
    store = ["--store", str(tmp_path / "s.sqlite3")]
    for _ in range(2):
        main(["bench", "run", str(suite_file), *store, *FAST])
    capsys.readouterr()
    assert main(["bench", "history", "cli_suite", "work", *store]) == 0
    out = capsys.readouterr().out
    assert "cli_suite/work: 2 runs" in out
    assert main(["bench", "history", "cli_suite", *store, "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["work"]) == 2
    assert main(["bench", "history", "nope", *store]) == 2
    assert "no runs of suite 'nope'" in capsys.readouterr().err


def test_export_then_import_into_another_store(suite_file: Path, tmp_path: Path, capsys: Any) -> None:
    src, dst = tmp_path / "a.sqlite3", tmp_path / "b.sqlite3"
    main(["bench", "run", str(suite_file), "--store", str(src), *FAST])
    exported = tmp_path / "runs.json"
    assert main(["bench", "export", "--store", str(src), "-o", str(exported)]) == 0
    assert json.loads(exported.read_text())["version"] == 1
    assert main(["bench", "import", str(exported), "--store", str(dst)]) == 0
    assert main(["bench", "import", str(exported), "--store", str(dst)]) == 0
    out = capsys.readouterr().out
    assert "imported 1 run(s), skipped 0" in out and "imported 0 run(s), skipped 1" in out
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    assert main(["bench", "import", str(bad), "--store", str(dst)]) == 2


def test_the_example_suite_runs_on_the_default_store(tmp_path: Path, capsys: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("CODOMYRMEX_PERF_STORE", str(tmp_path / "default.sqlite3"))
    assert main(["bench", "run", str(ROOT / "examples" / "agent_suite.py"), *FAST]) == 0
    out = capsys.readouterr().out
    assert "suite agent_performance" in out and "tokenize_prompt" in out
    assert (tmp_path / "default.sqlite3").is_file()


def test_run_pushes_to_the_pushgateway_given(suite_file: Path, pushgateway: Any, capsys: Any) -> None:
    import urllib.request

    assert main(["bench", "run", str(suite_file), "--no-store", "--pushgateway", pushgateway.url, *FAST]) == 0
    with urllib.request.urlopen(f"{pushgateway.url}/metrics", timeout=5) as resp:
        body = resp.read().decode()
    assert 'codomyrmex_benchmark_duration_seconds{benchmark="work"' in body
    assert 'suite="cli_suite"' in body


def test_run_without_store_uses_the_store_the_suite_file_declares(tmp_path: Path, capsys: Any,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    own, default = tmp_path / "own.sqlite3", tmp_path / "default.sqlite3"
    monkeypatch.setenv("CODOMYRMEX_PERF_STORE", str(default))
    path = tmp_path / "suite_store.py"
    path.write_text("from codomyrmex.performance.benchmarking import BenchmarkSuite\n"
                    f"suite = BenchmarkSuite('declared', store={str(own)!r})\n"
                    "suite.add('work', lambda: sum(range(100)))\n")  # fmt: skip
    assert main(["bench", "run", str(path), *FAST]) == 0
    assert f"recorded in {own}" in capsys.readouterr().out
    from codomyrmex.performance.series import SQLiteStore

    with SQLiteStore(own) as store:
        assert store.count_runs("declared") == 1
    assert not default.exists()
    # --store still wins over the suite's own store
    assert main(["bench", "run", str(path), "--store", str(default), *FAST]) == 0
    with SQLiteStore(default) as store:
        assert store.count_runs("declared") == 1


def test_json_output_of_a_failed_benchmark_is_strict_json(tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "fails.py"
    path.write_text("from codomyrmex.performance.benchmarking import BenchmarkSuite\n"
                    "s = BenchmarkSuite('f')\ns.add('boom', lambda: 1 / 0)\n")  # fmt: skip
    assert main(["bench", "run", str(path), "--no-store", "--json", *FAST]) == 2
    text = capsys.readouterr().out
    assert "NaN" not in text and "Infinity" not in text

    def refuse(token: str) -> None:
        raise AssertionError(f"non-standard JSON constant {token}")

    (run,) = json.loads(text, parse_constant=refuse)
    (bench,) = run["benchmarks"]
    assert bench["failed"] is True and bench["median"] is None


def test_import_is_all_or_nothing(suite_file: Path, tmp_path: Path, capsys: Any) -> None:
    from codomyrmex.performance.series import BenchmarkRecord, RunRecord, SQLiteStore, dumps_runs

    dst = tmp_path / "dst.sqlite3"
    first = RunRecord.new("s", [BenchmarkRecord("b", (0.001,))], timestamp=1.0)
    second = RunRecord.new("s", [BenchmarkRecord("b", (0.002,))], timestamp=2.0)
    # a run id repeated inside the file: appended once, the repeat skipped
    doc = tmp_path / "runs.json"
    doc.write_text(dumps_runs([first, second, first]))
    assert main(["bench", "import", str(doc), "--store", str(dst)]) == 0
    assert "imported 2 run(s), skipped 1" in capsys.readouterr().out
    # a file whose third run cannot be stored appends none of them
    clash = RunRecord.new("s", [BenchmarkRecord("b", (0.003,)), BenchmarkRecord("b", (0.004,))], timestamp=3.0)
    other = RunRecord.new("s", [BenchmarkRecord("b", (0.005,))], timestamp=4.0)
    doc.write_text(dumps_runs([other, clash]))
    assert main(["bench", "import", str(doc), "--store", str(dst)]) == 2
    assert "UNIQUE constraint failed" in capsys.readouterr().err
    with SQLiteStore(dst) as store:
        assert [r.run_id for r in store.runs()] == [first.run_id, second.run_id]


def test_compare_two_recorded_runs_and_two_exported_files(tmp_path: Path, capsys: Any) -> None:
    from codomyrmex.performance.series import BenchmarkRecord, RunRecord, SQLiteStore, dumps_runs

    store = tmp_path / "s.sqlite3"
    base = RunRecord.new("s", [BenchmarkRecord("parse", tuple(1e-3 * (1 + i / 1000) for i in range(12))),
                               BenchmarkRecord("old_only", (1.0, 1.0))], timestamp=1.0)  # fmt: skip
    cur = RunRecord.new("s", [BenchmarkRecord("parse", tuple(1.3e-3 * (1 + i / 1000) for i in range(12)))],
                        timestamp=2.0)  # fmt: skip
    with SQLiteStore(store) as s:
        s.append(base)
        s.append(cur)
    args = ["bench", "compare", base.run_id[:10], cur.run_id[:10], "--store", str(store)]
    assert main(args) == 0
    out = capsys.readouterr().out
    # two runs without recorded history cannot tell the code from the process (issue 11):
    # inconclusive with the within-run evidence, never "regression" (tests/regression/test_compare_runs.py)
    assert "parse" in out and "+30.0%" in out and "inconclusive (within-run p=" in out
    assert "not in both runs: old_only" in out
    assert main([*args, "--fail-on-regression"]) == 0
    capsys.readouterr()
    files = []
    for run in (base, cur):
        files.append(tmp_path / f"{run.run_id}.json")
        files[-1].write_text(dumps_runs([run]))
    assert main(["bench", "compare", str(files[0]), str(files[1]), "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)["benchmarks"]
    assert row["benchmark"] == "parse" and row["verdict"] == "inconclusive"
    assert row["change"] == pytest.approx(0.3)
    assert main(["bench", "compare", "nosuchrun", cur.run_id, "--store", str(store)]) == 2
    assert "no run in" in capsys.readouterr().err


def test_history_host_selects_one_machine_of_a_sqlite_store(tmp_path: Path, capsys: Any) -> None:
    from codomyrmex.performance.series import BenchmarkRecord, RunRecord, SQLiteStore

    path = tmp_path / "s.sqlite3"
    with SQLiteStore(path) as store:
        for i, host in enumerate(["ci-1", "ci-2", "ci-1"]):
            store.append(RunRecord.new("hosts", [BenchmarkRecord("b", (0.001, 0.002))],
                                       environment={"hostname": host}, timestamp=1e9 + i))  # fmt: skip
    assert main(["bench", "history", "hosts", "b", "--store", str(path), "--host", "ci-1"]) == 0
    assert "hosts/b: 2 runs" in capsys.readouterr().out
    assert main(["bench", "history", "hosts", "b", "--store", str(path)]) == 0
    assert "hosts/b: 3 runs" in capsys.readouterr().out
    assert main(["bench", "history", "hosts", "b", "--store", str(path), "--limit", "-1"]) == 2
    assert "--limit must be" in capsys.readouterr().err


def test_compare_names_failed_and_single_sample_benchmarks_for_what_they_are(tmp_path: Path,
                                                                          capsys: Any) -> None:  # fmt: skip
    # a benchmark in both runs is not "not in both runs" because it failed in one of them or
    # has one sample (--rounds 1); a failure in the current run fails --fail-on-regression
    from codomyrmex.performance.series import BenchmarkRecord, RunRecord, SQLiteStore

    store = tmp_path / "s.sqlite3"
    base = RunRecord.new("s", [BenchmarkRecord("one", (1e-3,)), BenchmarkRecord("boom", (1e-3, 1e-3))],
                         timestamp=1.0)  # fmt: skip
    cur = RunRecord.new("s", [BenchmarkRecord("one", (2e-3,)),
                              BenchmarkRecord("boom", (), failed=True, error="ZeroDivisionError: x")],
                        timestamp=2.0)  # fmt: skip
    with SQLiteStore(store) as s:
        s.append(base)
        s.append(cur)
    args = ["bench", "compare", base.run_id, cur.run_id, "--store", str(store)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "not in both runs" not in out
    assert "+100.0%" in out and "inconclusive (0 recorded runs on this host;" in out
    assert "failed in the current run: ZeroDivisionError: x" in out
    assert main([*args, "--fail-on-regression"]) == 1
    capsys.readouterr()
    assert main([*args, "--json"]) == 0
    rows = {r["benchmark"]: r for r in json.loads(capsys.readouterr().out)["benchmarks"]}
    assert rows["one"]["verdict"] == "inconclusive" and rows["one"]["change"] == pytest.approx(1.0)
    assert rows["boom"]["verdict"] == "error"
