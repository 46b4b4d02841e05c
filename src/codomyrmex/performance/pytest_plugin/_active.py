"""The part of the plugin registered only when it is active: the ``benchmark`` fixture and the
session hooks that record, judge and summarise. Registered from ``pytest_configure``, i.e. after
every entry-point plugin, so with ``--perf`` its fixture takes precedence over
pytest-benchmark's (pytest uses the fixture definition registered last)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ._fixture import BenchmarkFixture
from ._state import STATE

__all__ = ["benchmark"]


@pytest.fixture
def benchmark(request: pytest.FixtureRequest) -> Iterator[BenchmarkFixture]:
    """Time a function in this test: ``benchmark(fn, *args, **kwargs)`` or
    ``benchmark.pedantic(fn, args=..., setup=..., rounds=..., iterations=..., warmup_rounds=...)``."""
    state = request.config.stash[STATE]
    node = request.node
    suite, _, name = node.nodeid.partition("::")
    marker = node.get_closest_marker("benchmark")
    group = marker.kwargs.get("group") if marker is not None else None
    if state.session is not None:
        state.session.sources.setdefault(suite, str(node.path))
    fixture = BenchmarkFixture(
        suite=suite, name=name or node.name, fullname=node.nodeid, group=group,
        session=state.session, timing=state.timing(), measure=state.measure,
    )  # fmt: skip
    callspec = getattr(node, "callspec", None)
    if callspec is not None:  # as pytest-benchmark: the parametrization id and values
        fixture.param = callspec.id
        fixture.params = dict(callspec.params)
    yield fixture


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    state = session.config.stash[STATE]
    if state.session is None:
        return
    state.session.finish()
    if state.session.failed and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    state = terminalreporter.config.stash[STATE]
    if state.session is None:
        if state.disabled_reason:
            terminalreporter.write_sep("-", "codomyrmex-perf")
            terminalreporter.write_line(state.disabled_reason)
        return
    lines = state.session.summary()
    if not lines:
        return
    terminalreporter.write_sep("-", "codomyrmex-perf benchmarks")
    for line in lines:
        terminalreporter.write_line(line)
