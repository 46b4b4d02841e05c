"""pytest-benchmark JSON files (``--benchmark-json``, ``--benchmark-save``) in and out.

A pytest-benchmark file is one test session: ``machine_info``, ``commit_info``, ``datetime``
and a list of benchmarks named by their test (``fullname`` = ``tests/test_x.py::test_y[1]``),
each with its statistics and, in ``--benchmark-json`` files, the raw per-iteration times
(``stats.data``). Importing makes one :class:`RunRecord` per test module, named as the pytest
plugin names its runs (suite ``tests/test_x.py``, benchmark ``test_y[1]``), so imported runs and
runs recorded by ``pytest --perf`` are one series. ``group``, ``params``, ``extra_info`` and
``options`` are kept in the run's environment under ``benchmark_metadata``.

    >>> from codomyrmex.performance.series._pytest_benchmark import dumps_pytest_benchmark
    >>> from codomyrmex.performance.series._pytest_benchmark import loads_pytest_benchmark
    >>> from codomyrmex.performance.series import BenchmarkRecord, RunRecord
    >>> run = RunRecord.new("tests/test_x.py", [BenchmarkRecord("test_y", (1e-6, 2e-6), loops=10)])
    >>> [(r.suite, r.benchmarks[0].name) for r in loads_pytest_benchmark(dumps_pytest_benchmark([run]))]
    [('tests/test_x.py', 'test_y')]

Exported statistics follow pytest-benchmark's definitions (its quartile methods, outliers beyond
1 stddev / 1.5 IQR); failed benchmarks, which pytest-benchmark
never writes, are left out.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import statistics
from collections.abc import Sequence
from typing import Any

from ..errors import SeriesStoreError
from ._json import load_document
from ._pyperf import BENCHMARK_METADATA
from ._records import BenchmarkRecord, RunRecord

__all__ = ["dumps_pytest_benchmark", "is_pytest_benchmark", "loads_pytest_benchmark"]

#: the pytest-benchmark version whose JSON layout this module writes
_WRITES_VERSION = "5.1.0"


def is_pytest_benchmark(doc: Any) -> bool:
    """Whether a parsed JSON document looks like a pytest-benchmark file."""
    return isinstance(doc, dict) and "machine_info" in doc and isinstance(doc.get("benchmarks"), list)


def _timestamp(value: Any) -> float:
    if isinstance(value, str):
        try:
            when = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            if when.tzinfo is None:  # pytest-benchmark writes UTC
                when = when.replace(tzinfo=_dt.UTC)
            return when.timestamp()
    raise SeriesStoreError(f"pytest-benchmark file has no usable 'datetime' ({value!r})")


def loads_pytest_benchmark(text: str | bytes, *, suite: str | None = None) -> list[RunRecord]:
    """One run per test module of the pytest-benchmark document ``text``; ``suite`` names the
    run of benchmarks whose ``fullname`` has no module part (default ``pytest-benchmark``)."""
    doc = load_document(text, is_pytest_benchmark, "pytest-benchmark",
                        "needs 'machine_info' and a 'benchmarks' list")  # fmt: skip
    machine = doc.get("machine_info") or {}
    commit = doc.get("commit_info") or {}
    timestamp = _timestamp(doc.get("datetime"))
    environment: dict[str, Any] = {
        "hostname": machine.get("node"), "python": machine.get("python_version"),
        "implementation": str(machine.get("python_implementation", "")).lower() or None,
        "machine": machine.get("machine"), "git_commit": commit.get("id"),
        "imported_from": "pytest-benchmark", "pytest_benchmark_version": doc.get("version"),
        "machine_info": machine, "commit_info": commit,
    }  # fmt: skip
    environment = {k: v for k, v in environment.items() if v is not None}
    grouped: dict[str, tuple[list[BenchmarkRecord], dict[str, Any]]] = {}
    for i, bench in enumerate(doc["benchmarks"]):
        if not isinstance(bench, dict):
            raise SeriesStoreError(f"pytest-benchmark benchmark #{i} is not an object")
        fullname = str(bench.get("fullname") or bench.get("name") or "")
        if not fullname:
            raise SeriesStoreError(f"pytest-benchmark benchmark #{i} has neither 'fullname' nor 'name'")
        module, sep, test = fullname.partition("::")
        where, name = (module, test) if sep else (suite or "pytest-benchmark", fullname)
        stats = bench.get("stats") or {}
        data = stats.get("data")
        if not isinstance(data, list) or not data:
            raise SeriesStoreError(
                f"pytest-benchmark benchmark {fullname!r} has no raw times ('stats.data'); "
                "write the file with --benchmark-json, or --benchmark-save with --benchmark-save-data"
            )
        samples = []
        for v in data:
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v < 0:
                raise SeriesStoreError(f"pytest-benchmark benchmark {fullname!r}: time {v!r} is not a finite number >= 0")
            samples.append(float(v))
        iterations = stats.get("iterations", 1)
        records, meta = grouped.setdefault(where, ([], {}))
        if name in meta:
            raise SeriesStoreError(f"pytest-benchmark file has two benchmarks named {fullname!r}")
        records.append(BenchmarkRecord(name, tuple(samples), loops=iterations if isinstance(iterations, int) and iterations > 0 else 1))
        meta[name] = {"format": "pytest-benchmark", "fullname": fullname, "name": bench.get("name"),
                      "group": bench.get("group"), "param": bench.get("param"),
                      "params": bench.get("params"), "extra_info": bench.get("extra_info") or {},
                      "options": bench.get("options") or {}}  # fmt: skip
    digest = hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()
    runs = []
    for where, (records, meta) in grouped.items():
        run_id = "pytest-benchmark-" + hashlib.sha256(f"{digest}\0{where}".encode()).hexdigest()[:15]
        runs.append(RunRecord(run_id, where, timestamp, tuple(records),
                              {**environment, BENCHMARK_METADATA: meta}))  # fmt: skip
    return runs


def _quartiles(ordered: list[float]) -> tuple[float, float]:
    """Q1 and Q3 as pytest-benchmark computes them (Wikipedia's quartile methods 2 for an even
    and 3 for an odd number of rounds), so exported files show the numbers it would."""
    n = len(ordered)
    if n == 1:
        return ordered[0], ordered[0]
    if n % 2 == 0:
        return statistics.median(ordered[: n // 2]), statistics.median(ordered[n // 2 :])
    k, r = n // 4, n % 4
    if r == 1:
        return (0.25 * ordered[k - 1] + 0.75 * ordered[k],
                0.75 * ordered[3 * k] + 0.25 * ordered[3 * k + 1])  # fmt: skip
    return (0.75 * ordered[k] + 0.25 * ordered[k + 1],
            0.25 * ordered[3 * k + 1] + 0.75 * ordered[3 * k + 2])  # fmt: skip


def _stats(samples: Sequence[float], iterations: int) -> dict[str, Any]:
    data = list(samples)
    ordered = sorted(data)
    mean = statistics.mean(data)
    total = sum(data)
    stddev = statistics.stdev(data) if len(data) > 1 else 0.0
    q1, q3 = _quartiles(ordered)
    iqr = q3 - q1
    low, high = q1 - 1.5 * iqr, q3 + 1.5 * iqr
    iqr_outliers = sum(1 for v in data if v < low or v > high)
    stddev_outliers = sum(1 for v in data if v < mean - stddev or v > mean + stddev)
    return {
        "min": ordered[0], "max": ordered[-1], "mean": mean, "stddev": stddev,
        "rounds": len(data), "median": statistics.median(ordered), "iqr": iqr, "q1": q1, "q3": q3,
        "iqr_outliers": iqr_outliers, "stddev_outliers": stddev_outliers,
        "outliers": f"{stddev_outliers};{iqr_outliers}",
        "ld15iqr": min(v for v in ordered if v >= low), "hd15iqr": max(v for v in ordered if v <= high),
        "ops": len(data) / total if total else 0.0, "total": total, "data": data,
        "iterations": iterations,
    }  # fmt: skip


def dumps_pytest_benchmark(runs: Sequence[RunRecord], *, indent: int | None = 4) -> str:
    """``runs`` (e.g. one per test module of a session) as one pytest-benchmark file, which
    ``pytest-benchmark compare`` and ``pytest --benchmark-compare`` read."""
    if not runs:
        raise SeriesStoreError("no runs to export")
    if any(b.unit != "seconds" for r in runs for b in r.benchmarks):
        raise SeriesStoreError("pytest-benchmark files hold times only; this selection has instruction counts")
    latest = max(runs, key=lambda r: r.timestamp)
    env = latest.environment
    machine = dict(env.get("machine_info") or {})
    if not machine:
        machine = {"node": env.get("hostname"), "python_version": env.get("python"),
                   "python_implementation": "CPython" if env.get("implementation") == "cpython"
                   else env.get("implementation"), "machine": env.get("machine"),
                   "processor": env.get("cpu"), "system": str(env.get("platform", "")).split("-")[0] or None}  # fmt: skip
    commit = dict(env.get("commit_info") or {}) or {"id": env.get("git_commit"), "dirty": False, "project": None,
                                                    "branch": None}  # fmt: skip
    benchmarks = []
    for run in runs:
        kept_all = run.environment.get(BENCHMARK_METADATA) or {}
        for b in run.benchmarks:
            if not b.samples:
                continue
            kept = kept_all.get(b.name) or {}
            fullname = kept.get("fullname") or f"{run.suite}::{b.name}"
            param = kept.get("param")
            if param is None and b.name.endswith("]") and "[" in b.name:
                param = b.name[b.name.index("[") + 1:-1]
            benchmarks.append({
                "group": kept.get("group"), "name": kept.get("name") or b.name.rsplit("::", 1)[-1],
                "fullname": fullname, "params": kept.get("params"), "param": param,
                "extra_info": kept.get("extra_info") or {}, "options": kept.get("options") or {},
                "stats": _stats(b.samples, b.loops),
            })  # fmt: skip
    doc = {"machine_info": machine, "commit_info": commit, "benchmarks": benchmarks,
           "datetime": _dt.datetime.fromtimestamp(latest.timestamp, _dt.UTC).isoformat(),
           "version": env.get("pytest_benchmark_version") or _WRITES_VERSION}  # fmt: skip
    return json.dumps(doc, indent=indent)
