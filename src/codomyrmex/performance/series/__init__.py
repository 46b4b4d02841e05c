"""Recorded benchmark series: every run of every suite, with its raw samples.

Two stores speak the same :class:`SeriesStore` protocol, so the same regression detection runs
on either: :class:`SQLiteStore` (embedded default, append-only, at
``CODOMYRMEX_PERF_STORE`` or ``~/.local/share/codomyrmex-perf/series.sqlite3``) and
:class:`PrometheusStore` (push to a Pushgateway, read back through ``query_range``)::

    from codomyrmex.performance.series import SQLiteStore, dumps_runs

    with SQLiteStore() as store:
        for point in store.history("agent_performance", "tokenize"):
            print(point.timestamp, point.median)
        # with the acceptances, or an accepted level is a regression again where it is imported
        open("runs.json", "w").write(dumps_runs(store.runs(), acceptances=store.acceptances()))

Runs also come from and go to pyperf and pytest-benchmark JSON files (:func:`loads_format`,
:func:`dumps_format`, :data:`FILE_FORMATS`).
"""

from __future__ import annotations

from ._formats import FILE_FORMATS, detect_format, dumps_format, loads_format
from ._json import FORMAT, FORMAT_VERSION, dumps_runs, loads_acceptances, loads_runs
from ._prometheus import DEFAULT_JOB, PrometheusStore, run_stats
from ._records import UNITS, Acceptance, BenchmarkRecord, HistoryPoint, RunRecord, SeriesStore
from ._sqlite import SCHEMA_VERSION, CorruptRowWarning, SQLiteStore

__all__ = [
    "DEFAULT_JOB",
    "FILE_FORMATS",
    "FORMAT",
    "FORMAT_VERSION",
    "SCHEMA_VERSION",
    "UNITS",
    "Acceptance",
    "BenchmarkRecord",
    "CorruptRowWarning",
    "HistoryPoint",
    "PrometheusStore",
    "RunRecord",
    "SQLiteStore",
    "SeriesStore",
    "detect_format",
    "dumps_format",
    "dumps_runs",
    "loads_acceptances",
    "loads_format",
    "loads_runs",
    "run_stats",
]
