"""Instruction mode: CPU instructions per call, counted by Valgrind, differenced over loop counts.

Wall time on a shared machine moves by tens of percent with the neighbours; the number of
instructions a program executes does not. ``run_benchmark(suite, measure="instructions")`` runs
the suite in a fresh process under ``valgrind --tool=callgrind`` (no cache simulation). After
setup and warmup, each benchmark runs ``loops`` calls, then ``2 * loops`` calls, with a marker
(``os.sched_yield()``, where callgrind dumps its counters: ``--dump-before=sched_yield``) around
each segment (a first segment absorbs the bookkeeping between benchmarks)::

    instructions per call = (count(2 * loops calls) - count(loops calls)) / loops

so interpreter start, imports, setup, warmup and the marker itself cancel out; three such pairs
are measured and their median kept, so a one-off event in one segment cannot move it (see
``_instructions_child.py``). What else would make the count vary is fixed: ``PYTHONHASHSEED=0``,
address space randomisation off (``setarch -R``, where the kernel allows it), the same small
environment, no bytecode written, the collector off while benchmarks run (unless ``gc=True``).
Measured here: the same benchmark gives the same count to ~3e-5 from run to run, whatever else
runs on the machine, in the same set-up (interpreter, virtual environment, import path); another
set-up can offset every count by a few percent (memory layout), so compare runs of one set-up.

What the count cannot see: time spent waiting (I/O, sleeps, locks, the network), cache and TLB
misses, branch mispredictions, SIMD width, frequency scaling and everything the kernel does. Use it
to catch regressions in what the interpreter executes; use time mode to see what a user waits for.

    >>> suite = load_suites("benchmarks/agent_suite.py")[0]           # doctest: +SKIP
    >>> run = run_benchmark(suite, measure="instructions")             # doctest: +SKIP
    >>> run["tokenize"].unit, run["tokenize"].median                   # doctest: +SKIP
    ('instructions', 48211.0)
"""

from __future__ import annotations

import base64
import json
import math
import os
import pickle
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import BenchmarkError
from ._suite import Benchmark, BenchmarkSuite
from ._timing import Measurement, Timing, _describe, calibrate

__all__ = ["MEASURES", "InstructionCounter", "check_measure"]

#: what a benchmark can measure: seconds per call or CPU instructions per call
MEASURES = ("time", "instructions")
_CHILD = Path(__file__).with_name("_instructions_child.py")
#: (loops, 2 * loops) segment pairs measured per benchmark, after one segment that absorbs the
#: bookkeeping between benchmarks; the child is told the count in its spec
_PAIRS = 3
#: a per-round benchmark (setup before each call) runs at most this many calls per process
_MAX_PER_ROUND_LOOPS = 10_000
ProgressFn = Callable[[int, int, str], None]


def check_measure(measure: object) -> str:
    """``measure`` if it is ``"time"`` or ``"instructions"``, else a BenchmarkError naming both."""
    if measure not in MEASURES:
        raise BenchmarkError(f"measure must be one of {', '.join(map(repr, MEASURES))}, got {measure!r}")
    return str(measure)


def find_valgrind() -> str:
    """The ``valgrind`` executable, or a BenchmarkError saying which package provides it."""
    path = shutil.which("valgrind")
    if path is None:
        raise BenchmarkError(
            "measure='instructions' counts instructions with Valgrind, which is not installed "
            "(no 'valgrind' on PATH): install it, e.g. `apt-get install valgrind` (Debian/Ubuntu "
            "package valgrind), or use measure='time'"
        )
    return path


def _no_aslr_prefix() -> list[str]:
    """``setarch <machine> -R`` when it works here (a container may forbid personality())."""
    setarch = shutil.which("setarch")
    if setarch is None:
        return []
    prefix = [setarch, platform.machine(), "-R"]
    try:
        ok = subprocess.run([*prefix, "true"], capture_output=True, timeout=10, check=False).returncode == 0
    except (OSError, subprocess.SubprocessError):
        ok = False
    return prefix if ok else []


