"""The CLI in a CI log (issue 13): each friction a new user met is a test here.

Tracebacks of failing benchmarks, exit codes 0/1/2, a closed pipe, read-only commands that never
create a store, progress only on a terminal, ``new (needs N more runs)``, plural and empty-case
wording, aligned tables with long names.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from codomyrmex.performance.benchmarking import MIN_HISTORY_RUNS
from codomyrmex.performance.cli import EXIT_CODES, main
from codomyrmex.performance.series import BenchmarkRecord, RunRecord, SQLiteStore

FAST = ["--rounds", "3", "--min-time", "0.001", "--warmup", "0"]

FAILING = """\
from codomyrmex.performance.benchmarking import BenchmarkSuite

suite = BenchmarkSuite("failing")
table = {}


def helper():
    return table["missing-key"]


@suite.benchmark
def lookup():
    helper()


@suite.benchmark
def fine():
    sum(range(10))
"""
HELPER_LINE = 8  # the line of `return table["missing-key"]` above

ONE = """\
from codomyrmex.performance.benchmarking import BenchmarkSuite

suite = BenchmarkSuite("one")


@suite.benchmark
def a_benchmark_with_a_name_much_longer_than_the_usual_twenty_four_columns():
    sum(range(10))
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _cli(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "codomyrmex.performance.cli", *args],
                          capture_output=True, text=True, timeout=240, **kwargs)  # fmt: skip


# -- a failing benchmark: file:line in the table and in --json, exit 2 ----------------------------
def test_a_failing_benchmark_shows_where_it_raised_and_exits_2(tmp_path: Path, capsys: Any) -> None:
    suite = _write(tmp_path, "failing.py", FAILING)
    assert main(["bench", "run", str(suite), "--no-store", *FAST]) == 2
    out, err = capsys.readouterr()
    row = next(line for line in out.splitlines() if line.startswith("lookup "))
    assert row.endswith(f"FAILED: KeyError: 'missing-key' at {suite}:{HELPER_LINE} in helper")
    assert "lookup failed:" in out
    assert f'    File "{suite}", line {HELPER_LINE}, in helper' in out
    assert '      return table["missing-key"]' in out
    assert "1 benchmark raised: failing/lookup (traceback above)" in err


def test_json_carries_the_failing_benchmarks_location_and_traceback(tmp_path: Path, capsys: Any) -> None:
    suite = _write(tmp_path, "failing.py", FAILING)
    assert main(["bench", "run", str(suite), "--no-store", "--json", *FAST]) == 2
    (run,) = json.loads(capsys.readouterr().out)
    by_name = {b["name"]: b for b in run["benchmarks"]}
    failed = by_name["lookup"]
    assert failed["error"] == "KeyError: 'missing-key'"
    assert failed["error_location"] == f"{suite}:{HELPER_LINE} in helper"
    assert failed["traceback"].startswith("Traceback (most recent call last):\n")
    assert f'File "{suite}", line {HELPER_LINE}, in helper' in failed["traceback"]
    assert failed["traceback"].endswith("KeyError: 'missing-key'\n")
    assert by_name["fine"]["error_location"] is None and by_name["fine"]["traceback"] is None


def test_a_failing_benchmark_in_a_worker_process_keeps_its_location(tmp_path: Path, capsys: Any) -> None:
    suite = _write(tmp_path, "failing.py", FAILING)
    assert main(["bench", "run", str(suite), "--no-store", "--isolate", "1", *FAST]) == 2
    assert f"at {suite}:{HELPER_LINE} in helper" in capsys.readouterr().out


