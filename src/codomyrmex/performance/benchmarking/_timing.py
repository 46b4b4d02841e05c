"""How one benchmark is timed: calibration, warmup, samples, GC, worker processes.

Like timeit and pyperf, a *sample* is the mean time of ``loops`` back-to-back calls, with
``loops`` calibrated so that a sample lasts at least ``min_time`` and at least 100× the timer's
own overhead (the overhead is then < 1 % of a sample). Warmup samples run first and are thrown
away (caches, branch predictors, lazy imports). The garbage collector is disabled while a sample
is timed unless ``gc=True``: a collection triggered by an earlier benchmark's garbage would
otherwise land in a random sample. A benchmark that raises is reported as *failed* with the
exception; it is never timed as if it had succeeded.

    >>> from codomyrmex.performance.benchmarking._timing import Timing, measure
    >>> m = measure(lambda: sum(range(100)), Timing(rounds=5, min_time=0.001))
    >>> len(m.samples), m.error
    (5, None)
"""

from __future__ import annotations

import gc as _gc
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import BenchmarkError

__all__ = ["Measurement", "Timing", "calibrate", "measure", "measure_isolated", "measure_per_round"]

#: a sample must last at least this many timer overheads (=> overhead < 1 % of a sample)
_OVERHEAD_FACTOR = 100
_MAX_LOOPS = 10**8


@dataclass(frozen=True, slots=True)
class Timing:
    """Timing options. ``loops=None`` calibrates; ``timer_overhead`` is measured per run."""

    warmup: int = 1
    rounds: int = 20
    min_time: float = 0.005
    gc: bool = False
    loops: int | None = None
    timer_overhead: float = 1e-7


@dataclass(slots=True)
class Measurement:
    """Samples (seconds per call) of one benchmark, or the error that stopped it."""

    samples: list[float] = field(default_factory=list)
    loops: int = 1
    error: str | None = None
    started_ns: int = 0
    ended_ns: int = 0
    #: fraction of the timed wall time this thread spent runnable but waiting for a CPU
    #: (``/proc/thread-self/schedstat``); None where the kernel does not say
    cpu_wait: float | None = None
    #: CPU time of this thread over the timed wall time (~1.0 alone on a CPU)
    cpu_ratio: float | None = None


def _schedstat() -> tuple[int, int] | None:
    """(CPU time, run-queue wait) of this thread in ns, or None. The run-queue wait is the
    evidence of a disturbed sample: time the benchmark was ready to run and another process had
    the CPU -- unlike CPU time alone, it does not count a benchmark's own sleeps or I/O."""
    try:
        with open("/proc/thread-self/schedstat", encoding="ascii") as fh:
            cpu, wait, _ = fh.read().split()
        return int(cpu), int(wait)
    except (OSError, ValueError):
        return None


def _scheduling(m: Measurement, before: tuple[int, int] | None, cpu: float, wall: float) -> None:
    """CPU time from the thread clock (exact); the run-queue wait from schedstat, which the
    kernel updates at context switches only, so it is lumpy over short windows and is read
    only together with the CPU ratio (see ``_noise.disturbed``)."""
    if wall <= 0:
        return
    m.cpu_ratio = cpu / wall
    after = _schedstat()
    if before is not None and after is not None:
        m.cpu_wait = (after[1] - before[1]) / 1e9 / wall


def _sample(call: Callable[[], Any], loops: int, gc_enabled: bool) -> float:
    timer = time.perf_counter
    was_enabled = _gc.isenabled()
    if not gc_enabled:
        _gc.disable()
    try:
        loop = range(loops)
        t0 = timer()
        for _ in loop:
            call()
        t1 = timer()
    finally:
        if was_enabled:
            _gc.enable()
    return t1 - t0


def calibrate(call: Callable[[], Any], timing: Timing) -> int:
    """Smallest power-of-ten-ish loop count whose sample lasts >= the target duration.

    A sample that reaches the target is confirmed by a second one at the same count, and the
    shorter of the two counts: an interrupt or a preemption only ever lengthens a sample, so
    one disturbed sample would otherwise stop calibration at a count whose real samples last
    a tenth of the target (seen in CI: 10 loops of an empty call, 0.8 µs against 12 µs).
    """
    target = max(timing.min_time, timing.timer_overhead * _OVERHEAD_FACTOR)
    loops = 1
    while True:
        elapsed = _sample(call, loops, timing.gc)
        if elapsed >= target and loops < _MAX_LOOPS:
            elapsed = min(elapsed, _sample(call, loops, timing.gc))
        if elapsed >= target or loops >= _MAX_LOOPS:
            return loops
        if elapsed <= 0:
            loops *= 10
            continue
        # aim 20 % above the target so that noise does not leave half the samples short
        loops = min(_MAX_LOOPS, max(loops * 2, math.ceil(loops * target * 1.2 / elapsed)))


