"""The LEARN report: one self-contained HTML page for every recorded benchmark.

No script and no external resource at all (a Content-Security-Policy in the page forbids them), so
the file can be attached to a CI run or mailed and opened anywhere, offline::

    from codomyrmex.performance.reporting import load_trends, render_html

    html = render_html(load_trends(store), title="agent benchmarks")
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from html import escape

from .._version import __version__
from ._svg import chart_id, format_time, format_value, sparkline, trend_chart
from ._trends import BenchmarkTrend

__all__ = ["render_html"]

_CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 16px 24px;
       color: #1f2328; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin: 28px 0 6px; }
.meta { color: #59636e; margin-top: 0; }
table { border-collapse: collapse; margin: 8px 0 12px; }
table.summary { width: 100%; font-size: 13px; }
th, td { border-bottom: 1px solid #d1d9e0; padding: 4px 8px; text-align: right; white-space: nowrap; }
th:first-child, td:first-child, th.name, td.name { text-align: left; }
.verdict { border-radius: 10px; padding: 1px 8px; font-size: 12px; font-weight: 600; }
.v-regression { background: #ffebe9; color: #a40e26; } .v-improvement { background: #dafbe1; color: #116329; }
.v-unchanged { background: #eef1f4; color: #59636e; } .v-inconclusive { background: #fff8c5; color: #7d4e00; }
.v-no-baseline, .v-not-judged { background: #eef1f4; color: #59636e; }
.unit { font-size: 12px; color: #59636e; font-weight: 400; }
code { font-size: 12px; }
svg.chart { display: block; width: 100%; height: auto; }
svg .plot { fill: #fbfcfd; stroke: #d1d9e0; } svg .grid { stroke: #eef1f4; }
svg .tick, svg .xlabel text { font-size: 12px; fill: #59636e; } svg .xlabel line { stroke: #8c959f; }
svg .xlabel .commit { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; fill: #1f2328; }
svg .spread { fill: #0969da; fill-opacity: 0.13; stroke: none; }
svg .series { fill: none; stroke: #0969da; stroke-width: 1.5; }
svg .run { fill: #0969da; } svg .run.regression { fill: #cf222e; stroke: #fff; stroke-width: 1.5; }
svg .run.improvement { fill: #1a7f37; } svg .run.noisy { fill: #fff; stroke: #8c959f; stroke-width: 1.5; }
svg .hit { fill: transparent; } svg .point:hover .run { stroke: #1f2328; stroke-width: 2; }
svg .level { stroke: #8c959f; stroke-width: 2; stroke-dasharray: 6 3; }
svg .change-point { stroke: #bf8700; stroke-width: 1.5; stroke-dasharray: 3 3; }
svg .accepted line { stroke: #8250df; stroke-width: 2; } svg .accepted text { font-size: 11px; fill: #8250df; }
svg.spark { vertical-align: middle; } svg.spark polyline { fill: none; stroke: #0969da; stroke-width: 1.2; }
svg.spark .spark-last { fill: #0969da; } svg.spark .spark-last.regression { fill: #cf222e; }
.legend span { margin-right: 14px; color: #59636e; }
.legend .sw { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 4px; }
"""


def _verdict(trend: BenchmarkTrend) -> str:
    label = trend.verdict_label
    return f'<span class="verdict v-{label.replace(" ", "-")}">{escape(label)}</span>'


def _change(trend: BenchmarkTrend) -> str:
    v = trend.latest.verdict
    if v is None:
        return "–"
    return f"{v.change:+.1%} [{v.ci_low:+.1%}, {v.ci_high:+.1%}]"


def _name(t: BenchmarkTrend) -> str:
    unit = "" if t.unit == "seconds" else f' <span class="unit">[{escape(t.unit)}]</span>'
    return f"{escape(t.suite)}/{escape(t.benchmark)}{unit}"


def _commit(t: BenchmarkTrend) -> str:
    c = t.latest.short_commit
    return f"<code>{escape(c)}</code>" if c else "–"


def _summary_row(t: BenchmarkTrend) -> str:
    s, u = t.stats, t.unit
    return (
        f'<tr class="summary-line" data-chart="{chart_id(t)}"><td class="name"><a href="#section-{chart_id(t)}">{_name(t)}</a></td>'
        f"<td>{sparkline(t)}</td><td>{len(t.points)}</td><td>{_commit(t)}</td><td>{_verdict(t)}</td>"
        f"<td>{_change(t)}</td><td>{format_value(s['p50'], u)}</td><td>{format_value(s['p95'], u)}</td>"
        f"<td>{format_value(s['p99'], u)}</td><td>{len(t.regressions)}</td>"
        f"<td>{len(t.change_points)}</td><td>{len(t.acceptances)}</td></tr>"
    )  # fmt: skip


