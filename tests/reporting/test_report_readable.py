"""A report people read (issue 13): points placed by run and labelled with commit and date, hover
titles, a band for each run's spread, accepted changes and change points, full width, a summary
line with a sparkline per benchmark, instruction-mode series; checked in headless Chromium."""

from __future__ import annotations

import hashlib
import random
import re
import shutil
import time
from html import unescape
from itertools import pairwise
from pathlib import Path

import pytest

from codomyrmex.performance.reporting import BenchmarkTrend, load_trends, render_html, trend_chart
from codomyrmex.performance.reporting._svg import LEFT, RIGHT, WIDTH, format_value, spread
from codomyrmex.performance.series import BenchmarkRecord, RunRecord, SQLiteStore
from tests.reporting.test_report import _chromium, _console_messages

ROOT = Path(__file__).resolve().parents[2]
RUNS, STEP_AT = 20, 12
T0 = 1_765_000_000.0


def commit(i: int) -> str:
    return hashlib.sha1(f"commit {i}".encode()).hexdigest()


def when(i: int) -> float:
    # runs one minute apart (a CI loop), except a gap of three days before run 15
    return T0 + i * 60 + (3 * 86400 if i >= 15 else 0)


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """20 runs of suite "agent", each at its own commit: "tokenize" 25 % slower from run 12 on and
    accepted after run 16; "parse" flat; run 5 noisy; "tokenize" also in instruction mode."""
    rng = random.Random(3)
    path = tmp_path / "series.sqlite3"
    with SQLiteStore(path) as store:
        for i in range(RUNS):
            level = 0.001 if i < STEP_AT else 0.00125
            store.append(RunRecord.new("agent", [
                BenchmarkRecord("tokenize", tuple(level * (1 + rng.gauss(0, 0.02)) for _ in range(15))),
                BenchmarkRecord("parse", tuple(0.0005 * (1 + rng.gauss(0, 0.02)) for _ in range(15)), noisy=i == 5),
            ], environment={"git_commit": commit(i), "hostname": "ci-1"}, timestamp=when(i)))  # fmt: skip
            # the same commit measured in instruction mode: a run of its own, its own series
            store.append(RunRecord.new("agent", [
                BenchmarkRecord("tokenize", (1_234_567.0 + i % 3,), unit="instructions"),
            ], environment={"git_commit": commit(i), "hostname": "ci-1"}, timestamp=when(i) + 5))  # fmt: skip
        store.accept("agent", "tokenize", note="new tokenizer is slower, on purpose", who="alice",
                     timestamp=when(16) + 30)  # fmt: skip
    return path


def _trends(path: Path) -> dict[tuple[str, str], BenchmarkTrend]:
    with SQLiteStore(path) as store:
        return {(t.benchmark, t.unit): t for t in load_trends(store)}


def _points(svg: str) -> list[tuple[str, float, float]]:
    """(title, cx, cy) of every run point of a chart."""
    found = re.findall(r'<g class="point"[^>]*><title>(.*?)</title><circle class="run[^"]*" '
                       r'cx="([\d.]+)" cy="([\d.]+)"', svg, flags=re.S)  # fmt: skip
    return [(unescape(title), float(cx), float(cy)) for title, cx, cy in found]


def test_points_are_placed_by_run_not_by_time(store_path: Path) -> None:
    t = _trends(store_path)[("tokenize", "seconds")]
    xs = [cx for _, cx, _ in _points(trend_chart(t))]
    assert len(xs) == RUNS
    steps = {round(b - a, 1) for a, b in pairwise(xs)}
    # equal steps although runs are a minute apart except one gap of three days
    assert steps == {round((WIDTH - LEFT - RIGHT) / RUNS, 1)}


def test_run_labels_show_the_short_commit_and_the_date(store_path: Path) -> None:
    t = _trends(store_path)[("tokenize", "seconds")]
    svg = trend_chart(t)
    labels = re.findall(r'<tspan class="commit" x="([\d.]+)">([^<]*)</tspan><tspan class="date" '
                        r'x="[\d.]+" dy="14">([^<]*)</tspan>', svg)  # fmt: skip
    assert len(labels) >= 8  # not just the first and the last
    xs = [cx for _, cx, _ in _points(svg)]
    for x, short, date in labels:
        i = xs.index(float(x))  # a label sits exactly under its run
        assert short == commit(i)[:7]
        assert date == time.strftime("%m-%d %H:%M", time.gmtime(when(i)))
    labelled = {xs.index(float(x)) for x, _, _ in labels}
    assert {0, RUNS - 1, STEP_AT} <= labelled  # first, last and the change point
    assert len(labelled) == len(labels)  # no run labelled twice


def test_labels_thin_out_without_overlapping_on_long_histories(tmp_path: Path) -> None:
    path = tmp_path / "long.sqlite3"
    with SQLiteStore(path) as store:
        store.append_many([RunRecord.new("s", [BenchmarkRecord("b", (0.001 * (1 + 0.001 * (i % 3)),) * 3)],
                                         environment={"git_commit": commit(i)}, timestamp=T0 + i)
                           for i in range(200)])  # fmt: skip
        (t,) = load_trends(store)
    xs = sorted(float(x) for x in re.findall(r'<tspan class="commit" x="([\d.]+)"', trend_chart(t)))
    assert 6 <= len(xs) <= 14
    assert min(b - a for a, b in pairwise(xs)) >= 60  # px of the viewBox: no overlap


