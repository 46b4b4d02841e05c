"""``codomyrmex-perf report --html out.html [--store PATH] [--suite NAME]``: the LEARN report.

Writes one self-contained HTML page (no network needed to view it) with, for each recorded
benchmark, its history with change points and regressions marked, its current verdict and the
p50/p95/p99 of its last run. The report is informative, not a gate: it exits 0 even when the
last run regressed (``codomyrmex-perf bench`` is the gate).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--html", required=True, type=Path, metavar="OUT",
                        help="write the report to this HTML file")  # fmt: skip
    parser.add_argument("--store", type=Path, default=None, metavar="PATH",
                        help="SQLite series store (default: CODOMYRMEX_PERF_STORE or "
                        "~/.local/share/codomyrmex-perf/series.sqlite3)")  # fmt: skip
    parser.add_argument("--suite", default=None, help="only this suite (default: every suite)")
    parser.add_argument("--title", default="codomyrmex benchmark trends", help="page title")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..errors import PerformanceError
    from ..reporting import write_report

    try:
        trends = write_report(args.html, store=args.store, suite=args.suite, title=args.title)
    except (PerformanceError, OSError) as exc:
        print(f"codomyrmex-perf report: error: {exc}", file=sys.stderr)
        return 2
    regressed = sum(1 for t in trends if t.verdict_label == "regression")
    n = len(trends)
    print(f"wrote {args.html}: {n} benchmark{'' if n == 1 else 's'}, {regressed} regressed in their last run")
    return 0
