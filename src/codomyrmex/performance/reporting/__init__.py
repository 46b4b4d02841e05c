"""LEARN offline: a self-contained HTML trend report of the recorded benchmarks.

For each benchmark: a summary line with a sparkline, and its history of run medians placed by
run and labelled with commit and date, each run's spread, change points, regressions and accepted
changes marked, a hover title on every point (inline SVG, no script); its current verdict and the
p50/p95/p99 of its last run. Instruction-mode series are shown as their own benchmarks. The page
needs no network::

    from codomyrmex.performance.reporting import write_report

    write_report("report.html", store="series.sqlite3")   # or: codomyrmex-perf report --html report.html
"""

from __future__ import annotations

from ._html import render_html
from ._svg import chart_id, sparkline, trend_chart
from ._trends import BenchmarkTrend, RunPoint, load_trends, trends_from_runs
from ._write import write_report

__all__ = [
    "BenchmarkTrend",
    "RunPoint",
    "chart_id",
    "load_trends",
    "render_html",
    "sparkline",
    "trend_chart",
    "trends_from_runs",
    "write_report",
]
