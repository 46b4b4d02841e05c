"""Instruction mode: CPU instructions per call, counted by Valgrind, differenced over loop counts.

Wall time on a shared machine moves by tens of percent with the neighbours; the number of
instructions a program executes does not. ``run_benchmark(suite, measure="instructions")`` runs
every benchmark in fresh processes under ``valgrind --tool=cachegrind --cache-sim=no`` and takes
the difference between a process that only sets up and warms up every benchmark and one that, after
the same work, calls benchmark *k* ``loops`` more times::

    instructions per call = (count(warm-up + loops calls of k) - count(warm-up)) / loops

so interpreter start, imports, setup and warmup cancel out (see ``_instructions_child.py``). What
else would make the count vary is fixed: ``PYTHONHASHSEED=0``, no bytecode written
(``PYTHONDONTWRITEBYTECODE``: a first process compiling and a second reading would differ), address
space randomisation off (``setarch -R``, where the kernel allows it), the same small environment and
command-line length in every process. Measured here: the same benchmark gives the same count to
better than 1e-4 from run to run, whatever else runs on the machine.

What the count cannot see: time spent waiting (I/O, sleeps, locks, the network), cache and TLB
misses, branch mispredictions, SIMD width, frequency scaling and everything the kernel does. Use it
to catch regressions in what the interpreter executes; use time mode to see what a user waits for.

    >>> from codomyrmex.performance.benchmarking import BenchmarkSuite, run_benchmark
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
#: a per-round benchmark (setup before each call) runs at most this many calls per process
_MAX_PER_ROUND_LOOPS = 10_000
#: measurements of a suite whose start-up count moved while it was measured
_ATTEMPTS = 3
#: start-up count drift accepted, relative to the smallest differenced segment
_DRIFT_TOLERANCE = 1e-4
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


def _child_env(pycache: Path, *, write: bool = False) -> dict[str, str]:
    """The same small environment for every process: the environment's size moves the stack, and
    hash seed, bytecode caches and locale change what the interpreter executes. Bytecode comes
    from a cache of this measurement's own (``PYTHONPYCACHEPREFIX``), filled by one process run
    without Valgrind first and read-only after that: a process that compiles a module executes
    millions more instructions than one that reads its bytecode, and another process writing
    ``__pycache__`` between two of ours must not move the difference."""
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "PYTHONHASHSEED": "0",
        "PYTHONPYCACHEPREFIX": str(pycache),
        "LC_ALL": "C.UTF-8",
    }
    if not write:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
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
    """The ``Ir`` total of a cachegrind output file."""
    events: list[str] = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("events:"):
                events = line.split()[1:]
            elif line.startswith("summary:"):
                values = line.split()[1:]
                return int(values[events.index("Ir") if "Ir" in events else 0])
    raise BenchmarkError(f"cachegrind wrote no summary line to {str(path)!r}")


class InstructionCounter:
    """Counts instructions of one suite's benchmarks (see the module docstring)."""

    def __init__(self, suite: BenchmarkSuite, timing: Timing) -> None:
        self.suite, self.timing = suite, timing
        self.valgrind = find_valgrind()
        self.prefix = _no_aslr_prefix()
        #: instructions by which the baseline process differed before and after the benchmarks
        self.baseline_drift = 0

    def environment(self) -> dict[str, Any]:
        """What the run's environment records about how instructions were counted."""
        return {
            "measure": "instructions",
            "counter": "valgrind --tool=cachegrind --cache-sim=no",
            "valgrind": _valgrind_version(self.valgrind),
            "aslr": "disabled (setarch -R)" if self.prefix else "enabled (setarch -R not permitted)",
            "pythonhashseed": "0",
        }

    def _loops(self, bench: Benchmark) -> tuple[int, str | None]:
        """Loop count whose calls last >= min_time here (calibrated in this process): enough
        instructions that what does not cancel (a few hundred) is far below 1e-4 of them."""
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
        for b in benches:
            n, error = self._loops(b)
            loops[b.name] = n
            if error is not None:  # failed here: it is not sent to the child at all
                now = time.time_ns()
                out[b.name] = Measurement([], n, error, now, now)
        runnable = [b for b in benches if b.name not in out]
        if not runnable:
            return out
        spec: dict[str, Any] = {
            "suite": self.suite.name,
            "benchmarks": [b.name for b in runnable],
            "loops": [loops[b.name] for b in runnable],
            "gc": self.timing.gc,
            "warmup": max(1, self.timing.warmup),
            "sys_path": [p for p in sys.path if isinstance(p, str)],
        }
        if self.suite.source:
            spec["source"] = self.suite.source
        else:
            spec["pickle"] = _pickled(self.suite, runnable)
        for attempt in range(1, _ATTEMPTS + 1):
            with tempfile.TemporaryDirectory(prefix="codomyrmex-instr-") as tmp:
                spec_path = Path(tmp) / "spec.json"
                spec_path.write_text(json.dumps(spec), encoding="utf-8")
                self._prime(spec_path)
                measured = self._measure(spec_path, runnable, loops, len(benches), progress)
            # the baseline is counted before and after the benchmarks: if what every process
            # does before the loops changed meanwhile (a file the suite imports was edited), the
            # differences are not per-call costs; measure again, and say so if it keeps changing
            # (a setup_per_round benchmark is differenced between its own two processes)
            segments = [m.samples[0] * m.loops for b, m in zip(runnable, measured.values(), strict=True)
                        if m.samples and not b.setup_per_round]  # fmt: skip
            tolerance = _DRIFT_TOLERANCE * min(segments, default=math.inf)
            if self.baseline_drift <= tolerance:
                break
            if attempt == _ATTEMPTS:
                raise BenchmarkError(
                    f"instruction counts of suite {self.suite.name!r} were not reproducible: the same "
                    f"start-up process counted {self.baseline_drift} instructions apart before and "
                    f"after the benchmarks in {_ATTEMPTS} attempts (were files it imports being "
                    "edited?)"
                )
        out.update(measured)
        return {b.name: out[b.name] for b in benches}

    def _measure(
        self, spec_path: Path, runnable: list[Benchmark], loops: dict[str, int], total: int,
        progress: ProgressFn | None,
    ) -> dict[str, Measurement]:  # fmt: skip
        out: dict[str, Measurement] = {}
        benches = self.suite.benchmarks
        base_started = time.time_ns()
        base, base_errors = self._count(spec_path, "B", 0)
        for k, b in enumerate(runnable):
            if progress is not None:
                progress(benches.index(b), total, b.name)
            started = time.time_ns()
            try:
                if b.name in base_errors:
                    raise _Failed(base_errors[b.name])
                if b.setup_per_round:
                    low, _ = self._count(spec_path, "S", k)
                    high, errors = self._count(spec_path, "C", k)
                else:
                    low, high, errors = base, *self._count(spec_path, "L", k)
                if b.name in errors:
                    raise _Failed(errors[b.name])
                n = loops[b.name]
                if high <= low:
                    raise _Failed(f"instruction count did not grow with the loop count "
                                  f"({low} at the lower count, {high} with {n} more calls)")  # fmt: skip
                # started_ns: the baseline process belongs to every benchmark's measurement
                out[b.name] = Measurement([(high - low) / n], n, None, started if k else base_started,
                                          time.time_ns())  # fmt: skip
            except _Failed as exc:
                out[b.name] = Measurement([], loops[b.name], str(exc), started, time.time_ns())
        # the baseline once more: if what every process does before the loops changed while
        # we measured (a file the suite imports was edited, a cache was written), the
        # differences are not per-call costs, and saying so beats recording them
        again, _ = self._count(spec_path, "B", 0, again=True)
        self.baseline_drift = abs(again - base)
        return out

    def _prime(self, spec_path: Path) -> None:
        """Run the baseline once without Valgrind, writing the bytecode every later process reads."""
        cmd = [sys.executable, str(_CHILD), str(spec_path), "B000009"]
        env = _child_env(spec_path.with_name("pycache"), write=True)
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise BenchmarkError(
                f"suite {self.suite.name!r} could not be loaded in a fresh process for instruction "
                f"mode (exit code {proc.returncode}): {proc.stderr.strip()[-2000:] or 'no output'}"
            )

    def _count(self, spec_path: Path, kind: str, index: int, *, again: bool = False) -> tuple[int, dict[str, str]]:
        # the same tag for the baseline counted twice: the child sees the same command line
        tag = f"{kind}{index:06d}"
        cg_out = spec_path.with_name(f"cg.{tag}{'.again' if again else ''}.out")
        cmd = [
            *self.prefix, self.valgrind, "--tool=cachegrind", "--cache-sim=no",
            f"--cachegrind-out-file={cg_out}", f"--log-file={spec_path.with_name(f'vg.{tag}.log')}",
            sys.executable, str(_CHILD), str(spec_path), tag,
        ]  # fmt: skip
        env = _child_env(spec_path.with_name("pycache"))
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        if proc.returncode != 0 or not cg_out.exists():
            log = spec_path.with_name(f"vg.{tag}.log")
            detail = (proc.stderr.strip() or (log.read_text(errors="replace").strip() if log.exists() else ""))
            raise BenchmarkError(
                f"the instruction-count process of suite {self.suite.name!r} failed (exit code "
                f"{proc.returncode}): {detail[-2000:] or 'no output'}"
            )
        result = json.loads(Path(f"{spec_path}.{tag}.json").read_text(encoding="utf-8"))
        return _read_count(cg_out), dict(result["errors"])


class _Failed(Exception):
    pass


def _valgrind_version(path: str) -> str | None:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None
