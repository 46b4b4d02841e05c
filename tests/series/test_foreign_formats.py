"""pyperf and pytest-benchmark files: produced by the real tools, imported, exported, read back
by the real tools (``python -m pyperf compare_to/show``, ``pytest-benchmark compare``,
``pytest --benchmark-compare``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from codomyrmex.performance.benchmarking import BenchmarkSuite, run_benchmark
from codomyrmex.performance.cli import main
from codomyrmex.performance.errors import SeriesStoreError
from codomyrmex.performance.series import (
    FILE_FORMATS,
    BenchmarkRecord,
    RunRecord,
    SQLiteStore,
    detect_format,
    dumps_format,
    loads_format,
)

pytest.importorskip("pyperf")
pytest.importorskip("pytest_benchmark")

PYPERF_FAST = ["-q", "--processes", "2", "--values", "2", "--warmups", "1", "--loops", "20"]
BIN = Path(sys.executable).parent


def _run(*cmd: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=240)
    assert proc.returncode == 0, f"{cmd} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return proc


def _runs(store: Path) -> list[RunRecord]:
    with SQLiteStore(store) as s:
        return s.runs()


@pytest.fixture(scope="module")
def pyperf_timeit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pyperf") / "timeit.json"
    _run(sys.executable, "-m", "pyperf", "timeit", *PYPERF_FAST, "-o", str(out), "sum(range(50))")
    return out


@pytest.fixture(scope="module")
def pyperf_suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("pyperf-suite")
    script = where / "bm.py"
    script.write_text(
        "import pyperf\n"
        "runner = pyperf.Runner()\n"
        "runner.timeit('sum_small', 'sum(range(10))')\n"
        "runner.bench_func('sorted_list', sorted, list(range(200, 0, -1)))\n"
    )
    out = where / "suite.json"
    _run(sys.executable, str(script), *PYPERF_FAST, "-o", str(out))
    return out


PYTEST_BENCHMARK_TESTS = """
import pytest

def test_plain(benchmark):
    benchmark(sum, range(100))

@pytest.mark.parametrize("n", [10, 20])
def test_param(benchmark, n):
    benchmark.extra_info["n"] = n
    benchmark.pedantic(sorted, args=(list(range(n, 0, -1)),), rounds=6, iterations=4)

class TestGroup:
    @pytest.mark.benchmark(group="g")
    def test_method(self, benchmark):
        benchmark(len, "abc")
