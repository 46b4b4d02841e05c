"""``codomyrmex-perf bench compare RUN_A RUN_B``: two recorded runs, judged honestly.

Each benchmark is judged with :func:`~codomyrmex.performance.regression.compare_runs`: in time
mode against the run-to-run spread of its recorded history on the current run's host (read from
the store, without the two runs and without noisy runs); without such history the verdict is
``inconclusive`` with the difference, the within-run rank test (labelled as evidence about the
two processes only) and what to do instead. Instruction counts need no history.

    codomyrmex-perf bench compare 3f9c2a 8be01d --store series.sqlite3
    codomyrmex-perf bench compare before.json after.json --json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ..errors import PerformanceError
from ..series._records import json_safe

__all__ = ["run_compare"]


def _history(store: Any, base: Any, cur: Any) -> dict[str, list[Any]]:
    """Per benchmark, the other recorded runs of the current run's host (time mode only)."""
    from ..regression import PastRun

    if store is None:
        return {}
    host = cur.environment.get("hostname")
    skip = {base.run_id, cur.run_id}
    out: dict[str, list[Any]] = {}
    for b in cur.benchmarks:
        if b.unit != "seconds":
            continue
        points = store.history(cur.suite, b.name, limit=200, host=host)
        out[b.name] = [PastRun(p.median, p.samples, p.timestamp, p.noisy)
                       for p in points if p.run_id not in skip]  # fmt: skip
    return out


def _fmt(value: float | None, unit: str) -> str:
    from ..benchmarking import format_seconds

    if value is None:
        return "-"
    return format_seconds(value) if unit == "seconds" else f"{value:,.0f} instr"


def run_compare(args: argparse.Namespace) -> int:
    from ..regression import compare_runs
    from ._bench import _error, _existing_store, _find_run

    try:
        refs = (args.baseline, args.current)
        needs_store = not all(Path(r).is_file() or r.endswith(".json") for r in refs)
        store = _existing_store(args.store) if needs_store or args.store else None
        try:
            base, cur = _find_run(args.baseline, store), _find_run(args.current, store)
            history = _history(store, base, cur)
        finally:
            if store is not None:
                store.close()
        names_a, names_b = {b.name for b in base.benchmarks}, {b.name for b in cur.benchmarks}
        if not names_a & names_b:
            return _error(f"runs {base.run_id[:12]} and {cur.run_id[:12]} have no benchmark in common")
        results = compare_runs(base, cur, history, alpha=args.alpha, min_effect=args.min_effect)
    except PerformanceError as exc:
        return _error(str(exc))
    rows = [c.to_dict() for c in results.values()]
    only = sorted(names_a ^ names_b)
    if args.json:
        print(json.dumps(json_safe({"baseline": base.run_id, "current": cur.run_id, "benchmarks": rows,
                                    "not_in_both": only}), indent=2, allow_nan=False))  # fmt: skip
    else:
        print(f"baseline {base.run_id[:12]} ({base.suite})  vs  current {cur.run_id[:12]} ({cur.suite})")
        w = max([24, *(len(r["benchmark"]) for r in rows)])  # long names keep the columns aligned
        print(f"  {'benchmark':{w}}  {'baseline':>14}  {'current':>14}  {'change':>8}  verdict")
        for c in results.values():
            if c.verdict == "error":
                print(f"  {c.benchmark:{w}}  {'-':>14}  {'-':>14}  {'-':>8}  error: {c.note}")
                continue
            change = "-" if c.change is None else f"{c.change:+.1%}"
            if c.p_value is not None:
                evidence = f" (p={c.p_value:.2g} against the run-to-run spread of {c.history_runs} runs)"
            elif c.unit == "instructions":
                evidence = " (instruction counts)"
            else:
                within = "" if c.within_run_p is None else f"within-run p={c.within_run_p:.2g}; "
                evidence = f" ({within}{c.note})"
            if c.p_value is not None and c.note:
                evidence += f": {c.note}"
            print(f"  {c.benchmark:{w}}  {_fmt(c.baseline, c.unit):>14}  {_fmt(c.current, c.unit):>14}  "
                  f"{change:>8}  {c.verdict}{evidence}")  # fmt: skip
        if only:
            print(f"  not in both runs: {', '.join(only)}")
    regressed = any(c.verdict in ("regression", "error") for c in results.values())
    return 1 if args.fail_on_regression and regressed else 0
