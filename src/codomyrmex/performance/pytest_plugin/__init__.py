"""pytest plugin (entry point ``codomyrmex_perf``): a pytest-benchmark-compatible ``benchmark``
fixture whose runs are recorded and judged like ``codomyrmex-perf bench run``.

    # test_parse.py -- an existing pytest-benchmark test file runs unchanged
    def test_parse(benchmark):
        assert benchmark(parse, SOURCE).ok

    $ pytest --perf                       # (or without --perf when pytest-benchmark is absent)
    $ pytest --perf-fail-on-regression    # exit 1 when the gate finds a regression (CI)

Each module's benchmarks become one recorded run of the suite named after the module
(``tests/test_parse.py``), one benchmark per test id, in ``--perf-store`` (default:
``CODOMYRMEX_PERF_STORE`` or ``~/.local/share/codomyrmex-perf/series.sqlite3``), judged
against that history and summarised at the end of the terminal report.

With pytest-benchmark installed (its plugin is named ``benchmark``) this plugin stays dormant
and pytest-benchmark's fixture is used, unless a ``--perf*`` option is given: then this
plugin's fixture takes precedence. ``-p no:benchmark`` or ``-p no:codomyrmex_perf`` pick one
for good. Nothing in this module imports the benchmarking machinery until a test uses it.
"""

from __future__ import annotations

from ._fixture import BenchmarkFixture, FixtureAlreadyUsed

__all__ = ["BenchmarkFixture", "FixtureAlreadyUsed"]
