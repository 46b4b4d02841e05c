"""One inline SVG chart per benchmark: run medians over time, levels, change points, regressions.

Plain SVG text (no script, no external font or stylesheet), so the page works offline and in any
viewer; styling comes from the page's inline CSS through class names::

    >>> from codomyrmex.performance.reporting._svg import format_seconds
    >>> format_seconds(0.00123), format_seconds(2.5e-6), format_seconds(1.5)
    ('1.23 ms', '2.50 µs', '1.50 s')
"""

from __future__ import annotations

import time
from html import escape
from itertools import pairwise
from statistics import median

from ._trends import BenchmarkTrend

__all__ = ["chart_id", "format_seconds", "format_time", "trend_chart"]

WIDTH, HEIGHT = 760, 240
# Margins leave room for the y tick labels (left) and the date labels (bottom).
LEFT, RIGHT, TOP, BOTTOM = 78, 16, 14, 40


def format_seconds(value: float) -> str:
    """Seconds with a unit a reader can compare at a glance (3 significant digits)."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if abs(value) >= scale:
            return (
                f"{value / scale:.3g} {unit}"
                if value / scale >= 100
                else f"{value / scale:.2f} {unit}"
            )
    return f"{value * 1e9:.2f} ns"


def format_time(timestamp: float) -> str:
    """UTC date and minute of a run (the report is read across time zones)."""
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(timestamp))


def chart_id(trend: BenchmarkTrend) -> str:
    """A stable HTML id for the chart of ``trend`` (suite and benchmark, made id-safe)."""
    raw = f"chart-{trend.suite}-{trend.benchmark}"
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in raw)


def _ticks(low: float, high: float, count: int = 4) -> list[float]:
    if high <= low:
        return [low]
    step = (high - low) / (count - 1)
    return [low + i * step for i in range(count)]


def trend_chart(trend: BenchmarkTrend, *, width: int = WIDTH, height: int = HEIGHT) -> str:
    """The SVG of one benchmark's history (``<svg>...</svg>``)."""
    points = trend.points
    medians = [p.median for p in points]
    lo, hi = min(medians), max(medians)
    pad = (hi - lo) * 0.1 or hi * 0.05 or 1e-9  # a flat series still gets a visible band
    lo, hi = max(lo - pad, 0.0), hi + pad
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    n = len(points)

    def x(i: float) -> float:
        return LEFT + (plot_w / 2 if n == 1 else plot_w * i / (n - 1))

    def y(v: float) -> float:
        return TOP + plot_h * (1 - (v - lo) / (hi - lo))

    title = f"{trend.suite}/{trend.benchmark}: median per run, {n} runs"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{chart_id(trend)}" class="chart" '
        f'data-suite="{escape(trend.suite)}" data-benchmark="{escape(trend.benchmark)}" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<rect class="plot" x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}"/>',
    ]
    for v in _ticks(lo, hi):
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(v):.1f}" y2="{y(v):.1f}"/>'
        )
        parts.append(f'<text class="tick" x="{LEFT - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{escape(format_seconds(v))}</text>')  # fmt: skip
    # The level of each segment between change points: what the baseline was at the time.
    bounds = [0, *trend.change_points, n]
    for start, end in pairwise(bounds):
        level = median(medians[start:end])
        parts.append(
            f'<line class="level" x1="{x(start):.1f}" x2="{x(end - 1):.1f}" y1="{y(level):.1f}" '
            f'y2="{y(level):.1f}"><title>level {escape(format_seconds(level))}</title></line>'
        )
    for cp in trend.change_points:
        cx = (x(cp - 1) + x(cp)) / 2
        label = f"change point: new level from {format_time(points[cp].timestamp)}"
        parts.append(
            f'<line class="change-point" x1="{cx:.1f}" x2="{cx:.1f}" y1="{TOP}" '
            f'y2="{TOP + plot_h}"><title>{escape(label)}</title></line>'
        )
    if n > 1:
        path = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(medians))
        parts.append(f'<polyline class="series" points="{path}"/>')
    for i, p in enumerate(points):
        regression = p.verdict is not None and p.verdict.is_regression
        tip = f"{format_time(p.timestamp)}: median {format_seconds(p.median)}"
        if p.verdict is not None:
            tip += f", {p.verdict.verdict.value} ({p.verdict.change:+.1%})"
        cls, r = ("run regression", 5) if regression else ("run", 3)
        parts.append(
            f'<circle class="{cls}" cx="{x(i):.1f}" cy="{y(p.median):.1f}" r="{r}">'
            f"<title>{escape(tip)}</title></circle>"
        )
    labelled = sorted({0, n - 1, *trend.change_points})
    for i in labelled:
        anchor = "start" if i == 0 and n > 1 else "end" if i == n - 1 and n > 1 else "middle"
        parts.append(
            f'<text class="date" x="{x(i):.1f}" y="{height - 12}" text-anchor="{anchor}">'
            f"{escape(format_time(points[i].timestamp))}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts)
