"""Import cost of ``codomyrmex.performance`` against ``python -c pass`` and its own dependencies.

Each variant runs in a fresh interpreter; variants are interleaved in a shuffled order on every
round (so machine drift hits them all alike) and we report the median of the rounds, as wall time
of the whole process and as the in-process time of the import statement alone.

    python benchmarks/bench_import.py [--rounds 15]
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import time

VARIANTS: dict[str, str] = {
    "python -c pass": "pass",
    "opentelemetry.trace + cachetools": "import opentelemetry.trace, cachetools",
    "codomyrmex.performance": "import codomyrmex.performance",
    "public names (CacheManager, ...)": (
        "from codomyrmex.performance import CacheManager, cached_function, LazyLoader, lazy_import"
    ),
}

# The in-process timer isolates the import statement from interpreter start-up, which dominates
# the wall time and is the same for every variant.
_PROBE = "import time as _t; _s=_t.perf_counter(); {code}; print(_t.perf_counter()-_s)"


def run_once(code: str) -> tuple[float, float]:
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(code=code)], capture_output=True, text=True, check=True
    )
    wall = time.perf_counter() - start
    return wall, float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=15, help="fresh processes per variant (>= 15)")
    args = parser.parse_args()
    walls: dict[str, list[float]] = {k: [] for k in VARIANTS}
    imports: dict[str, list[float]] = {k: [] for k in VARIANTS}
    for code in VARIANTS.values():  # warm the OS file cache once
        run_once(code)
    for _ in range(args.rounds):
        order = list(VARIANTS)
        random.shuffle(order)
        for name in order:
            wall, imp = run_once(VARIANTS[name])
            walls[name].append(wall)
            imports[name].append(imp)
    base_wall = statistics.median(walls["python -c pass"])
    ref_imp = statistics.median(imports["opentelemetry.trace + cachetools"])
    print(f"import cost, median of {args.rounds} interleaved fresh processes ({sys.version.split()[0]})")
    print(f"{'variant':36} {'process ms':>11} {'vs pass':>8} {'import ms':>10} {'vs otel+ct':>11}")
    for name in VARIANTS:
        wall = statistics.median(walls[name])
        imp = statistics.median(imports[name])
        print(f"{name:36} {wall * 1e3:11.1f} {wall / base_wall:7.2f}x {imp * 1e3:10.2f} "
              f"{imp / ref_imp:10.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
