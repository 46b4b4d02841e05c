"""The pytest plugin, run through real pytest sessions (``pytester``, in process).

The repository's own session has pytest-benchmark installed too (test extra), so every inner
session here says which plugin it wants: ``-p no:benchmark`` (pytest-benchmark off), ``--perf``,
or nothing (then pytest-benchmark's fixture is used and ours is dormant).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from codomyrmex.performance.benchmarking import MIN_HISTORY_RUNS
from codomyrmex.performance.pytest_plugin._state import STATE
from codomyrmex.performance.series import SQLiteStore

# "--perf-store=PATH" in one argument: pytest takes an existing path among its arguments into its
# rootdir guess (and so into the node ids that name the suites) when there is no ini file
FAST = ["--perf-rounds", "5", "--perf-min-time", "0.0005", "--perf-warmup", "0"]

# An unchanged pytest-benchmark test file: plain call, pedantic, parametrized, class-based.
PYTEST_BENCHMARK_FILE = '''
import pytest

def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)

def test_plain(benchmark):
    assert benchmark(fib, 12) == 144

def test_pedantic(benchmark):
    result = benchmark.pedantic(fib, args=(10,), rounds=7, iterations=3, warmup_rounds=2)
    assert result == 55

def test_pedantic_setup(benchmark):
    def setup():
        return (list(range(100)),), {}
    assert benchmark.pedantic(lambda lst: lst.pop(), setup=setup, rounds=4) == 99

@pytest.mark.parametrize("n", [5, 8])
def test_param(benchmark, n):
    benchmark.extra_info["n"] = n
    benchmark(fib, n)

class TestClassBased:
    @pytest.mark.benchmark(group="sums")
    def test_method(self, benchmark):
        assert benchmark(sum, range(100)) == 4950
'''

NAMES = ["test_plain", "test_pedantic", "test_pedantic_setup", "test_param[5]", "test_param[8]",
         "TestClassBased::test_method"]  # fmt: skip


def _runs(path: Path, suite: str) -> list:
    with SQLiteStore(path) as store:
        return store.runs(suite)


def _build_history(pytester: pytest.Pytester, args: list[str], store: Path, suite: str, passed: int) -> int:
    """Sessions until every benchmark of ``suite`` has MIN_HISTORY_RUNS recorded runs that are not
    noisy (on a busy machine the plugin, like run_benchmark, flags disturbed measurements and
    the gate leaves them out of baselines); at most four times that many. Returns the count."""
    for sessions in range(1, 4 * MIN_HISTORY_RUNS + 1):
        pytester.runpytest(*args).assert_outcomes(passed=passed)
        runs = _runs(store, suite)
        usable: dict[str, int] = {}
        for run in runs:
            for b in run.benchmarks:
                usable[b.name] = usable.get(b.name, 0) + (not b.noisy)
        if min(usable.values()) >= MIN_HISTORY_RUNS:
            return sessions
    raise AssertionError(f"no {MIN_HISTORY_RUNS} undisturbed runs in {4 * MIN_HISTORY_RUNS} sessions: {usable}")


def test_pytest_benchmark_file_runs_unchanged_and_is_recorded(pytester: pytest.Pytester, tmp_path: Path) -> None:
    pytester.makepyfile(test_bench_file=PYTEST_BENCHMARK_FILE)
    store = tmp_path / "perf.sqlite3"
    result = pytester.runpytest("-p", "no:benchmark", f"--perf-store={store}", *FAST)
    result.assert_outcomes(passed=6)
    runs = _runs(store, "test_bench_file.py")
    assert len(runs) == 1
    run = runs[0]
    assert [b.name for b in run.benchmarks] == NAMES
    by_name = {b.name: b for b in run.benchmarks}
    assert len(by_name["test_plain"].samples) == 5  # --perf-rounds
    assert (len(by_name["test_pedantic"].samples), by_name["test_pedantic"].loops) == (7, 3)
    assert (len(by_name["test_pedantic_setup"].samples), by_name["test_pedantic_setup"].loops) == (4, 1)
    assert all(not b.failed and b.judgement is not None for b in run.benchmarks)
    assert {b.judgement["verdict"] for b in run.benchmarks} == {"new"}
    meta = run.environment["benchmark_metadata"]
    assert meta["test_param[8]"]["extra_info"] == {"n": 8}
    assert (meta["test_param[8]"]["param"], meta["test_param[8]"]["params"]) == ("8", {"n": 8})
    assert (meta["test_plain"]["param"], meta["test_plain"]["params"]) == (None, None)
    assert meta["TestClassBased::test_method"]["group"] == "sums"
    assert meta["test_plain"]["fullname"] == "test_bench_file.py::test_plain"
    # summarised in the terminal report
    result.stdout.fnmatch_lines([
        "*codomyrmex-perf benchmarks*",
        "suite test_bench_file.py *",
        "TestClassBased::test_method *new*",
        f"recorded 6 benchmarks in 1 run in {store}",
    ])  # fmt: skip


def test_runs_get_verdicts_from_the_same_gate_once_history_exists(pytester: pytest.Pytester, tmp_path: Path) -> None:
    """The unchanged pytest-benchmark file, run MIN_HISTORY_RUNS + 1 times: every benchmark
    (plain, pedantic, parametrized, class-based) is "new" until its history is long enough, then
    judged by the gate."""
    pytester.makepyfile(test_bench_file=PYTEST_BENCHMARK_FILE)
    store = tmp_path / "perf.sqlite3"
    args = ["-p", "no:benchmark", f"--perf-store={store}", *FAST]
    sessions = _build_history(pytester, args, store, "test_bench_file.py", passed=6)
    assert sessions >= MIN_HISTORY_RUNS
    result = pytester.runpytest(*args)
    result.assert_outcomes(passed=6)
    runs = _runs(store, "test_bench_file.py")
    assert len(runs) == sessions + 1
    assert [b.judgement["verdict"] for b in runs[0].benchmarks] == ["new"] * len(NAMES)
    last = {b.name: b.judgement for b in runs[-1].benchmarks}
    assert list(last) == NAMES
    for name, judgement in last.items():
        assert judgement["verdict"] in {"unchanged", "inconclusive", "improvement", "regression"}, (name, judgement)
        assert 1 <= judgement["baseline_runs"] <= sessions  # the gate may leave a disturbed run out
    verdict = last["TestClassBased::test_method"]["verdict"]
    result.stdout.fnmatch_lines([f"TestClassBased::test_method *{verdict}*"])


# CPU-bound (a sleeping benchmark is often flagged disturbed on a busy machine: waking up, it
# waits for a CPU longer than it ran)
SLOW_ON_DEMAND = '''
import os

def work():
    sum(range(int(os.environ["PLUGIN_SIZE"])))

def test_work(benchmark):
    benchmark.pedantic(work, rounds=6)
'''


def test_fail_on_regression_fails_the_session(pytester: pytest.Pytester, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    pytester.makepyfile(test_slow=SLOW_ON_DEMAND)
    store = tmp_path / "perf.sqlite3"
    args = ["-p", "no:benchmark", f"--perf-store={store}", "--perf-fail-on-regression"]
    monkeypatch.setenv("PLUGIN_SIZE", "3000")
    _build_history(pytester, args, store, "test_slow.py", passed=1)
    monkeypatch.setenv("PLUGIN_SIZE", "300000")  # 100x the work: a regression on any loaded machine
    result = pytester.runpytest(*args)
    result.assert_outcomes(passed=1)  # the test itself passed ...
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # ... the session fails on the regression
    result.stdout.fnmatch_lines([
        "test_work *regression*",
        "regressions: test_slow.py::test_work",
        "failing the session (--perf-fail-on-regression)",
    ])  # fmt: skip
    assert _runs(store, "test_slow.py")[-1].benchmark("test_work").judgement["verdict"] == "regression"


def test_without_fail_on_regression_a_regression_is_reported_not_fatal(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_slow=SLOW_ON_DEMAND)
    store = tmp_path / "perf.sqlite3"
    args = ["-p", "no:benchmark", f"--perf-store={store}"]
    monkeypatch.setenv("PLUGIN_SIZE", "3000")
    _build_history(pytester, args, store, "test_slow.py", passed=1)
    monkeypatch.setenv("PLUGIN_SIZE", "300000")
    result = pytester.runpytest(*args)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["regressions: test_slow.py::test_work"])


def test_default_store_is_codomyrmex_perf_store(pytester: pytest.Pytester, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    default = tmp_path / "env-store.sqlite3"
    monkeypatch.setenv("CODOMYRMEX_PERF_STORE", str(default))
    pytester.makepyfile(test_env='def test_a(benchmark):\n    benchmark(len, "abc")\n')
    result = pytester.runpytest("-p", "no:benchmark", *FAST)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"codomyrmex-perf: recording benchmarks into {default}"])
    assert [b.name for b in _runs(default, "test_env.py")[0].benchmarks] == ["test_a"]


def test_perf_disable_runs_each_benchmark_once_and_records_nothing(pytester: pytest.Pytester,
                                                                   tmp_path: Path) -> None:  # fmt: skip
    pytester.makepyfile(test_once='''
calls = []

def test_plain(benchmark):
    assert benchmark(lambda x: calls.append(x) or x * 2, 21) == 42

def test_pedantic(benchmark):
    benchmark.pedantic(calls.append, args=("p",), rounds=50, iterations=10)

def test_count():
    assert calls == [21, "p"]
''')
    store = tmp_path / "perf.sqlite3"
    result = pytester.runpytest("-p", "no:benchmark", f"--perf-store={store}", "--perf-disable")
    result.assert_outcomes(passed=3)
    assert not store.exists()
    result.stdout.fnmatch_lines(["codomyrmex-perf: benchmarks disabled (--perf-disable)*"])


def test_a_failing_benchmark_fails_its_test_and_is_recorded_as_failed(pytester: pytest.Pytester,
                                                                      tmp_path: Path) -> None:  # fmt: skip
    pytester.makepyfile(test_fail='''
def test_ok(benchmark):
    benchmark(len, "x")

def test_broken(benchmark):
    benchmark(lambda: {}["missing-key"])
''')
    store = tmp_path / "perf.sqlite3"
    result = pytester.runpytest("-p", "no:benchmark", f"--perf-store={store}", *FAST)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*KeyError: 'missing-key'*"])
    broken = _runs(store, "test_fail.py")[0].benchmark("test_broken")
    assert (broken.failed, broken.error, broken.samples) == (True, "KeyError: 'missing-key'", ())


def test_fixture_used_twice_fails_the_test(pytester: pytest.Pytester, tmp_path: Path) -> None:
    pytester.makepyfile(test_twice='''
def test_twice(benchmark):
    benchmark(len, "a")
    benchmark(len, "b")
''')
    result = pytester.runpytest("-p", "no:benchmark", f"--perf-store={tmp_path / 's.sqlite3'}", *FAST)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*FixtureAlreadyUsed: the benchmark fixture can be used once per test; "
                                 "test_twice.py::test_twice already used it in benchmark(...) mode"])  # fmt: skip


@pytest.mark.parametrize(("call", "message"), [
    ("benchmark.pedantic(len, args=('a',), setup=lambda: None, iterations=2)",
     "pedantic(): iterations > 1 cannot be used with a setup function*"),
    ("benchmark.pedantic(len, args=('a',), rounds=0)", "pedantic(): rounds must be an int >= 1, got 0"),
    ("benchmark.pedantic(len, args=('a',), warmup_rounds=-1)",
     "pedantic(): warmup_rounds must be an int >= 0, got -1"),
    ("benchmark.pedantic(len, args=('a',), setup=lambda: (('b',), {}))",
     "*pedantic(): args/kwargs cannot be given when setup returns the arguments"),
])  # fmt: skip
def test_pedantic_rejects_what_pytest_benchmark_rejects(pytester: pytest.Pytester, tmp_path: Path,
                                                        call: str, message: str) -> None:  # fmt: skip
    pytester.makepyfile(test_bad=f"def test_bad(benchmark):\n    {call}\n")
    result = pytester.runpytest("-p", "no:benchmark", f"--perf-store={tmp_path / 's.sqlite3'}", *FAST)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"E   *{message}"])


@pytest.mark.parametrize(("args", "message"), [
    (["--perf-rounds", "0"], "ERROR: --perf-rounds must be a number of samples >= 1, got 0"),
    (["--perf-min-time", "nan"], "ERROR: --perf-min-time must be a number of seconds >= 0, got nan"),
])  # fmt: skip
def test_bad_options_are_usage_errors(pytester: pytest.Pytester, args: list[str], message: str) -> None:
    pytester.makepyfile(test_x="def test_x(benchmark):\n    benchmark(len, 'a')\n")
    result = pytester.runpytest("-p", "no:benchmark", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


INSTRUCTIONS = '''
def work(n):
    return sum(range(n))

def test_call(benchmark):
    assert benchmark(work, 2000) == sum(range(2000))

def make_args():  # module level: instruction mode sends it to another process
    return (500,), {}

def test_pedantic_setup(benchmark):
    assert benchmark.pedantic(work, setup=make_args, rounds=3) == sum(range(500))

def test_lambda(benchmark):
    benchmark(lambda: work(10))
'''


@pytest.mark.slow  # a few processes under Valgrind per benchmark
def test_perf_measure_instructions(pytester: pytest.Pytester, tmp_path: Path) -> None:
    """Instruction counts through run_benchmark(measure="instructions"), recorded as their own
    unit; a benchmark that cannot be sent to another process fails its test with the reason."""
    from codomyrmex.performance.pytest_plugin._instructions import has_instruction_mode

    pytester.makepyfile(test_instr=INSTRUCTIONS)
    store = tmp_path / "perf.sqlite3"
    result = pytester.runpytest("-p", "no:benchmark", f"--perf-store={store}", "--perf-measure=instructions",
                                "--perf-min-time=0.0005")  # fmt: skip
    if not has_instruction_mode():  # this checkout's run_benchmark has no measure= yet
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines(["ERROR: --perf-measure instructions: this version of "
                                     "codomyrmex-performance has no instruction mode*"])  # fmt: skip
        return
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*cannot be sent to a fresh process*"])
    (run,) = _runs(store, "test_instr.py")
    by_name = {b.name: b for b in run.benchmarks}
    assert {n: b.unit for n, b in by_name.items() if not b.failed} == {"test_call": "instructions",
                                                                     "test_pedantic_setup": "instructions"}  # fmt: skip
    # sum(range(2000)) executes more instructions than sum(range(500)), and both thousands
    assert by_name["test_call"].median > by_name["test_pedantic_setup"].median > 1000
    assert by_name["test_lambda"].failed


# -- living with pytest-benchmark ----------------------------------------------------------------

WHICH = '''
def test_which(benchmark):
    print("FIXTURE", type(benchmark).__module__)
    benchmark(len, "abc")
'''


def test_with_pytest_benchmark_active_ours_is_dormant(pytester: pytest.Pytester, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    default = tmp_path / "default.sqlite3"
    monkeypatch.setenv("CODOMYRMEX_PERF_STORE", str(default))
    pytester.makepyfile(test_which=WHICH)
    result = pytester.runpytest("-s", "--benchmark-disable")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([
        "codomyrmex-perf: dormant, pytest-benchmark provides the benchmark fixture*",
        "*FIXTURE pytest_benchmark.fixture",
    ])  # fmt: skip
    result.stdout.no_fnmatch_line("*codomyrmex-perf benchmarks*")
    assert not default.exists()


def test_a_perf_option_takes_over_from_pytest_benchmark(pytester: pytest.Pytester, tmp_path: Path) -> None:
    pytester.makepyfile(test_which=WHICH)
    store = tmp_path / "perf.sqlite3"
    result = pytester.runpytest("-s", f"--perf-store={store}", *FAST)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([
        f"codomyrmex-perf: recording benchmarks into {store}; pytest-benchmark's plugin is off for "
        "this session (a --perf* option was given)",
        "*FIXTURE codomyrmex.performance.pytest_plugin._fixture",
    ])  # fmt: skip
    assert [b.name for b in _runs(store, "test_which.py")[0].benchmarks] == ["test_which"]


def test_bare_perf_flag_takes_over_with_the_default_store(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_which=WHICH)
    result = pytester.runpytest("-s", "--perf", *FAST)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*FIXTURE codomyrmex.performance.pytest_plugin._fixture"])
    assert [b.name for b in _runs(Path(os.environ["CODOMYRMEX_PERF_STORE"]), "test_which.py")[0].benchmarks] == ["test_which"]


def test_without_pytest_benchmark_ours_provides_the_fixture(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_which=WHICH)
    result = pytester.runpytest("-s", "-p", "no:benchmark", *FAST)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*FIXTURE codomyrmex.performance.pytest_plugin._fixture"])


def test_our_plugin_switched_off_leaves_pytest_benchmark_alone(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_which=WHICH)
    result = pytester.runpytest("-s", "-p", "no:codomyrmex_perf", "--benchmark-disable")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*FIXTURE pytest_benchmark.fixture"])
    result.stdout.no_fnmatch_line("*codomyrmex-perf*")


def test_neither_plugin_means_no_fixture_and_an_error_not_a_crash(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_which=WHICH)
    result = pytester.runpytest("-p", "no:codomyrmex_perf", "-p", "no:benchmark")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'benchmark' not found*"])


def test_this_repository_session_leaves_the_plugin_dormant(pytestconfig: pytest.Config,
                                                          tmp_path_factory: pytest.TempPathFactory) -> None:  # fmt: skip
    """Our own test session runs with pytest-benchmark installed and no --perf option: our plugin
    must not take the fixture, record, or open any store; and the default store of every test is
    a temporary one (tests/conftest.py), never the home directory."""
    state = pytestconfig.stash[STATE]
    if pytestconfig.pluginmanager.has_plugin("benchmark"):
        assert (state.mode, state.session) == ("dormant", None)
    else:  # run with -p no:benchmark: active, recording only what a test times
        assert state.mode == "active"
    basetemp = tmp_path_factory.getbasetemp()
    assert Path(os.environ["CODOMYRMEX_PERF_STORE"]).is_relative_to(basetemp)
    assert Path(os.environ["XDG_DATA_HOME"]).is_relative_to(basetemp)


def test_a_session_without_benchmarks_does_not_import_the_machinery(pytester: pytest.Pytester) -> None:
    """The plugin loads in every pytest session of an environment that has this library: until a
    test uses the fixture it must cost next to nothing (no benchmarking, regression or store code)."""
    pytester.makepyfile(test_plain='''
import sys

def test_nothing_heavy_loaded():
    heavy = [m for m in ("codomyrmex.performance.benchmarking", "codomyrmex.performance.regression",
                         "codomyrmex.performance.series") if m in sys.modules]
    assert heavy == []
''')
    result = pytester.runpytest_subprocess("-p", "no:benchmark", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["codomyrmex-perf: recording benchmarks into *"])


def test_runs_are_pushed_when_a_pushgateway_is_configured(pytester: pytest.Pytester, tmp_path: Path,
                                                          pushgateway: Any, unique_name: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """As run_benchmark: CODOMYRMEX_PERF_PUSHGATEWAY receives every recorded run (grouped by the
    suite, a module path with a '/' that the Pushgateway URL must escape, and host)."""
    import urllib.request

    monkeypatch.setenv("CODOMYRMEX_PERF_PUSHGATEWAY", pushgateway.url)
    (pytester.mkdir("benches") / f"test_{unique_name}.py").write_text("def test_push(benchmark):\n    benchmark(len, 'abc')\n")
    result = pytester.runpytest("-p", "no:benchmark", f"--perf-store={tmp_path / 's.sqlite3'}", *FAST)
    result.assert_outcomes(passed=1)
    with urllib.request.urlopen(f"{pushgateway.url}/metrics", timeout=10) as resp:
        metrics = resp.read().decode()
    suite = f'suite="benches/test_{unique_name}.py"'
    lines = [line for line in metrics.splitlines() if suite in line]
    assert len([x for x in lines if x.startswith("codomyrmex_benchmark_last_run_timestamp_seconds{")]) == 1
    durations = [x for x in lines if x.startswith("codomyrmex_benchmark_duration_seconds{")]
    (run,) = _runs(tmp_path / "s.sqlite3", f"benches/test_{unique_name}.py")
    # min p50 p90 p95 p99 mean; a result flagged noisy is not pushed as a duration (the history
    # read back from Prometheus must never take it as a baseline)
    assert len(durations) == (0 if run.benchmark("test_push").noisy else 6)
    assert all('benchmark="test_push"' in x for x in durations)


def test_parameters_json_cannot_hold_are_recorded_as_their_repr(pytester: pytest.Pytester, tmp_path: Path) -> None:
    pytester.makepyfile(test_objects='''
import pytest

class Shape:
    def __repr__(self):
        return "Shape()"

@pytest.mark.parametrize("shape", [Shape()], ids=["shape"])
def test_obj(benchmark, shape):
    benchmark.extra_info["seen"] = {1, 2}
    benchmark(repr, shape)
''')
    store = tmp_path / "perf.sqlite3"
    pytester.runpytest("-p", "no:benchmark", f"--perf-store={store}", *FAST).assert_outcomes(passed=1)
    meta = _runs(store, "test_objects.py")[0].environment["benchmark_metadata"]["test_obj[shape]"]
    assert (meta["params"], meta["extra_info"]) == ({"shape": "Shape()"}, {"seen": "{1, 2}"})


def test_a_store_that_cannot_be_opened_fails_the_session_naming_it(pytester: pytest.Pytester,
                                                                  tmp_path: Path) -> None:  # fmt: skip
    pytester.makepyfile(test_s="def test_a(benchmark):\n    benchmark(len, 'abc')\n")
    not_a_file = tmp_path / "a-directory"
    not_a_file.mkdir()
    result = pytester.runpytest("-p", "no:benchmark", f"--perf-store={not_a_file}", *FAST)
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # never a silently lost run
    result.stdout.fnmatch_lines([f"error: could not open the store '{not_a_file}': *"])


def test_under_xdist_benchmarks_run_as_plain_tests_and_the_summary_says_so(pytester: pytest.Pytester,
                                                                          tmp_path: Path) -> None:  # fmt: skip
    # pytest-xdist is not installed here: a conftest declares its -n option (what the plugin reads)
    pytester.makeconftest('def pytest_addoption(parser):\n'
                          '    parser.addoption("--numprocesses", dest="numprocesses", type=int)\n')  # fmt: skip
    pytester.makepyfile(test_x='calls = []\n\ndef test_a(benchmark):\n    benchmark(calls.append, 1)\n'
                               '    assert calls == [1]\n')  # fmt: skip
    store = tmp_path / "perf.sqlite3"
    result = pytester.runpytest("-p", "no:benchmark", f"--perf-store={store}", "--numprocesses=2")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["codomyrmex-perf: benchmarks run as plain tests under pytest-xdist*"])
    assert not store.exists()