def _section(t: BenchmarkTrend) -> str:
    s, v, u = t.stats, t.latest.verdict, t.unit
    baseline = "–" if v is None else format_value(v.baseline_median, u)
    p_value = "–" if v is None else f"{v.p_adjusted:.2g}"
    marked = ", ".join(f"run #{i + 1} ({t.points[i].short_commit or format_time(t.points[i].timestamp)})"
                       for i in t.regressions) or "none"  # fmt: skip
    accepted = "; ".join(f"{format_time(a.timestamp)} UTC by {a.who}: {a.note}" for a in t.acceptances)
    note = t.latest.note
    how = "recorded by the gate" if t.latest.recorded else "re-judged (run recorded before verdicts were stored)"
    detail = f" · {escape(note)}" if note else ""
    rows = "".join(
        f"<tr><td>{name}</td><td>{format_value(s[key], u)}</td></tr>"
        for name, key in (("p50", "p50"), ("p95", "p95"), ("p99", "p99"), ("min", "min"), ("mean", "mean"))
    )  # fmt: skip
    per_call = "instructions per call" if u == "instructions" else "seconds per call"
    runs = len(t.points)
    return f"""
<section class="benchmark" id="section-{chart_id(t)}">
<h2>{_name(t)} {_verdict(t)}</h2>
<p class="meta">{runs} run{"" if runs == 1 else "s"}, last {format_time(t.latest.timestamp)} UTC at commit {_commit(t)} ·
change against baseline {_change(t)} · baseline median {baseline} · p (Holm) {p_value}
· verdict {how}{detail}</p>
{trend_chart(t)}
<p class="meta">Regressions: {escape(marked)}{f" · Accepted: {escape(accepted)}" if accepted else ""}</p>
<table class="stats"><thead><tr><th>last run</th><th>{per_call}</th></tr></thead>
<tbody>{rows}</tbody></table>
</section>"""


def render_html(
    trends: Sequence[BenchmarkTrend],
    *,
    title: str = "codomyrmex benchmark trends",
    generated_at: float | None = None,
) -> str:
    """The whole page for ``trends`` (see :func:`~codomyrmex.performance.reporting.load_trends`)."""
    if isinstance(trends, str | bytes) or not all(isinstance(t, BenchmarkTrend) for t in trends):
        raise TypeError(f"trends must be a sequence of BenchmarkTrend, got {type(trends).__name__}")
    if not isinstance(title, str):
        raise TypeError(f"title must be a string, got {title!r}")
    when = format_time(time.time() if generated_at is None else generated_at)
    regressed = sum(1 for t in trends if t.verdict_label == "regression")
    if trends:
        summary = (
            '<table class="summary"><thead><tr><th class="name">benchmark</th><th>trend</th>'
            "<th>runs</th><th>last commit</th><th>verdict</th><th>change [CI]</th><th>p50</th>"
            "<th>p95</th><th>p99</th><th>regressions</th><th>change points</th><th>accepted</th>"
            "</tr></thead><tbody>"
            + "".join(_summary_row(t) for t in trends)
            + "</tbody></table>"
        )
    else:
        summary = '<p class="empty">No recorded runs in this store yet.</p>'
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>{_CSS}</style>
</head>
<body>
<h1>{escape(title)}</h1>
<p class="meta">{len(trends)} benchmark{"" if len(trends) == 1 else "s"} · {regressed} regressed in their last run ·
generated {when} UTC by codomyrmex-performance {escape(__version__)}</p>
<p class="legend"><span><i class="sw" style="background:#0969da"></i>run median (hover: value, commit, date, verdict)</span>
<span><i class="sw" style="background:#cf222e"></i>regression against its baseline</span>
<span><i class="sw" style="background:#0969da;opacity:.25;border-radius:0"></i>spread of each run (p10–p90)</span>
<span>— — level between change points</span><span style="color:#bf8700">┆ change point</span>
<span style="color:#8250df">│ accepted change</span><span>x axis: one step per run, labelled with its commit and date (UTC)</span></p>
{summary}
{"".join(_section(t) for t in trends)}
</body>
</html>
"""