def _child_env() -> dict[str, str]:
    """The same small environment for every run: the environment's size moves the stack, and
    hash seed and locale change what the interpreter executes."""
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",  # measuring leaves nothing behind
        "LC_ALL": "C.UTF-8",
    }
    if "HOME" in os.environ:
        env["HOME"] = os.environ["HOME"]
    return env


def _pickled(suite: BenchmarkSuite, benches: list[Benchmark]) -> str:
    """The benchmarks, pickled by reference for the child, or a BenchmarkError saying why not."""
    for b in benches:
        for fn in (b.func, b.setup):
            if fn is not None and getattr(fn, "__module__", None) == "__main__":
                raise BenchmarkError(
                    f"benchmark {b.name!r} of suite {suite.name!r} is defined in __main__: instruction "
                    "mode runs it again in a fresh process under Valgrind, which cannot find it "
                    "there; define the suite in a file and load it with load_suites(path) (as "
                    "`codomyrmex-perf bench run FILE` does) or in an importable module"
                )
    try:
        return base64.b64encode(pickle.dumps(benches)).decode("ascii")
    except (pickle.PicklingError, AttributeError, TypeError) as exc:
        raise BenchmarkError(
            f"suite {suite.name!r} cannot be sent to a fresh process for instruction mode ({exc}): "
            "define its benchmarks as module-level functions, or define the suite in a file and "
            "load it with load_suites(path) (as `codomyrmex-perf bench run FILE` does)"
        ) from exc


def _read_count(path: Path) -> int:
    """The ``Ir`` total of one callgrind dump."""
    events: list[str] = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("events:"):
                events = line.split()[1:]
            elif line.startswith(("summary:", "totals:")):
                values = line.split()[1:]
                return int(values[events.index("Ir") if "Ir" in events else 0])
    raise BenchmarkError(f"callgrind wrote no totals to {str(path)!r}")