def test_a_location_under_the_working_directory_is_relative(tmp_path: Path, capsys: Any,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    _write(tmp_path, "failing.py", FAILING)
    monkeypatch.chdir(tmp_path)
    assert main(["bench", "run", "failing.py", "--no-store", *FAST]) == 2
    assert f"FAILED: KeyError: 'missing-key' at failing.py:{HELPER_LINE} in helper" in capsys.readouterr().out


# -- exit codes, documented ---------------------------------------------------------------------
def test_exit_codes_are_in_the_help_and_the_readme(capsys: Any) -> None:
    for argv in (["--help"], ["bench", "--help"], ["bench", "run", "--help"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 0
        out = capsys.readouterr().out
        assert "exit codes:" in out, argv
        assert "2  usage error" in out, argv
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert "| exit code | meaning |" in readme
    assert "| 2 | usage error" in readme
    assert EXIT_CODES.startswith("exit codes:")


def test_usage_errors_exit_2(tmp_path: Path, capsys: Any) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["bench", "run"])  # FILE missing
    assert exc.value.code == 2
    assert main(["bench", "run", str(tmp_path / "nope.py"), "--no-store"]) == 2
    assert "nope.py" in capsys.readouterr().err


def test_a_clean_run_exits_0_and_a_regression_alone_does_not_fail_without_the_flag(
    tmp_path: Path, capsys: Any
) -> None:
    suite = _write(tmp_path, "one.py", ONE)
    assert main(["bench", "run", str(suite), "--no-store", *FAST]) == 0
    # the 1-on-regression path (with --fail-on-regression) is
    # tests/benchmarking/test_cli.py::test_fail_on_regression_exits_1_only_when_asked


# -- a closed pipe ------------------------------------------------------------------------------
def _store_with_runs(path: Path, runs: int, suite: str = "piped") -> None:
    with SQLiteStore(path) as store:
        store.append_many([
            RunRecord.new(suite, [BenchmarkRecord(f"bench_{j}", (0.001 + i * 1e-6,) * 3) for j in range(40)])
            for i in range(runs)
        ])  # fmt: skip


def test_history_into_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    store = tmp_path / "s.sqlite3"
    _store_with_runs(store, 30)  # ~100 KB of history: more than a pipe buffer holds
    proc = subprocess.Popen(
        [sys.executable, "-m", "codomyrmex.performance.cli", "bench", "history", "piped", "--store", str(store)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()  # like `| head -1`: read a line, then go away
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0
    assert first.startswith(b"piped/bench_0: 30 runs")
    assert err == ""  # no BrokenPipeError traceback, no "Exception ignored"


def test_bench_run_into_a_closed_pipe_still_records_and_keeps_its_exit_code(tmp_path: Path) -> None:
    suite = _write(tmp_path, "failing.py", FAILING)
    store = tmp_path / "s.sqlite3"
    proc = subprocess.Popen(
        [sys.executable, "-m", "codomyrmex.performance.cli", "bench", "run", str(suite), "--store", str(store), *FAST],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before anything is printed
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=240) == 2  # the failing benchmark, as with an open stdout
    assert "Traceback" not in err.split("error:")[0] and "BrokenPipeError" not in err
    with SQLiteStore(store) as opened:
        assert opened.count_runs("failing") == 1


def test_help_into_a_closed_pipe_ends_quietly() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "codomyrmex.performance.cli", "bench", "run", "--help"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    assert proc.stderr.read() == b""
    assert proc.wait(timeout=120) == 0


# -- read-only commands never create a store ---------------------------------------------------
@pytest.mark.parametrize("argv", [
    ["bench", "history", "some_suite"],
    ["bench", "export"],
    ["bench", "compare", "abc", "def"],
    ["report", "--html", "{out}"],
])  # fmt: skip
def test_read_only_commands_never_create_a_store(tmp_path: Path, capsys: Any, argv: list[str]) -> None:
    typo = tmp_path / "typo.sqlite3"
    args = [a.replace("{out}", str(tmp_path / "r.html")) for a in argv]
    assert main([*args, "--store", str(typo)]) == 2
    err = capsys.readouterr().err
    assert f"store '{typo}' does not exist" in err
    assert not typo.exists()
    assert list(tmp_path.iterdir()) == []


def test_read_only_commands_name_a_missing_default_store(tmp_path: Path, capsys: Any,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    default = tmp_path / "nowhere" / "series.sqlite3"
    monkeypatch.setenv("CODOMYRMEX_PERF_STORE", str(default))
    assert main(["bench", "history", "x"]) == 2
    err = capsys.readouterr().err
    assert f"store '{default}' does not exist (the default store; give --store PATH or set " \
           "CODOMYRMEX_PERF_STORE); nothing was created" in err
    assert not default.parent.exists()


# -- progress only on a terminal ---------------------------------------------------------------
class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_no_progress_lines_when_stderr_is_not_a_terminal(tmp_path: Path, capsys: Any) -> None:
    suite = _write(tmp_path, "one.py", ONE)
    assert main(["bench", "run", str(suite), "--no-store", *FAST]) == 0
    assert capsys.readouterr().err == ""
    assert main(["bench", "run", str(suite), "--no-store", "--progress", *FAST]) == 0
    assert capsys.readouterr().err.splitlines() == [
        "[........................] 0/1 one a_benchmark_with_a_name_much_longer_than_the_usual_twenty_four_columns",
        "[########################] 1/1 one done",
    ]


def test_progress_bar_on_a_terminal_unless_no_progress(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: Any) -> None:  # fmt: skip
    suite = _write(tmp_path, "one.py", ONE)
    tty = _Terminal()
    monkeypatch.setattr(sys, "stderr", tty)
    assert main(["bench", "run", str(suite), "--no-store", *FAST]) == 0
    assert tty.getvalue().startswith("\r[........................] 0/1 one ")
    assert tty.getvalue().endswith("\r" + "[########################] 1/1 one done".ljust(79) + "\n")
    tty.seek(0)
    tty.truncate()
    assert main(["bench", "run", str(suite), "--no-store", "--no-progress", *FAST]) == 0
    assert tty.getvalue() == ""


# -- wording: new (needs N more runs), plurals, empty cases --------------------------------------
def test_new_says_how_many_more_runs_a_verdict_needs(
    tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The wording is under test, not noise detection: on a busy machine a run can be marked
    # noisy, which (rightly) does not count towards the history, and the count would not move.
    from codomyrmex.performance.benchmarking import _runner

    monkeypatch.setattr(_runner, "disturbed", lambda _m: False)
    suite = _write(tmp_path, "one.py", ONE)
    store = str(tmp_path / "s.sqlite3")
    seen = []
    for _ in range(MIN_HISTORY_RUNS):
        assert main(["bench", "run", str(suite), "--store", store, *FAST]) == 0
        out = capsys.readouterr().out
        seen.append(out.split("new (needs ", 1)[1].split(")", 1)[0])
    assert seen == ["5 more runs", "4 more runs", "3 more runs", "2 more runs", "1 more run"]
    assert MIN_HISTORY_RUNS == 5


def test_plural_and_empty_case_wording(tmp_path: Path, capsys: Any) -> None:
    suite = _write(tmp_path, "one.py", ONE)
    store = tmp_path / "s.sqlite3"
    assert main(["bench", "run", str(suite), "--store", str(store), *FAST]) == 0
    assert "1 benchmark, 0 regressions, 0 improvements, 0 failed" in capsys.readouterr().out
    assert main(["bench", "history", "one", "--store", str(store)]) == 0
    out = capsys.readouterr().out
    assert "one/a_benchmark_with_a_name_much_longer_than_the_usual_twenty_four_columns: 1 run, no change point" in out
    assert "none" not in out and "1 runs" not in out
    assert main(["report", "--html", str(tmp_path / "r.html"), "--store", str(store)]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {tmp_path / 'r.html'}: 1 benchmark, 0 regressed in their last run"


def test_history_of_a_benchmark_that_only_failed_says_so(tmp_path: Path, capsys: Any) -> None:
    store = tmp_path / "s.sqlite3"
    with SQLiteStore(store) as opened:
        opened.append(RunRecord.new("s", [BenchmarkRecord("ok", (0.001, 0.002)),
                                          BenchmarkRecord("broken", (), failed=True, error="KeyError: 'k'")]))  # fmt: skip
    assert main(["bench", "history", "s", "--store", str(store)]) == 0
    out = capsys.readouterr().out
    assert "s/broken: no successful run\n" in out
    assert "s/ok: 1 run, no change point\n" in out


def test_change_points_are_listed_in_words(tmp_path: Path, capsys: Any) -> None:
    store = tmp_path / "s.sqlite3"
    with SQLiteStore(store) as opened:
        opened.append_many([RunRecord.new("s", [BenchmarkRecord("b", (v, v * 1.001, v * 0.999))])
                            for v in [0.001] * 12 + [0.003] * 12])  # fmt: skip
    assert main(["bench", "history", "s", "b", "--store", str(store)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "s/b: 24 runs, change point at 12"


# -- aligned tables with long names ------------------------------------------------------------
def test_run_table_columns_stay_aligned_with_long_names(tmp_path: Path, capsys: Any) -> None:
    suite = _write(tmp_path, "one.py", ONE)
    assert main(["bench", "run", str(suite), "--no-store", *FAST]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = next(line for line in lines if line.startswith("benchmark "))
    row = next(line for line in lines if line.startswith("a_benchmark_with"))
    name = "a_benchmark_with_a_name_much_longer_than_the_usual_twenty_four_columns"
    # the name column is as wide as the longest name: the next column starts 2 spaces after it
    assert header.index("median") == len(name) + 2
    assert row[len(name):len(name) + 2] == "  " and row[len(name) + 2] != " "


def test_compare_table_columns_stay_aligned_with_long_names(tmp_path: Path, capsys: Any) -> None:
    store = tmp_path / "s.sqlite3"
    long_name = "a_benchmark_with_a_name_much_longer_than_the_usual_twenty_four_columns"
    runs = [RunRecord.new("s", [BenchmarkRecord(long_name, tuple(0.001 * (1 + i / 100) for i in range(10))),
                                BenchmarkRecord("short", tuple(0.002 * (1 + i / 100) for i in range(10)))])
            for _ in range(2)]  # fmt: skip
    with SQLiteStore(store) as opened:
        opened.append_many(runs)
    assert main(["bench", "compare", runs[0].run_id, runs[1].run_id, "--store", str(store)]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("  ")]
    header, rows = lines[0], lines[1:3]
    col = header.index("baseline") + len("baseline")  # right-aligned column: ends line up
    for row in rows:
        assert row[col - 1] != " " and row[col] == " ", (header, row)