def test_every_point_has_a_hover_title_with_value_commit_date_and_verdict(store_path: Path) -> None:
    t = _trends(store_path)[("tokenize", "seconds")]
    points = _points(trend_chart(t))
    for i, (title, _, _) in enumerate(points):
        p = t.points[i]
        lines = title.split("\n")
        assert lines[0] == f"{format_value(p.median)} median of run #{i + 1}"
        assert lines[1] == f"commit {commit(i)[:7]} · {time.strftime('%Y-%m-%d %H:%M', time.gmtime(when(i)))} UTC"
        assert lines[2].startswith(f"verdict: {p.label}")
    assert points[STEP_AT][0].split("\n")[2].startswith("verdict: regression (+")
    assert "verdict: new (no history (0 of 5 runs recorded))" in points[0][0]


def test_a_band_shows_each_runs_spread(store_path: Path) -> None:
    t = _trends(store_path)[("tokenize", "seconds")]
    svg = trend_chart(t)
    (outline,) = re.findall(r'<polygon class="spread" points="([^"]+)"><title>spread of each run: '
                            r"p10–p90 of its samples</title>", svg)  # fmt: skip
    corners = [tuple(map(float, c.split(","))) for c in outline.split()]
    assert len(corners) == 2 * RUNS
    ys = [cy for _, _, cy in _points(svg)]
    upper, lower = corners[:RUNS], corners[RUNS:][::-1]
    for i in range(RUNS):  # the band encloses each median (SVG y grows downwards)
        assert upper[i][1] <= ys[i] <= lower[i][1]
        low, high = spread(t.points[i])
        assert low < t.points[i].median < high


def test_accepted_changes_and_change_points_are_marked(store_path: Path) -> None:
    t = _trends(store_path)[("tokenize", "seconds")]
    assert t.change_points == (STEP_AT,)
    # regressions from the step until alice accepted the new level, none after
    assert t.regressions == tuple(range(STEP_AT, 17))
    svg = trend_chart(t)
    accepted = re.findall(r'<g class="accepted"><line x1="([\d.]+)"[^>]*/><text[^>]*>accepted</text>'
                          r"<title>([^<]*)</title></g>", svg)  # fmt: skip
    stamp = time.strftime("%Y-%m-%d %H:%M", time.gmtime(when(16) + 30))
    assert [unescape(title) for _, title in accepted] == [
        f"accepted {stamp} UTC by alice: new tokenizer is slower, on purpose"]
    xs = [cx for _, cx, _ in _points(svg)]
    assert xs[16] < float(accepted[0][0]) < xs[17]  # between the last run before it and the next
    assert svg.count('class="change-point"') == 1
    assert "change point: new level from run #13 (commit " + commit(STEP_AT)[:7] in unescape(svg)
    parse = trend_chart(_trends(store_path)[("parse", "seconds")])
    assert '<g class="accepted">' not in parse and 'class="change-point"' not in parse
    assert parse.count('class="run noisy"') == 1


def test_summary_lines_with_sparklines_and_the_instruction_series(store_path: Path) -> None:
    trends = _trends(store_path)
    assert set(trends) == {("parse", "seconds"), ("tokenize", "seconds"), ("tokenize", "instructions")}
    html = render_html(list(trends.values()))
    rows = re.findall(r'<tr class="summary-line" data-chart="([^"]+)">(.*?)</tr>', html, flags=re.S)
    assert [r[0] for r in rows] == ["chart-agent-parse", "chart-agent-tokenize-instructions", "chart-agent-tokenize"]
    for _, row in rows:
        assert row.count('<svg xmlns="http://www.w3.org/2000/svg" class="spark"') == 1
        assert "<code>" + commit(RUNS - 1)[:7] + "</code>" in row  # the last run's commit
    instructions = dict(rows)["chart-agent-tokenize-instructions"]
    assert 'agent/tokenize <span class="unit">[instructions]</span>' in instructions
    assert "1.23 M instr" in instructions
    chart = html.split('id="chart-agent-tokenize-instructions"')[1].split("</svg>")[0]
    assert 'data-unit="instructions"' in html and "M instr" in chart
    assert "median instructions per call per run, 20 runs" in chart
    # full width: nothing caps the page or the charts
    assert "max-width" not in html.split("<style>")[1].split("</style>")[0]
    assert "svg.chart { display: block; width: 100%; height: auto; }" in html
    assert "1 regressed in their last run" not in html and "3 benchmarks · 0 regressed" in html


def test_report_in_headless_chromium_shows_commits_and_hover_titles(store_path: Path, tmp_path: Path) -> None:
    from codomyrmex.performance.reporting import write_report

    page = tmp_path / "report.html"
    write_report(page, store=store_path)
    dom = _chromium(page, tmp_path, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert _console_messages(dom.stderr) == []
    rendered = unescape(dom.stdout)
    for i in (0, STEP_AT, RUNS - 1):  # run labels and hover titles made it into the rendered DOM
        assert f">{commit(i)[:7]}</tspan>" in dom.stdout
        assert f"commit {commit(i)[:7]} · " in rendered
    assert rendered.count("median of run #") == 3 * RUNS
    assert "accepted " in rendered and "by alice: new tokenizer is slower, on purpose" in rendered
    shot = tmp_path / "report.png"
    done = _chromium(page, tmp_path, f"--screenshot={shot}", "--window-size=1400,2400")
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    # kept for people to look at: build/test-output/ (ignored by git)
    out = ROOT / "build" / "test-output"
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, out / "report.png")
    shutil.copy(page, out / "report.html")
