"""One inline SVG chart per benchmark, and a sparkline for the summary table.

A chart places its points by run (one step per recorded run, so runs close in time do not pile
up), labels them with the short commit and the date, shades each run's spread (p10–p90 of its
samples), draws the level between change points, marks change points and accepted changes, and
gives every point a plain SVG ``<title>`` (value, commit, date, verdict) that a browser shows on
hover. No script, no external font or stylesheet: styling comes from the page's inline CSS::

    >>> from codomyrmex.performance.reporting._svg import format_seconds, format_value
    >>> format_seconds(0.00123), format_seconds(2.5e-6), format_seconds(1.5)
    ('1.23 ms', '2.50 µs', '1.50 s')
    >>> format_value(1234567.0, "instructions")
    '1.23 M instr'
"""

from __future__ import annotations

import math
import time
from html import escape
from itertools import pairwise
from statistics import median, quantiles

from ._trends import BenchmarkTrend, RunPoint

__all__ = [
    "chart_id",
    "format_seconds",
    "format_time",
    "format_value",
    "sparkline",
    "spread",
    "trend_chart",
]

# The viewBox; the chart is drawn at the page's full width (CSS width: 100%).
WIDTH, HEIGHT = 1200, 300
# Margins leave room for the y tick labels (left) and the two-line run labels (bottom).
LEFT, RIGHT, TOP, BOTTOM = 84, 20, 22, 58
#: a run label needs this many px of the viewBox; fewer runs than that are all labelled
_LABEL_PX = 84


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


def format_value(value: float, unit: str = "seconds") -> str:
    """A value of a series in its unit: seconds as :func:`format_seconds`, instruction counts
    with k/M/G and ``instr``."""
    if unit != "instructions":
        return format_seconds(value)
    for suffix, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= scale:
            return f"{value / scale:.3g} {suffix} instr"
    return f"{value:.3g} instr"


def format_time(timestamp: float) -> str:
    """UTC date and minute of a run (the report is read across time zones)."""
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(timestamp))


def chart_id(trend: BenchmarkTrend) -> str:
    """A stable HTML id for the chart of ``trend`` (suite, benchmark and a non-time unit)."""
    raw = f"chart-{trend.suite}-{trend.benchmark}"
    if trend.unit != "seconds":
        raw += f"-{trend.unit}"
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in raw)


def spread(point: RunPoint) -> tuple[float, float]:
    """The p10–p90 range of a run's samples: the band drawn around its median (the median
    itself when there are too few samples for quantiles)."""
    finite = [s for s in point.samples if math.isfinite(s)]
    if len(finite) < 2:
        return point.median, point.median
    deciles = quantiles(finite, n=10, method="inclusive")
    return min(deciles[0], point.median), max(deciles[-1], point.median)


#: the smallest y span of a chart, relative to its top value (4x the gate's default min effect)
_MIN_SPAN = {"seconds": 0.08, "instructions": 0.02}


def _tick_labels(values: list[float], unit: str) -> list[str]:
    """Tick labels with as many digits as it takes to tell them apart (a narrow axis would
    otherwise read "1.23 M instr" four times)."""
    labels = [format_value(v, unit) for v in values]
    if len(set(labels)) == len(labels):
        return labels
    if unit == "instructions":
        return [f"{v:,.0f}" for v in values]
    for digits in range(4, 10):
        labels = [f"{v * 1e6:.{digits}g} µs" for v in values]
        if len(set(labels)) == len(labels):
            break
    return labels


def _ticks(low: float, high: float, count: int = 4) -> list[float]:
    if high <= low:
        return [low]
    step = (high - low) / (count - 1)
    return [low + i * step for i in range(count)]


def _point_title(trend: BenchmarkTrend, index: int, p: RunPoint) -> str:
    """What hovering a point shows: value, commit, date, verdict (one fact per line)."""
    lines = [
        f"{format_value(p.median, trend.unit)} median of run #{index + 1}",
        f"commit {p.short_commit or 'not recorded'} · {format_time(p.timestamp)} UTC",
    ]
    if p.verdict is not None:
        lines.append(f"verdict: {p.label} ({p.verdict.change:+.1%} against baseline "
                     f"{format_value(p.verdict.baseline_median, trend.unit)})")  # fmt: skip
    else:
        lines.append(f"verdict: {p.label}" + (f" ({p.note})" if p.note else ""))
    if p.noisy:
        lines.append("noisy run: left out of baselines")
    lines.append(f"run {p.run_id[:12]}")
    return "\n".join(lines)


