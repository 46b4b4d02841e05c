"""LEARN offline: a self-contained HTML trend report of the recorded benchmarks.

For each benchmark: its history of run medians with change points and regressions marked (inline
SVG), its current verdict and the p50/p95/p99 of its last run. The page needs no network::

    from codomyrmex.performance.reporting import write_report

    write_report("report.html", store="series.sqlite3")   # or: codomyrmex-perf report --html report.html
"""

from __future__ import annotations

from ._html import render_html
from ._svg import chart_id, trend_chart
from ._trends import BenchmarkTrend, RunPoint, load_trends, trends_from_runs
from ._write import write_report

__all__ = [
    "BenchmarkTrend",
    "RunPoint",
    "chart_id",
    "load_trends",
    "render_html",
    "trend_chart",
    "trends_from_runs",
    "write_report",
]
