"""Import cost of ``codomyrmex.performance`` against the libraries it stands beside (issue 12).

Each variant's import statement is timed *inside* a fresh interpreter (``perf_counter`` around
the statement, so interpreter start-up, the same for every variant, does not dilute the ratio).
Variants are interleaved in a freshly shuffled order on every round, so machine drift hits them
all alike, and each row reports the median of the rounds. The three targets:

- ``from codomyrmex.performance import lazy_import``   <= 3.0x ``import lazy_loader``
- ``from codomyrmex.performance import cached_function`` <= 1.5x ``import cachetools``
- all seed names (CacheManager, cached_function, LazyLoader, lazy_import and
  profiling.benchmark's BenchmarkSuite, BenchmarkResult, run_benchmark)
                                                       <= 1.0x ``import opentelemetry.trace, cachetools``

    python benchmarks/bench_import.py [--rounds 21]

Exit status 1 when a target is missed (a benchmark, not a unit test: run it on a quiet machine).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time

SEED = (
    "from codomyrmex.performance import CacheManager, cached_function, LazyLoader, lazy_import; "
    "from codomyrmex.performance.profiling.benchmark import BenchmarkSuite, BenchmarkResult, run_benchmark"
)

VARIANTS: dict[str, str] = {
    "python -c pass": "pass",
    "import lazy_loader": "import lazy_loader",
    "import cachetools": "import cachetools",
    "import opentelemetry.trace, cachetools": "import opentelemetry.trace, cachetools",
    "import codomyrmex.performance": "import codomyrmex.performance",
    "from codomyrmex.performance import lazy_import": "from codomyrmex.performance import lazy_import",
    "from codomyrmex.performance import cached_function": "from codomyrmex.performance import cached_function",
    "all seven seed names": SEED,
    # not targets: what the deferred entry points cost once used (see the note in the output)
    "cachetools + first @cached(TTLCache)": (
        "import cachetools; cachetools.cached(cachetools.TTLCache(1024, 3600))(lambda x: x)"
    ),
    "cached_function + first @cached_function(ttl=)": (
        "from codomyrmex.performance import cached_function; cached_function(ttl=3600)(lambda x: x)"
    ),
}

# (ours, reference, limit on ours / reference)
TARGETS: list[tuple[str, str, float]] = [
    ("from codomyrmex.performance import lazy_import", "import lazy_loader", 3.0),
    ("from codomyrmex.performance import cached_function", "import cachetools", 1.5),
    ("all seven seed names", "import opentelemetry.trace, cachetools", 1.0),
]

# Wall time and CPU time of the statement: on a loaded machine a longer import is preempted more
# often, which inflates wall-time ratios; CPU time (process_time) is the noise-robust companion.
_PROBE = (
    "import time as _t; _s=_t.perf_counter(); _c=_t.process_time(); {code}; "
    "print(_t.perf_counter()-_s, _t.process_time()-_c)"
)

# Bytecode caches on, as in any installed environment (pip writes .pyc files at install time):
# with PYTHONDONTWRITEBYTECODE set, an editable checkout would be timed compiling its sources
# while the references load their installed .pyc files. The warm-up round writes them.
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_once(code: str) -> tuple[float, float, float]:
    """(process wall time, import wall time, import CPU time) of one fresh interpreter, in s."""
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(code=code)], capture_output=True, text=True, check=True, env=_ENV
    )
    wall = time.perf_counter() - start
    imp, cpu = out.stdout.strip().splitlines()[-1].split()
    return wall, float(imp), float(cpu)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=21, help="fresh processes per variant (>= 15)")
    args = parser.parse_args()
    if args.rounds < 15:
        parser.error("--rounds must be >= 15")
    walls: dict[str, list[float]] = {k: [] for k in VARIANTS}
    imports: dict[str, list[float]] = {k: [] for k in VARIANTS}
    cpus: dict[str, list[float]] = {k: [] for k in VARIANTS}
    for code in VARIANTS.values():  # warm the OS file cache and the .pyc files once
        run_once(code)
    for _ in range(args.rounds):
        order = list(VARIANTS)
        random.shuffle(order)
        for name in order:
            wall, imp, cpu = run_once(VARIANTS[name])
            walls[name].append(wall)
            imports[name].append(imp)
            cpus[name].append(cpu)
    med_imp = {k: statistics.median(v) for k, v in imports.items()}
    med_cpu = {k: statistics.median(v) for k, v in cpus.items()}
    med_wall = {k: statistics.median(v) for k, v in walls.items()}
    print(f"import cost, median of {args.rounds} interleaved fresh processes "
          f"(Python {sys.version.split()[0]})")  # fmt: skip
    print(f"{'variant':52} {'import ms':>10} {'import CPU ms':>13} {'process ms':>11}")
    for name in VARIANTS:
        print(f"{name:52} {med_imp[name] * 1e3:10.2f} {med_cpu[name] * 1e3:13.2f} {med_wall[name] * 1e3:11.1f}")
    print()
    print(f"{'target (ours / reference)':60} {'wall':>6} {'CPU':>6} {'limit':>6}  verdict (wall)")
    missed = 0
    for ours, ref, limit in TARGETS:
        ratio = med_imp[ours] / med_imp[ref]
        cpu_ratio = med_cpu[ours] / med_cpu[ref]
        ok = ratio <= limit
        missed += not ok
        label = f"{ours.removeprefix('from codomyrmex.performance ')} / {ref}"
        print(f"{label:60.60} {ratio:5.2f}x {cpu_ratio:5.2f}x {limit:5.1f}x  {'ok' if ok else 'MISSED'}")
    first = "cached_function + first @cached_function(ttl=)"
    ref_first = "cachetools + first @cached(TTLCache)"
    print(f"\n(not a target) import + first decoration: {med_imp[first] / med_imp[ref_first]:.2f}x wall, "
          f"{med_cpu[first] / med_cpu[ref_first]:.2f}x CPU of cachetools': cached_function imports the "
          "decorator, tiers and telemetry stats on its first call")  # fmt: skip
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
