"""Where and how a run was measured: Python, platform, CPU, host, git commit, timer.

Collected once per run and stored with it, so two runs can be told apart when their numbers
differ for reasons other than the code (another machine, another Python, a noisy timer)::

    >>> from codomyrmex.performance.benchmarking import collect_environment
    >>> sorted(collect_environment())[:4]
    ['cpu', 'cpu_count', 'git_commit', 'hostname']
"""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["collect_environment", "git_commit", "timer_overhead"]


def timer_overhead(samples: int = 2000) -> float:
    """Median cost in seconds of one ``time.perf_counter()`` call, measured here and now."""
    timer = time.perf_counter
    deltas = []
    for _ in range(samples):
        t0 = timer()
        t1 = timer()
        deltas.append(t1 - t0)
    deltas.sort()
    return deltas[len(deltas) // 2]


@lru_cache(maxsize=1)
def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git_commit(cwd: str | os.PathLike[str] | None = None) -> str | None:
    """``git rev-parse HEAD`` in ``cwd`` (default: the current directory), or None."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=5,
            check=False,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    commit = out.stdout.strip()
    return commit if out.returncode == 0 and commit else None


def collect_environment(
    source: str | os.PathLike[str] | None = None, *, overhead: float | None = None
) -> dict[str, Any]:
    """The environment of this process; ``source`` (a suite file) is where the git commit is
    looked up, so running a suite from elsewhere still records the commit of its code.
    ``overhead`` is a timer overhead already measured for this run (recorded as is, so the
    value in the record is the one loops were calibrated against); measured here otherwise."""
    info = time.get_clock_info("perf_counter")
    cwd = Path(source).resolve().parent if source is not None else None
    return {
        "python": platform.python_version(),
        "implementation": sys.implementation.name,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "hostname": socket.gethostname(),
        "git_commit": git_commit(cwd),
        "timer": "perf_counter",
        "timer_implementation": info.implementation,
        "timer_resolution": info.resolution,
        "timer_overhead": timer_overhead() if overhead is None else overhead,
    }
