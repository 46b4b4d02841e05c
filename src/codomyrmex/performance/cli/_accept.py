"""``codomyrmex-perf bench accept SUITE [BENCHMARK] --note TEXT``: accept a change of level.

A regression stays a regression on every later run until its level returns or a person accepts
it. Accepting records who, when and why in the store (append-only); from then on the level the
benchmark has reached is its baseline. Without BENCHMARK every benchmark of the suite is accepted.

    codomyrmex-perf bench accept agent_performance tokenize --note "new tokenizer, 8 % slower by design"
    codomyrmex-perf bench history agent_performance tokenize     # shows the accepted change
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from ..errors import PerformanceError

__all__ = ["acceptance_lines", "register_accept", "run_accept"]


def register_accept(sub: Any) -> None:
    acc = sub.add_parser("accept", help="accept a benchmark's new level (recorded with who/when/why)")
    acc.add_argument("suite")
    acc.add_argument("benchmark", nargs="?", help="default: every benchmark of the suite")
    acc.add_argument("--note", required=True, help="why the new level is intended (recorded)")
    acc.add_argument("--store", help="SQLite store path")
    acc.add_argument("--who", help="who accepts (default: the login name)")
    acc.add_argument("--unit", choices=("seconds", "instructions"), default="seconds",
                     help="which series (default seconds)")  # fmt: skip
    acc.add_argument("--host", help="only this host's series (default: every host)")
    acc.set_defaults(func=run_accept)


def run_accept(args: argparse.Namespace) -> int:
    from ._bench import _error, _existing_store

    try:
        with _existing_store(args.store) as store:
            if args.suite not in store.suites():
                known = ", ".join(store.suites()) or "none"
                return _error(f"no runs of suite {args.suite!r} in {store.path} (suites: {known})")
            if args.benchmark is not None and args.benchmark not in store.benchmarks(args.suite):
                known = ", ".join(store.benchmarks(args.suite))
                return _error(f"no benchmark {args.benchmark!r} in suite {args.suite!r} (benchmarks: {known})")
            a = store.accept(args.suite, args.benchmark, note=args.note, who=args.who,
                             unit=args.unit, host=args.host)  # fmt: skip
    except PerformanceError as exc:
        return _error(str(exc))
    what = f"{a.suite}/{a.benchmark}" if a.benchmark else f"every benchmark of {a.suite}"
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(a.timestamp))
    print(f"accepted the current {a.unit} level of {what} at {when} by {a.who}: {a.note}")
    return 0


def acceptance_lines(store: Any, suite: str, benchmark: str | None) -> list[str]:
    """``bench history``'s lines for the accepted changes of ``suite`` (of ``benchmark``)."""
    read = getattr(store, "acceptances", None)
    if read is None:
        return []
    lines = []
    for a in read(suite):
        if benchmark is not None and a.benchmark not in (None, benchmark):
            continue
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(a.timestamp))
        target = a.benchmark or "(all benchmarks)"
        host = f" on {a.host}" if a.host else ""
        lines.append(f"  accepted {when}  {target} [{a.unit}{host}] by {a.who}: {a.note}")
    return lines
