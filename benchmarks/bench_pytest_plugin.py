"""The pytest plugin against pytest-benchmark on the same test file, in one run.

    .venv/bin/python benchmarks/bench_pytest_plugin.py [--quick]

Runs one test file (plain call, pedantic, parametrized, class-based benchmarks of a few µs to a
few hundred µs) alternately under pytest-benchmark (``-p no:codomyrmex_perf
--benchmark-json``) and under this plugin (``-p no:benchmark --perf-store``), each in a fresh
pytest process, SESSIONS times each, interleaved so that machine drift hits both alike. Per
benchmark it prints the median over sessions of each tool's median time per call and their
ratio (ours / pytest-benchmark: agreement of the two measurements, 1.00 = same number), and the
median wall time of a whole session (what each costs a test run).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from codomyrmex.performance.series import SQLiteStore

QUICK = "--quick" in sys.argv
SESSIONS = 3 if QUICK else 7
#: extra options for this plugin's sessions (e.g. --perf-min-time=0.0002 --perf-rounds=100)
OURS = [a for a in sys.argv[1:] if a.startswith("--perf-")]

TESTS = '''
import pytest

def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)

def test_fib15(benchmark):
    benchmark(fib, 15)

def test_sort_pedantic(benchmark):
    benchmark.pedantic(sorted, args=(list(range(2000, 0, -1)),), rounds=30, iterations=20, warmup_rounds=3)

@pytest.mark.parametrize("n", [100, 10000])
def test_sum(benchmark, n):
    benchmark(sum, range(n))

class TestStrings:
    def test_join(self, benchmark):
        benchmark(",".join, ["abc"] * 200)
'''

NAMES = ["test_fib15", "test_sort_pedantic", "test_sum[100]", "test_sum[10000]", "TestStrings::test_join"]


def _pytest(where: Path, *args: str) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                          cwd=where, capture_output=True, text=True)  # fmt: skip
    if proc.returncode != 0:
        raise SystemExit(f"pytest {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return time.perf_counter() - t0


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(tmp)
        (where / "test_bench.py").write_text(TESTS)
        store = where / "ours.sqlite3"
        theirs: dict[str, list[float]] = {n: [] for n in NAMES}
        walls: dict[str, list[float]] = {"pytest-benchmark": [], "codomyrmex-perf": []}
        for i in range(SESSIONS):
            out = where / f"pb{i}.json"
            walls["pytest-benchmark"].append(_pytest(where, "-p", "no:codomyrmex_perf", f"--benchmark-json={out}"))
            for b in json.loads(out.read_text())["benchmarks"]:
                theirs[b["fullname"].split("::", 1)[1]].append(b["stats"]["median"])
            walls["codomyrmex-perf"].append(_pytest(where, "-p", "no:benchmark", f"--perf-store={store}", *OURS))
        with SQLiteStore(store) as s:
            runs = s.runs("test_bench.py")
        ours = {n: [r.benchmark(n).median for r in runs] for n in NAMES}
    print(f"pytest plugin vs pytest-benchmark, {SESSIONS} interleaved sessions each, medians of "
          f"per-session medians; ours with {' '.join(OURS) or 'default options'}")
    print(f"{'benchmark':26} {'pytest-benchmark':>17} {'codomyrmex-perf':>16} {'ratio':>6}")
    for n in NAMES:
        t, o = statistics.median(theirs[n]), statistics.median(v for v in ours[n] if v is not None)
        print(f"{n:26} {t * 1e6:14.2f} µs {o * 1e6:13.2f} µs {o / t:6.2f}")
    pb, ours_wall = statistics.median(walls["pytest-benchmark"]), statistics.median(walls["codomyrmex-perf"])
    print(f"{'session wall time':26} {pb:15.2f} s {ours_wall:14.2f} s {ours_wall / pb:6.2f}")


if __name__ == "__main__":
    main()
