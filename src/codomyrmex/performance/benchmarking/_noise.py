"""What the machine was doing while a suite was timed, and whether a result was disturbed.

Like ``pyperf system show``, a run records what bears on timing noise -- load average, CPU
frequency and governor (where ``/sys`` has them), address space randomisation, the process's
maximum RSS, and CPU time against wall time -- and warns when the machine is visibly busy::

    >>> from codomyrmex.performance.benchmarking._noise import busy_warnings
    >>> busy_warnings({"load_average": [3.5, 2.0, 1.0], "cpu_count": 2})
    ['the machine is busy: load average 3.5 over the last minute on 2 CPUs; other processes compete for the CPU and timings will be noisy (measure="instructions" is not affected)']

A benchmark whose own evidence says it was disturbed -- its thread got less than
:data:`DISTURBED_CPU_RATIO` of the wall time as CPU time while it was timed and the kernel's
``schedstat`` says it waited for a CPU meanwhile -- is measured again, at most :data:`REMEASURE`
times; if it stays disturbed, or the canary timed next to it was far off the run's median, it is
recorded as ``noisy``: kept and shown, never part of a baseline.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._timing import Measurement

__all__ = [
    "DISTURBED_CPU_RATIO",
    "REMEASURE",
    "busy_warnings",
    "disturbed",
    "finish_noise",
    "max_rss_bytes",
    "measure_undisturbed",
    "system_state",
]

#: a benchmark that got less CPU time than this fraction of the wall time it took spent most of
#: its samples waiting (a single-threaded benchmark alone on a CPU gets ~1.0; with two other busy
#: processes on two CPUs ~0.67, which the gate's run-to-run spread absorbs: "CPU time << wall
#: time" is the case no spread absorbs)
DISTURBED_CPU_RATIO = 0.5
#: how many times a disturbed benchmark is measured again before it is recorded as noisy
REMEASURE = 2

_ASLR = {"0": "disabled", "1": "partial (stack, mmap)", "2": "full"}


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None


def system_state() -> dict[str, Any]:
    """Load average, CPU count, governor and frequency, ASLR -- what is readable here."""
    state: dict[str, Any] = {"cpu_count": os.cpu_count()}
    with contextlib.suppress(OSError):  # not on every platform
        state["load_average"] = [round(v, 2) for v in os.getloadavg()]
    governors, freqs = set(), []
    for cpu in sorted(Path("/sys/devices/system/cpu").glob("cpu[0-9]*")):
        gov = _read(f"{cpu}/cpufreq/scaling_governor")
        if gov:
            governors.add(gov)
        cur = _read(f"{cpu}/cpufreq/scaling_cur_freq")
        if cur and cur.isdigit():
            freqs.append(int(cur) / 1000.0)
    if governors:
        state["cpu_governor"] = ",".join(sorted(governors))
    if freqs:
        state["cpu_mhz"] = [round(f) for f in freqs]
    aslr = _read("/proc/sys/kernel/randomize_va_space")
    if aslr is not None:
        state["aslr"] = _ASLR.get(aslr, aslr)
    return state


def max_rss_bytes() -> int | None:
    """Peak resident set size of this process (bytes), where ``resource`` exists."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(rss) * (1 if os.uname().sysname == "Darwin" else 1024)  # Linux: KiB


def busy_warnings(state: dict[str, Any]) -> list[str]:
    """What in ``state`` says timings taken now will be noisy (empty when nothing does)."""
    out = []
    load, cpus = state.get("load_average"), state.get("cpu_count")
    # every CPU has a runnable task on average (ours included): the benchmark shares its CPU
    if load and cpus and load[0] >= cpus:
        out.append(f"the machine is busy: load average {load[0]:g} over the last minute on {cpus} CPUs; "
                   "other processes compete for the CPU and timings will be noisy "
                   '(measure="instructions" is not affected)')  # fmt: skip
    gov = state.get("cpu_governor")
    if gov and gov != "performance":
        out.append(f"CPU frequency governor is {gov!r}, not 'performance': the clock speed moves "
                   "with load (pyperf system tune sets it)")  # fmt: skip
    return out


def disturbed(m: Measurement) -> bool:
    """Its thread got less than :data:`DISTURBED_CPU_RATIO` of the wall time as CPU time *and*
    the kernel says it waited, runnable, for a CPU a noticeable part of that time. The second
    condition keeps a benchmark that sleeps or does I/O by design from counting as disturbed."""
    return (
        m.error is None and m.cpu_ratio is not None and m.cpu_ratio < DISTURBED_CPU_RATIO
        and m.cpu_wait is not None and m.cpu_wait > (1.0 - DISTURBED_CPU_RATIO) / 2  # lumpy: half of it
    )  # fmt: skip


def measure_undisturbed(environment: dict[str, Any], name: str, once: Callable[[], Measurement], *,
                        remeasure: bool = True) -> Measurement:  # fmt: skip
    """``once()``, again while the result is :func:`disturbed` (at most :data:`REMEASURE` more
    times), keeping the least disturbed measurement; records what the scheduler said in
    ``environment["scheduling"]`` and a disturbed result's reason in ``environment["noisy"]``."""
    m = once()
    again = 0
    while remeasure and disturbed(m) and again < REMEASURE:
        again += 1
        other = once()
        if other.error is not None or (other.cpu_wait or 0.0) < (m.cpu_wait or 0.0):
            m = other
    if m.cpu_ratio is not None:
        environment.setdefault("scheduling", {})[name] = {
            "cpu_ratio": round(m.cpu_ratio, 4), "cpu_wait": None if m.cpu_wait is None else round(m.cpu_wait, 4),
            "remeasured": again,
        }  # fmt: skip
    if remeasure and disturbed(m):
        environment.setdefault("noisy", {})[name] = (
            f"got {m.cpu_ratio:.0%} of its wall time as CPU time, waited for a CPU {m.cpu_wait:.0%} "
            f"(measured {again + 1} times)"
        )
    return m


def finish_noise(environment: dict[str, Any], cpu0: float, wall0: float) -> list[str]:
    """Record the run's CPU time against its wall time and its peak RSS; the warning that names
    the noisy results (empty if none)."""
    environment["cpu_time"] = round(time.process_time() - cpu0, 4)
    environment["wall_time"] = round(time.perf_counter() - wall0, 4)
    rss = max_rss_bytes()
    if rss is not None:
        environment["max_rss_bytes"] = rss
    noisy = environment.get("noisy") or {}
    if not noisy:
        return []
    return ["noisy (recorded, never part of a baseline): " + "; ".join(f"{n}: {why}" for n, why in noisy.items())]