class ErrorText(str):
    """What stopped a benchmark, one line (``KeyError: 'k'``), plus where: ``location`` is
    ``file:line in function`` of the innermost frame outside this library and ``traceback`` the
    formatted frames of the benchmark's own code. A ``str`` so the store, JSON and every equality
    keep working; the CLI and ``SuiteRun.report()`` show the location and the traceback."""

    location: str | None = None
    traceback: str | None = None


_OWN_CODE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _shown_path(filename: str) -> str:
    # relative to the working directory when under it: short in a table, still clickable
    try:
        rel = os.path.relpath(filename)
    except ValueError:  # another drive on Windows
        return filename
    return filename if rel.startswith("..") else rel


def _describe(exc: BaseException) -> str:
    import traceback

    text = ErrorText(f"SystemExit: exit code {exc.code!r}" if isinstance(exc, SystemExit)
                     else f"{type(exc).__name__}: {exc}")  # fmt: skip
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not os.path.abspath(f.filename).startswith(_OWN_CODE)]  # fmt: skip
    if frames:
        last = frames[-1]
        text.location = f"{_shown_path(last.filename)}:{last.lineno} in {last.name}"
        text.traceback = "Traceback (most recent call last):\n" + "".join(
            traceback.format_list(frames)) + "".join(traceback.format_exception_only(exc))  # fmt: skip
    return text


def measure(call: Callable[[], Any], timing: Timing, rounds: int | None = None) -> Measurement:
    """Calibrate (unless ``timing.loops``), warm up, then take ``rounds`` samples of ``call``."""
    m = Measurement(started_ns=time.time_ns())
    try:
        loops = timing.loops if timing.loops is not None else calibrate(call, timing)
        m.loops = loops
        for _ in range(timing.warmup):
            _sample(call, loops, timing.gc)
        sched, cpu0, wall0 = _schedstat(), time.thread_time(), time.perf_counter()
        for _ in range(timing.rounds if rounds is None else rounds):
            m.samples.append(_sample(call, loops, timing.gc) / loops)
        _scheduling(m, sched, time.thread_time() - cpu0, time.perf_counter() - wall0)
    except (Exception, SystemExit) as exc:  # reported as a failed benchmark, never as a time
        # sys.exit() inside a benchmark fails that benchmark, not the whole suite; Ctrl-C
        # (KeyboardInterrupt) still stops everything
        m.samples = []
        m.error = _describe(exc)
    m.ended_ns = time.time_ns()
    return m


def _worker(call: Callable[[], Any], timing: Timing, rounds: int, conn: Any) -> None:
    try:
        result = measure(call, timing, rounds)
        conn.send((result.samples, result.loops, result.error))
    except BaseException as exc:  # pragma: no cover - reported to the parent
        conn.send(([], timing.loops or 1, _describe(exc)))
    finally:
        conn.close()
        os._exit(0)  # no atexit handlers, no inherited exporter flushes in the child


def measure_isolated(call: Callable[[], Any], timing: Timing, workers: int) -> Measurement:
    """Like :func:`measure`, but samples are taken in ``workers`` fresh processes (forked, one
    after the other) so that one process's state (allocator, caches, JIT-like warmups in
    libraries) does not bias every sample. Loops are calibrated once, in this process."""
    import multiprocessing  # deferred: only isolate=N needs it

    if "fork" not in multiprocessing.get_all_start_methods():
        raise BenchmarkError("isolate=N needs the 'fork' start method, not available here")
    ctx = multiprocessing.get_context("fork")
    m = Measurement(started_ns=time.time_ns())
    try:
        loops = timing.loops if timing.loops is not None else calibrate(call, timing)
    except (Exception, SystemExit) as exc:
        m.error, m.ended_ns = _describe(exc), time.time_ns()
        return m
    m.loops = loops
    fixed = Timing(timing.warmup, timing.rounds, timing.min_time, timing.gc, loops, timing.timer_overhead)
    per_worker = [timing.rounds // workers + (1 if i < timing.rounds % workers else 0) for i in range(workers)]
    for rounds in per_worker:
        if rounds == 0:
            continue
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_worker, args=(call, fixed, rounds, child), daemon=True)
        proc.start()
        child.close()
        try:
            samples, _, error = parent.recv()
        except EOFError:
            samples, error = [], f"worker process died (exit code {proc.exitcode})"
        proc.join()
        parent.close()
        if error is not None:
            m.samples, m.error = [], error
            break
        m.samples.extend(samples)
    m.ended_ns = time.time_ns()
    return m


def measure_per_round(prepare: Callable[[], Callable[[], Any]], timing: Timing) -> Measurement:
    """Like :func:`measure`, but ``prepare()`` (the benchmark's setup, untimed) runs before every
    sample and each sample is a single call, for benchmarks that consume what setup made."""
    m = Measurement(started_ns=time.time_ns())
    try:
        for i in range(timing.warmup + timing.rounds):
            call = prepare()
            elapsed = _sample(call, 1, timing.gc)
            if i >= timing.warmup:
                m.samples.append(elapsed)
    except (Exception, SystemExit) as exc:
        m.samples = []
        m.error = _describe(exc)
    m.ended_ns = time.time_ns()
    return m