class InstructionCounter:
    """Counts instructions of one suite's benchmarks (see the module docstring)."""

    def __init__(self, suite: BenchmarkSuite, timing: Timing) -> None:
        self.suite, self.timing = suite, timing
        self.valgrind = find_valgrind()
        self.prefix = _no_aslr_prefix()

    def environment(self) -> dict[str, Any]:
        """What the run's environment records about how instructions were counted."""
        return {
            "measure": "instructions",
            "counter": "valgrind --tool=callgrind, segments of loops and 2*loops calls differenced",
            "valgrind": _valgrind_version(self.valgrind),
            "aslr": "disabled (setarch -R)" if self.prefix else "enabled (setarch -R not permitted)",
            "pythonhashseed": "0",
        }

    def _loops(self, bench: Benchmark) -> tuple[int, str | None]:
        """Loop count whose calls last >= min_time here (calibrated in this process): enough
        instructions that what does not cancel is far below 1e-4 of them."""
        timing = Timing(0, 1, max(self.timing.min_time, 1e-4), self.timing.gc, None, self.timing.timer_overhead)
        try:
            if bench.setup_per_round:
                t0 = time.perf_counter()
                bench.prepare()()
                once = max(time.perf_counter() - t0, 1e-9)
                return min(_MAX_PER_ROUND_LOOPS, max(1, math.ceil(timing.min_time / once))), None
            return calibrate(bench.prepare(), timing), None
        except (Exception, SystemExit) as exc:
            return 1, _describe(exc)

    def measure(self, progress: ProgressFn | None = None) -> dict[str, Measurement]:
        benches = self.suite.benchmarks
        out: dict[str, Measurement] = {}
        loops: dict[str, int] = {}
        for i, b in enumerate(benches):
            if progress is not None:
                progress(i, len(benches), f"{b.name} (calibrating)")
            n, error = self._loops(b)
            loops[b.name] = n
            if error is not None:  # failed here: it is not sent to the child at all
                now = time.time_ns()
                out[b.name] = Measurement([], n, error, now, now)
        runnable = [b for b in benches if b.name not in out]
        if runnable:
            out.update(self._run_child(runnable, loops, progress, len(benches)))
        return {b.name: out[b.name] for b in benches}

    def _run_child(
        self, runnable: list[Benchmark], loops: dict[str, int], progress: ProgressFn | None, total: int
    ) -> dict[str, Measurement]:
        n_pairs = _PAIRS
        segments = 1 + 2 * n_pairs
        spec: dict[str, Any] = {
            "suite": self.suite.name,
            "benchmarks": [b.name for b in runnable],
            "loops": [loops[b.name] for b in runnable],
            "pairs": n_pairs,
            "gc": self.timing.gc,
            "warmup": max(1, self.timing.warmup),
            "sys_path": [p for p in sys.path if isinstance(p, str)],
        }
        if self.suite.source:
            spec["source"] = self.suite.source
        else:
            spec["pickle"] = _pickled(self.suite, runnable)
        if progress is not None:
            progress(0, total, f"{len(runnable)} benchmarks under valgrind")
        started = time.time_ns()
        with tempfile.TemporaryDirectory(prefix="codomyrmex-instr-") as tmp:
            spec_path = Path(tmp) / "spec.json"
            spec_path.write_text(json.dumps(spec), encoding="utf-8")
            cg_out = Path(tmp) / "callgrind.out"
            log = Path(tmp) / "valgrind.log"
            cmd = [
                *self.prefix, self.valgrind, "--tool=callgrind", "--dump-before=sched_yield",
                f"--callgrind-out-file={cg_out}", f"--log-file={log}",
                sys.executable, str(_CHILD), str(spec_path),
            ]  # fmt: skip
            proc = subprocess.run(cmd, env=_child_env(), capture_output=True, text=True, check=False)
            result_path = Path(f"{spec_path}.json")
            if proc.returncode != 0 or not result_path.exists():
                detail = proc.stderr.strip() or (log.read_text(errors="replace").strip() if log.exists() else "")
                raise BenchmarkError(
                    f"the instruction-count process of suite {self.suite.name!r} failed (exit code "
                    f"{proc.returncode}): {detail[-2000:] or 'no output'}"
                )
            result = json.loads(result_path.read_text(encoding="utf-8"))
            measured: list[str] = result["measured"]
            errors: dict[str, str] = result["errors"]
            # dump 1 is everything before the first marker; then `segments` per benchmark
            dumps = sorted(Path(tmp).glob("callgrind.out.*"), key=lambda p: int(p.suffix[1:]))
            if len(dumps) != 1 + segments * len(measured):
                raise BenchmarkError(
                    f"instruction counts of suite {self.suite.name!r} cannot be attributed: expected "
                    f"{1 + segments * len(measured)} callgrind dumps, got {len(dumps)} (does a benchmark "
                    "call os.sched_yield(), the marker between segments?)"
                )
            counts = [_read_count(d) for d in dumps[1:]]
        ended = time.time_ns()
        out: dict[str, Measurement] = {}
        for b in runnable:
            n = loops[b.name]
            if b.name in errors:
                out[b.name] = Measurement([], n, errors[b.name], started, ended)
                continue
            first = segments * measured.index(b.name) + 1  # after the absorbing segment
            pairs = [(counts[first + 2 * i], counts[first + 2 * i + 1]) for i in range(n_pairs)]
            flat = [(low, high) for low, high in pairs if high <= low]
            if flat:
                low, high = flat[0]
                out[b.name] = Measurement([], n, f"instruction count did not grow with the loop count "
                                                 f"({low} for {n} calls, {high} for {2 * n})", started, ended)  # fmt: skip
                continue
            # the median over the pairs: a one-off event in one segment does not move it
            per_call = statistics.median((high - low) / n for low, high in pairs)
            out[b.name] = Measurement([per_call], n, None, started, ended)
        return out


def _valgrind_version(path: str) -> str | None:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None
