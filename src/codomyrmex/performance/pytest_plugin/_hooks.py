"""The plugin's hooks (the ``pytest11`` entry point ``codomyrmex_perf`` points here): options,
configure (active or dormant next to pytest-benchmark) and the report header. Kept apart from the
package ``__init__`` so that what instruction mode sends to a Valgrind process (helpers of
:mod:`._instructions`) can be imported there without importing pytest."""

from __future__ import annotations

from pathlib import Path

import pytest

from ._state import STATE, PluginState

__all__ = ["pytest_addoption", "pytest_configure", "pytest_report_header"]

_MEASURES = ("time", "instructions")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("codomyrmex-perf", "benchmarks recorded and judged by codomyrmex-perf")
    group.addoption("--perf", action="store_true", default=False,
                    help="use codomyrmex-perf's benchmark fixture even when pytest-benchmark is "
                         "installed (any other --perf-* option implies it)")  # fmt: skip
    group.addoption("--perf-store", metavar="PATH", default=None,
                    help="SQLite store to record into and judge against (default: "
                         "CODOMYRMEX_PERF_STORE or ~/.local/share/codomyrmex-perf/series.sqlite3)")  # fmt: skip
    group.addoption("--perf-measure", choices=_MEASURES, default=None,
                    help="what a sample measures: time (default) or instructions (Valgrind)")
    group.addoption("--perf-fail-on-regression", action="store_true", default=False,
                    help="fail the session (exit 1) on a regression or a comparison that could "
                         "not be judged")  # fmt: skip
    group.addoption("--perf-disable", action="store_true", default=False,
                    help="run each benchmarked function once as a plain test; record nothing")
    group.addoption("--perf-rounds", type=int, default=None, metavar="N",
                    help="samples per benchmark (default 100)")
    group.addoption("--perf-min-time", type=float, default=None, metavar="SECONDS",
                    help="minimum duration of a sample (default 0.0002)")
    group.addoption("--perf-warmup", type=int, default=None, metavar="N",
                    help="discarded samples first (default 1)")


def _explicit(config: pytest.Config) -> bool:
    """Whether any --perf* option was given (they all default to None/False)."""
    return any(config.getoption(opt) not in (None, False) for opt in (
        "perf", "perf_store", "perf_measure", "perf_fail_on_regression", "perf_disable",
        "perf_rounds", "perf_min_time", "perf_warmup"))  # fmt: skip


def _number(config: pytest.Config, opt: str, default: float, low: float, what: str) -> float:
    value = config.getoption(opt)
    if value is None:
        return default
    if not value >= low:  # also rejects NaN
        raise pytest.UsageError(f"--{opt.replace('_', '-')} must be {what}, got {value!r}")
    return float(value)


@pytest.hookimpl(tryfirst=True)  # before pytest-benchmark's (trylast) configure
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "benchmark(group=None): options of the benchmark fixture (pytest-benchmark's marker; "
        "codomyrmex-perf reads group)")  # fmt: skip
    other = config.pluginmanager.get_plugin("benchmark")
    if other is not None and not _explicit(config):
        config.stash[STATE] = PluginState("dormant")
        return
    state = PluginState("active")
    config.stash[STATE] = state
    if other is not None:
        # --perf* given with pytest-benchmark active: its hooks would reject our fixture object
        # (its makereport insists on its own class), so its plugin sits this session out
        config.pluginmanager.unregister(other)
        state.replaced = "pytest-benchmark's plugin is off for this session (a --perf* option was given)"
    # Many short samples rather than bench run's 20 of 5 ms: on a shared machine a sample longer
    # than a scheduler time slice almost always contains a preemption, which inflated medians
    # 2.5-3x against pytest-benchmark here; 0.2 ms samples agree with it within ~7 %
    # (benchmarks/bench_pytest_plugin.py)
    rounds = int(_number(config, "perf_rounds", 100, 1, "a number of samples >= 1"))
    warmup = int(_number(config, "perf_warmup", 1, 0, "a number of samples >= 0"))
    min_time = _number(config, "perf_min_time", 0.0002, 0.0, "a number of seconds >= 0")
    measure = config.getoption("perf_measure") or "time"
    if measure == "instructions":
        import shutil

        from ._instructions import has_instruction_mode

        # refused rather than silently timed
        if not has_instruction_mode():
            raise pytest.UsageError("--perf-measure instructions: this version of codomyrmex-performance "
                                    "has no instruction mode; use --perf-measure time")  # fmt: skip
        if shutil.which("valgrind") is None:
            raise pytest.UsageError("--perf-measure instructions counts instructions with Valgrind, which "
                                    "is not installed (Debian/Ubuntu package valgrind)")  # fmt: skip
    state.measure = measure
    if config.getoption("perf_disable"):
        state.disabled_reason = ("codomyrmex-perf: benchmarks disabled (--perf-disable): each ran once "
                                 "as a plain test, nothing recorded")  # fmt: skip
    elif hasattr(config, "workerinput") or getattr(config.option, "numprocesses", None):
        # pytest-xdist (a worker, or the controller of -n N): a module's tests are split across
        # processes, so no process holds a whole run; said in the controller's summary
        state.disabled_reason = ("codomyrmex-perf: benchmarks run as plain tests under pytest-xdist "
                                 "(a run needs all of a module's benchmarks in one process: use -n 0)")  # fmt: skip
    else:
        from ._session import PerfSession

        raw = config.getoption("perf_store")
        if raw is not None:
            store = Path(raw).expanduser()
            if not store.is_absolute():
                store = Path(config.invocation_params.dir, store)
        else:
            from .. import env

            store = env.default_store_path()
        state.session = PerfSession(store, fail_on_regression=config.getoption("perf_fail_on_regression"))
        state.options = (warmup, rounds, min_time)
    from . import _active

    config.pluginmanager.register(_active, "codomyrmex_perf.active")


def pytest_report_header(config: pytest.Config) -> str | None:
    state = config.stash.get(STATE, None)
    if state is None:
        return None
    if state.mode == "dormant":
        return ("codomyrmex-perf: dormant, pytest-benchmark provides the benchmark fixture "
                "(give --perf, or -p no:benchmark, to record with codomyrmex-perf)")  # fmt: skip
    if state.session is None:
        return state.disabled_reason
    where = f"codomyrmex-perf: recording benchmarks into {state.session.store_path}"
    return where if state.replaced is None else f"{where}; {state.replaced}"