def _labelled(trend: BenchmarkTrend, slots: int) -> list[int]:
    """Which runs get an x label: every k-th so that labels never overlap, always the first, the
    last and the change points (those win over their neighbours)."""
    n = len(trend.points)
    if n <= slots:
        return list(range(n))
    step = math.ceil(n / max(slots, 1))
    wanted = [*trend.change_points, 0, n - 1, *range(0, n, step)]
    min_gap = n / max(slots, 1)
    kept: list[int] = []
    for i in wanted:
        if i not in kept and all(abs(i - k) >= min_gap * 0.8 for k in kept):
            kept.append(i)
    return sorted(kept)


def trend_chart(trend: BenchmarkTrend, *, width: int = WIDTH, height: int = HEIGHT) -> str:
    """The SVG of one benchmark's history (``<svg>...</svg>``)."""
    points = trend.points
    n = len(points)
    medians = [p.median for p in points]
    bands = [spread(p) for p in points]
    lo, hi = min(b[0] for b in bands), max(b[1] for b in bands)
    # The axis spans at least a few times the gate's smallest reported change, so that a wiggle
    # the gate would never call a change (e.g. 2 instructions in a million) does not fill the chart.
    least = hi * _MIN_SPAN.get(trend.unit, 0.04)
    if hi - lo < least:
        mid = (hi + lo) / 2
        lo, hi = mid - least / 2, mid + least / 2
    pad = (hi - lo) * 0.1 or 1e-9
    lo, hi = max(lo - pad, 0.0), hi + pad
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    # runs sit in the middle of equal slots: the first and last are not glued to the frame
    slot = plot_w / n

    def x(i: float) -> float:
        return LEFT + slot * (i + 0.5)

    def y(v: float) -> float:
        return TOP + plot_h * (1 - (v - lo) / (hi - lo))

    unit = "instructions per call" if trend.unit == "instructions" else "seconds per call"
    title = f"{trend.suite}/{trend.benchmark}: median {unit} per run, {n} run{'' if n == 1 else 's'}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{chart_id(trend)}" class="chart" '
        f'data-suite="{escape(trend.suite)}" data-benchmark="{escape(trend.benchmark)}" '
        f'data-unit="{escape(trend.unit)}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<rect class="plot" x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}"/>',
    ]
    ticks = _ticks(lo, hi)
    for v, text in zip(ticks, _tick_labels(ticks, trend.unit), strict=True):
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(v):.1f}" y2="{y(v):.1f}"/>')
        parts.append(f'<text class="tick" x="{LEFT - 6}" y="{y(v) + 4:.1f}" text-anchor="end">'
                     f"{escape(text)}</text>")  # fmt: skip
    # each run's spread as one band: upper edge left to right, lower edge back
    half = min(slot * 0.3, 6.0)
    upper = [(x(i) - half if n == 1 else x(i), y(b[1])) for i, b in enumerate(bands)]
    lower = [(x(i) + half if n == 1 else x(i), y(b[0])) for i, b in enumerate(bands)]
    if n == 1:
        upper.append((x(0) + half, y(bands[0][1])))
        lower.append((x(0) - half, y(bands[0][0])))
    outline = " ".join(f"{px:.1f},{py:.1f}" for px, py in [*upper, *reversed(lower)])
    parts.append(f'<polygon class="spread" points="{outline}"><title>spread of each run: '
                 f"p10–p90 of its samples</title></polygon>")  # fmt: skip
    # The level of each segment between change points: what the baseline was at the time.
    for start, end in pairwise([0, *trend.change_points, n]):
        level = median(medians[start:end])
        parts.append(
            f'<line class="level" x1="{x(start) - slot * 0.4:.1f}" x2="{x(end - 1) + slot * 0.4:.1f}" '
            f'y1="{y(level):.1f}" y2="{y(level):.1f}"><title>level {escape(format_value(level, trend.unit))}'
            f"</title></line>"
        )  # fmt: skip
    for cp in trend.change_points:
        cx = (x(cp - 1) + x(cp)) / 2
        p = points[cp]
        label = f"change point: new level from run #{cp + 1} (commit {p.short_commit or 'not recorded'}, {format_time(p.timestamp)} UTC)"
        parts.append(f'<line class="change-point" x1="{cx:.1f}" x2="{cx:.1f}" y1="{TOP}" '
                     f'y2="{TOP + plot_h}"><title>{escape(label)}</title></line>')  # fmt: skip
    for a in trend.acceptances:
        after = sum(1 for p in points if p.timestamp <= a.timestamp)  # runs before the acceptance
        ax = LEFT + slot * after
        what = f"accepted {format_time(a.timestamp)} UTC by {a.who}: {a.note}"
        parts.append(
            f'<g class="accepted"><line x1="{ax:.1f}" x2="{ax:.1f}" y1="{TOP - 8}" y2="{TOP + plot_h}"/>'
            f'<text x="{ax + 3:.1f}" y="{TOP - 10}">accepted</text><title>{escape(what)}</title></g>'
        )
    if n > 1:
        path = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(medians))
        parts.append(f'<polyline class="series" points="{path}"/>')
    for i, p in enumerate(points):
        cls = "run"
        if p.verdict is not None and p.verdict.is_regression:
            cls += " regression"
        elif p.verdict is not None and p.verdict.is_improvement:
            cls += " improvement"
        if p.noisy:
            cls += " noisy"
        r = 5 if "regression" in cls else 3.5
        # the title is the group's: hovering the dot or the larger transparent target shows it
        parts.append(
            f'<g class="point" data-run="{escape(p.run_id)}"><title>{escape(_point_title(trend, i, p))}</title>'
            f'<circle class="{cls}" cx="{x(i):.1f}" cy="{y(p.median):.1f}" r="{r}"/>'
            f'<circle class="hit" cx="{x(i):.1f}" cy="{y(p.median):.1f}" r="{max(r, min(slot / 2, 10)):.1f}"/></g>'
        )  # fmt: skip
    for i in _labelled(trend, max(plot_w // _LABEL_PX, 2)):
        p = points[i]
        first = p.short_commit or f"run #{i + 1}"
        when = time.strftime("%m-%d %H:%M", time.gmtime(p.timestamp))
        parts.append(
            f'<g class="xlabel"><line x1="{x(i):.1f}" x2="{x(i):.1f}" y1="{TOP + plot_h}" y2="{TOP + plot_h + 4}"/>'
            f'<text x="{x(i):.1f}" y="{TOP + plot_h + 18}" text-anchor="middle">'
            f'<tspan class="commit" x="{x(i):.1f}">{escape(first)}</tspan>'
            f'<tspan class="date" x="{x(i):.1f}" dy="14">{escape(when)}</tspan></text></g>'
        )  # fmt: skip
    parts.append("</svg>")
    return "\n".join(parts)


def sparkline(trend: BenchmarkTrend, *, width: int = 140, height: int = 28, last: int = 50) -> str:
    """A small inline SVG of the last ``last`` run medians (for the summary line of a benchmark);
    the last point is marked, red when the gate called it a regression."""
    points = trend.points[-last:]
    values = [p.median for p in points]
    lo, hi = min(values), max(values)
    least = hi * _MIN_SPAN.get(trend.unit, 0.04)  # as in the chart: no wiggle below the gate's scale
    if hi - lo < least:
        lo, hi = (hi + lo - least) / 2, (hi + lo + least) / 2
    span = (hi - lo) or 1.0
    n = len(values)

    def x(i: int) -> float:
        return 2 + (width - 4) * (i / (n - 1) if n > 1 else 0.5)

    def y(v: float) -> float:
        return height - 3 - (height - 6) * (v - lo) / span

    line = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
    latest = points[-1]
    cls = "spark-last regression" if latest.verdict is not None and latest.verdict.is_regression else "spark-last"
    label = (f"last {n} run{'' if n == 1 else 's'}: {format_value(lo, trend.unit)} to "
             f"{format_value(hi, trend.unit)}, latest {format_value(latest.median, trend.unit)}")  # fmt: skip
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="spark" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}"><title>{escape(label)}</title>'
        + (f'<polyline points="{line}"/>' if n > 1 else "")
        + f'<circle class="{cls}" cx="{x(n - 1):.1f}" cy="{y(values[-1]):.1f}" r="2.5"/></svg>'
    )