"""


@pytest.fixture(scope="module")
def pytest_benchmark_json(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("pb")
    (where / "test_pb.py").write_text(PYTEST_BENCHMARK_TESTS)
    out = where / "pb.json"
    _run(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:codomyrmex_perf",
         f"--benchmark-json={out}", "--benchmark-min-rounds=3", "--benchmark-max-time=0.005", cwd=where)  # fmt: skip
    return out


# -- pyperf --------------------------------------------------------------------------------------


def test_pyperf_timeit_file_imports_with_raw_values_and_exports_back_identical(
    pyperf_timeit: Path, tmp_path: Path, capsys: Any
) -> None:
    store = tmp_path / "s.sqlite3"
    assert main(["bench", "import", str(pyperf_timeit), "--store", str(store)]) == 0
    assert capsys.readouterr().out.strip() == "imported 1 run(s), skipped 0 already recorded"
    original = json.loads(pyperf_timeit.read_text())
    (run,) = _runs(store)
    assert run.suite == "timeit"  # the file's name
    (bench,) = run.benchmarks
    values = [v for r in original["benchmarks"][0]["runs"] for v in r.get("values", ())]
    assert bench.name == "timeit" and list(bench.samples) == values and len(values) == 4
    assert bench.loops == 20
    assert run.environment["hostname"] == original["metadata"]["hostname"]
    assert run.environment["pyperf_metadata"]["timeit_stmt"] == "'sum(range(50))'"

    out = tmp_path / "ours.json"
    assert main(["bench", "export", "--store", str(store), "--format", "pyperf", "-o", str(out)]) == 0
    assert json.loads(out.read_text()) == original  # runs, warmups and metadata kept
    shown = _run(sys.executable, "-m", "pyperf", "compare_to", str(pyperf_timeit), str(out))
    assert "not significant" in shown.stdout
    # importing the same file again records nothing twice
    assert main(["bench", "import", str(pyperf_timeit), "--store", str(store)]) == 0
    assert "imported 0 run(s), skipped 1 already recorded" in capsys.readouterr().out


def test_pyperf_runner_suite_with_several_benchmarks_round_trips(pyperf_suite: Path, tmp_path: Path) -> None:
    store = tmp_path / "s.sqlite3"
    assert main(["bench", "import", str(pyperf_suite), "--store", str(store), "--suite", "mine"]) == 0
    (run,) = _runs(store)
    assert run.suite == "mine"
    assert [b.name for b in run.benchmarks] == ["sum_small", "sorted_list"]
    assert all(len(b.samples) == 4 for b in run.benchmarks)
    meta = run.environment["benchmark_metadata"]
    assert meta["sum_small"]["metadata"]["timeit_stmt"] == "'sum(range(10))'"
    out = tmp_path / "ours.json"
    assert main(["bench", "export", "--store", str(store), "--format", "pyperf", "--suite", "mine",
                 "-o", str(out)]) == 0  # fmt: skip
    assert json.loads(out.read_text()) == json.loads(pyperf_suite.read_text())
    table = _run(sys.executable, "-m", "pyperf", "compare_to", "--table", str(pyperf_suite), str(out))
    assert "Geometric mean" in table.stdout or "not significant" in table.stdout


def test_runs_recorded_here_export_to_files_pyperf_compares(tmp_path: Path, unique_name: str) -> None:
    store = tmp_path / "s.sqlite3"
    suite = BenchmarkSuite(unique_name)
    suite.add("join", lambda: ",".join(["a"] * 50))
    suite.add("upper", lambda: "abcd" * 20 + "x")
    first = run_benchmark(suite, rounds=6, min_time=0.0005, canary=False, store=store)
    second = run_benchmark(suite, rounds=6, min_time=0.0005, canary=False, store=store)
    files = []
    for run in (first, second):
        out = tmp_path / f"{run.run_id}.json"
        assert main(["bench", "export", "--store", str(store), "--format", "pyperf", "--run", run.run_id[:10],
                     "-o", str(out)]) == 0  # fmt: skip
        doc = json.loads(out.read_text())
        by_name = {b["metadata"]["name"]: b for b in doc["benchmarks"]}
        assert by_name["join"]["runs"][0]["values"] == run["join"].times
        assert by_name["join"]["metadata"]["unit"] == "second"
        files.append(out)
    shown = _run(sys.executable, "-m", "pyperf", "show", str(files[0]))
    assert "join" in shown.stdout and "upper" in shown.stdout
    compared = _run(sys.executable, "-m", "pyperf", "compare_to", str(files[0]), str(files[1]))
    assert "join" in compared.stdout or "not significant (2)" in compared.stdout


# -- pytest-benchmark ----------------------------------------------------------------------------


def test_pytest_benchmark_json_imports_per_module_and_exports_back_identical(
    pytest_benchmark_json: Path, tmp_path: Path
) -> None:
    store = tmp_path / "s.sqlite3"
    assert main(["bench", "import", str(pytest_benchmark_json), "--store", str(store)]) == 0
    original = json.loads(pytest_benchmark_json.read_text())
    (run,) = _runs(store)
    assert run.suite == "test_pb.py"  # as the pytest plugin names a module's run
    names = [b.name for b in run.benchmarks]
    assert sorted(names) == ["TestGroup::test_method", "test_param[10]", "test_param[20]", "test_plain"]
    for bench in original["benchmarks"]:
        rec = run.benchmark(bench["fullname"].split("::", 1)[1])
        assert list(rec.samples) == bench["stats"]["data"]
        assert rec.loops == bench["stats"]["iterations"]
    assert run.benchmark("test_param[20]").loops == 4
    assert run.environment["benchmark_metadata"]["test_param[10]"]["extra_info"] == {"n": 10}
    assert run.environment["hostname"] == original["machine_info"]["node"]

    out = tmp_path / "ours.json"
    assert main(["bench", "export", "--store", str(store), "--format", "pytest-benchmark", "-o", str(out)]) == 0
    assert json.loads(out.read_text()) == original  # same statistics, data, metadata
    shown = _run(str(BIN / "pytest-benchmark"), "compare", str(out))
    for name in ("test_plain", "test_param[10]", "test_method"):
        assert name in shown.stdout


def test_plugin_runs_export_to_a_file_pytest_benchmark_compare_reads(pytester: pytest.Pytester,
                                                                     tmp_path: Path) -> None:  # fmt: skip
    """Recorded by our pytest plugin, exported, then used as pytest-benchmark's baseline with
    --benchmark-compare (its own storage layout) and by `pytest-benchmark compare`."""
    pytester.makepyfile(test_pb=PYTEST_BENCHMARK_TESTS)
    store = tmp_path / "s.sqlite3"
    ours = pytester.runpytest("-p", "no:benchmark", f"--perf-store={store}", "--perf-rounds=5",
                              "--perf-min-time=0.0005")  # fmt: skip
    ours.assert_outcomes(passed=4)
    # pytest-benchmark's storage: learn its machine directory from a save of its own
    storage = pytester.path / "bstore"  # inside the cwd: pytest-benchmark names it relative to it
    theirs = pytester.runpytest_subprocess("-p", "no:codomyrmex_perf", f"--benchmark-storage=file://{storage}",
                                           "--benchmark-save=theirs", "--benchmark-max-time=0.005")  # fmt: skip
    theirs.assert_outcomes(passed=4)
    (saved,) = storage.glob("*/0001_theirs.json")
    exported = saved.parent / "0002_ours.json"
    assert main(["bench", "export", "--store", str(store), "--format", "pytest-benchmark",
                 "-o", str(exported)]) == 0  # fmt: skip
    doc = json.loads(exported.read_text())
    assert sorted(b["fullname"] for b in doc["benchmarks"]) == sorted(
        b["fullname"] for b in json.loads(saved.read_text())["benchmarks"])  # fmt: skip
    compared = pytester.runpytest_subprocess("-p", "no:codomyrmex_perf", f"--benchmark-storage=file://{storage}",
                                             "--benchmark-compare=0002", "--benchmark-max-time=0.005")  # fmt: skip
    compared.assert_outcomes(passed=4)
    # its table has a row per benchmark of our file, grouped as our plugin recorded them
    compared.stdout.fnmatch_lines(["test_param?10? (0002_ours) *", "test_plain (0002_ours) *",
                                   "*benchmark 'g': 2 tests*", "test_method (0002_ours) *"])  # fmt: skip
    table = _run(str(BIN / "pytest-benchmark"), "compare", str(exported), str(saved))
    assert "0002_ours" in table.stdout and "0001_theirs" in table.stdout


# -- detection and refusals ----------------------------------------------------------------------


def test_detect_format(pyperf_timeit: Path, pytest_benchmark_json: Path) -> None:
    assert FILE_FORMATS == ("codomyrmex", "pyperf", "pytest-benchmark")
    assert detect_format(pyperf_timeit.read_text()) == "pyperf"
    assert detect_format(pytest_benchmark_json.read_text()) == "pytest-benchmark"
    assert detect_format(dumps_format([], "codomyrmex")) == "codomyrmex"
    with pytest.raises(SeriesStoreError, match="not a known benchmark file"):
        detect_format('{"hello": 1}')


def test_pytest_benchmark_file_without_raw_times_is_refused(pytest_benchmark_json: Path) -> None:
    doc = json.loads(pytest_benchmark_json.read_text())
    del doc["benchmarks"][0]["stats"]["data"]
    with pytest.raises(SeriesStoreError, match=r"has no raw times \('stats.data'\); write the file with --benchmark-json"):
        loads_format(json.dumps(doc))


def test_pyperf_file_with_another_unit_is_refused(pyperf_timeit: Path) -> None:
    doc = json.loads(pyperf_timeit.read_text())
    doc["metadata"]["unit"] = "byte"
    with pytest.raises(SeriesStoreError, match="has unit 'byte'; only time benchmarks"):
        loads_format(json.dumps(doc), suite="x")
    with pytest.raises(SeriesStoreError, match="a pyperf file names no suite"):
        loads_format(pyperf_timeit.read_text())


def test_export_refusals_exit_2_with_the_reason(tmp_path: Path, capsys: Any) -> None:
    store = tmp_path / "s.sqlite3"
    with SQLiteStore(store) as s:
        for suite in ("a", "b"):
            s.append(RunRecord.new(suite, [BenchmarkRecord("x", (1e-6, 2e-6))]))
    assert main(["bench", "export", "--store", str(store), "--format", "pyperf"]) == 2
    assert "a pyperf file holds one run; the store has 2 suites (a, b): give --suite or --run" in capsys.readouterr().err
    assert main(["bench", "export", "--store", str(store), "--run", "zzz"]) == 2
    assert "no run with an id starting with 'zzz'" in capsys.readouterr().err
    assert main(["bench", "export", "--store", str(store), "--format", "pytest-benchmark", "--suite", "c"]) == 2
    assert "no recorded runs to export of suite 'c'" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text('{"benchmarks": 3}')
    assert main(["bench", "import", str(bad), "--store", str(store)]) == 2
    assert "not a known benchmark file" in capsys.readouterr().err


def test_instruction_runs_export_to_pyperf_as_integers() -> None:
    run = RunRecord.new("s", [BenchmarkRecord("x", (1200.0, 1200.0), unit="instructions")])
    doc = json.loads(dumps_format([run], "pyperf"))
    assert doc["metadata"]["unit"] == "integer"
    with pytest.raises(SeriesStoreError, match="pytest-benchmark files hold times only"):
        dumps_format([run], "pytest-benchmark")


def test_bench_compare_takes_pyperf_files_as_pyperf_compare_to_does(pyperf_timeit: Path, tmp_path: Path,
                                                                   capsys: Any) -> None:  # fmt: skip
    slower = tmp_path / "slower.json"
    _run(sys.executable, "-m", "pyperf", "timeit", *PYPERF_FAST, "-o", str(slower), "sum(range(5000))")
    assert main(["bench", "compare", str(pyperf_timeit), str(slower)]) == 0
    out = capsys.readouterr().out
    assert "(timeit)  vs  current pyperf-" in out and "(slower)" in out
    (row,) = [line for line in out.splitlines() if line.strip().startswith("timeit ")]
    assert "+" in row  # 100x the work: a large positive change, whatever the verdict wording
