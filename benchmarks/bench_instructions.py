"""Instruction mode on a busy machine: reproducibility, sensitivity and cost (issue 11).

    python benchmarks/bench_instructions.py [--runs 20] [--trials 10] [--min-time 0.005]

While another process keeps a core busy, it

1. runs an unchanged 4-benchmark suite ``--runs`` times with ``measure="instructions"`` into a
   fresh SQLite store and prints, per benchmark, the max/min spread of the counts and how many of
   the judged runs the gate called a regression (target: spread <= 1.001, 0 regressions);
2. ``--trials`` times, copies that store and runs the suite once with one benchmark doing 1 % more
   work (101 instead of 100 repetitions of the same call), and counts the trials whose first run
   after the change is flagged (target: all of them);
3. prints the wall time per benchmark under Valgrind (median over all runs).

Time mode is run on the same busy machine (same suite, same number of runs) for comparison:
its spread and verdicts show why instruction mode exists.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SUITE = '''
import json
from codomyrmex.performance.benchmarking import BenchmarkSuite

suite = BenchmarkSuite("instr_bench")
TEXT = "the quick brown fox jumps over the lazy dog " * 20
DOC = {{"a": list(range(50)), "b": {{"c": "x" * 40}}}}
REPS = {reps}


def _step():
    return sum(range(40))


@suite.benchmark
def tokenize():
    TEXT.split()


@suite.benchmark
def repeated_sum():
    for _ in range(REPS):
        _step()


@suite.benchmark
def json_roundtrip():
    json.loads(json.dumps(DOC))


@suite.benchmark
def sort_words():
    sorted(TEXT.split())
'''


def _busy() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--min-time", type=float, default=0.005)
    parser.add_argument("--time-mode-runs", type=int, default=None, help="default: --runs")
    args = parser.parse_args()

    from codomyrmex.performance.benchmarking import load_suites, run_benchmark
    from codomyrmex.performance.series import SQLiteStore

    tmp = Path(tempfile.mkdtemp(prefix="bench-instr-"))
    (tmp / "unchanged").mkdir()
    (tmp / "changed").mkdir()
    (tmp / "unchanged" / "suite.py").write_text(SUITE.format(reps=100))
    (tmp / "changed" / "suite.py").write_text(SUITE.format(reps=101))
    unchanged = load_suites(tmp / "unchanged" / "suite.py")[0]
    changed = load_suites(tmp / "changed" / "suite.py")[0]
    store_path = tmp / "history.sqlite3"
    names = [b.name for b in unchanged.benchmarks]
    busy = _busy()
    try:
        counts: dict[str, list[float]] = {n: [] for n in names}
        verdicts: dict[str, list[str]] = {n: [] for n in names}
        walls: list[float] = []
        print(f"# {args.runs} runs of the unchanged suite, instruction mode, one core kept busy", flush=True)
        for i in range(args.runs):
            t0 = time.perf_counter()
            with SQLiteStore(store_path) as store:
                run = run_benchmark(unchanged, measure="instructions", min_time=args.min_time, store=store)
            walls.append((time.perf_counter() - t0) / len(names))
            for n in names:
                r = run[n]
                counts[n].append(r.median)
                verdicts[n].append(r.comparison.verdict_name if r.comparison else "-")
            print(f"run {i + 1:2d}: " + "  ".join(f"{n}={run[n].median:,.1f} ({verdicts[n][-1]})" for n in names)
                  + f"  [{walls[-1]:.1f} s per benchmark]", flush=True)  # fmt: skip

        print(f"\n# {args.trials} trials: the first run with repeated_sum doing 1 % more work", flush=True)
        flagged = 0
        trial_changes = []
        for t in range(args.trials):
            copy = tmp / f"trial{t}.sqlite3"
            shutil.copy(store_path, copy)
            t0 = time.perf_counter()
            with SQLiteStore(copy) as store:
                run = run_benchmark(changed, measure="instructions", min_time=args.min_time, store=store)
            walls.append((time.perf_counter() - t0) / len(names))
            c = run["repeated_sum"].comparison
            hit = c is not None and c.verdict is not None and c.verdict.is_regression
            others = [n for n in run.regressions if n != "repeated_sum"]
            flagged += hit
            trial_changes.append(c.change if c is not None and c.change is not None else float("nan"))
            print(f"trial {t + 1:2d}: repeated_sum {c.verdict_name if c else '-'} "
                  f"change {trial_changes[-1]:+.3%}; other benchmarks flagged: {others or 'none'}", flush=True)  # fmt: skip

        time_runs = args.time_mode_runs if args.time_mode_runs is not None else args.runs
        time_medians: dict[str, list[float]] = {n: [] for n in names}
        time_regressions = 0
        if time_runs:
            print(f"\n# for comparison: {time_runs} runs of the same suite in time mode, same busy machine", flush=True)
            time_store = tmp / "time.sqlite3"
            for _ in range(time_runs):
                with SQLiteStore(time_store) as store:
                    run = run_benchmark(unchanged, rounds=20, store=store)
                for n in names:
                    time_medians[n].append(run[n].median)
                time_regressions += len(run.regressions)
    finally:
        busy.kill()
        busy.wait()

    judged = max(0, args.runs - 5)
    print("\n## instruction mode, unchanged suite, one core busy")
    print(f"| benchmark | instructions/call (median) | max/min over {args.runs} runs | regressions in {judged} judged runs "
          "| time mode max/min |")
    print("|---|---:|---:|---:|---:|")
    for n in names:
        c = counts[n]
        spread = max(c) / min(c)
        regs = sum(v == "regression" for v in verdicts[n])
        tm = time_medians[n]
        tspread = f"{max(tm) / min(tm):.3f}" if tm else "-"
        print(f"| {n} | {statistics.median(c):,.1f} | {spread:.6f} | {regs} | {tspread} |")
    print(f"\n+1 % change flagged on its first run: {flagged}/{args.trials} trials "
          f"(measured change: median {statistics.median(trial_changes):+.3%})")
    print(f"time mode regressions over {time_runs} unchanged runs (4 benchmarks each): {time_regressions}")
    print(f"wall time per benchmark under valgrind: median {statistics.median(walls):.1f} s "
          f"(min {min(walls):.1f}, max {max(walls):.1f}; {len(names)} benchmarks per suite run, "
          f"one valgrind process per run)")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
