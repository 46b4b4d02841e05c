"""pyperf JSON files (``pyperf timeit -o``, ``Runner`` ``-o``, ``pyperf convert``) in and out.

A pyperf file is one run of a suite: a list of benchmarks, each a list of *runs* (worker
processes) holding warmups ``[loops, value]`` and values (seconds per call), plus metadata at
three levels (file: common to every benchmark; benchmark; run). Importing makes one
:class:`RunRecord` whose samples are every run's values in order; the per-benchmark metadata
and the run structure (each run's metadata, warmups and number of values) are kept in the
record's environment under ``benchmark_metadata`` so that exporting writes the same runs back::

    >>> from codomyrmex.performance.series._pyperf import dumps_pyperf, loads_pyperf
    >>> from codomyrmex.performance.series import BenchmarkRecord, RunRecord
    >>> run = RunRecord.new("demo", [BenchmarkRecord("parse", (1e-6, 1.2e-6, 1.1e-6), loops=100)])
    >>> [b.samples for b in loads_pyperf(dumps_pyperf(run), suite="demo")[0].benchmarks]
    [(1e-06, 1.2e-06, 1.1e-06)]

Only time benchmarks (pyperf unit ``second``) are imported; an instruction-count run exports
with pyperf's unit ``integer``. Failed benchmarks have no values and are left out of an export
(pyperf has no notion of a failed benchmark).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

from ..errors import SeriesStoreError
from ._json import load_document
from ._records import BenchmarkRecord, RunRecord

__all__ = ["BENCHMARK_METADATA", "dumps_pyperf", "is_pyperf", "loads_pyperf"]

#: run environment key with per-benchmark metadata: {benchmark name: {...}}
BENCHMARK_METADATA = "benchmark_metadata"
_PYPERF_VERSION = "1.0"
#: pyperf metadata -> our environment keys (the gate reads ``hostname`` to keep hosts apart)
_ENV_KEYS = {"hostname": "hostname", "python_version": "python", "platform": "platform",
             "cpu_model_name": "cpu", "cpu_count": "cpu_count"}  # fmt: skip


def is_pyperf(doc: Any) -> bool:
    """Whether a parsed JSON document looks like a pyperf file."""
    return (isinstance(doc, dict) and isinstance(doc.get("version"), str)
            and doc["version"].startswith("1.") and isinstance(doc.get("benchmarks"), list)
            and "machine_info" not in doc)  # fmt: skip


def _parse_date(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:  # pyperf writes the local time without a zone
        return _dt.datetime.fromisoformat(value).timestamp()
    except ValueError:
        return None


def _content_id(doc: Any, suite: str) -> str:
    """A run id from the document itself, so importing the same file twice records it once."""
    digest = hashlib.sha256(json.dumps(doc, sort_keys=True).encode())
    digest.update(b"\0" + suite.encode())
    return "pyperf-" + digest.hexdigest()[:25]


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise SeriesStoreError(f"{what} must be a finite number >= 0, got {value!r}")
    return float(value)


def loads_pyperf(text: str | bytes, *, suite: str) -> list[RunRecord]:
    """The pyperf document ``text`` as one run of ``suite`` (a one-element list)."""
    doc = load_document(text, is_pyperf, "pyperf", "needs 'version' 1.x and a 'benchmarks' list")
    common = doc.get("metadata") or {}
    if not isinstance(common, dict):
        raise SeriesStoreError("pyperf 'metadata' must be an object")
    benchmarks: list[BenchmarkRecord] = []
    meta: dict[str, Any] = {}
    dates: list[float] = []
    for i, bench in enumerate(doc["benchmarks"]):
        if not isinstance(bench, dict) or not isinstance(bench.get("runs"), list):
            raise SeriesStoreError(f"pyperf benchmark #{i} has no 'runs' list")
        own = bench.get("metadata") or {}
        merged = {**common, **own}
        name = merged.get("name")
        if not isinstance(name, str) or not name:
            raise SeriesStoreError(f"pyperf benchmark #{i} has no 'name' in its metadata")
        unit = merged.get("unit", "second")
        if unit != "second":
            raise SeriesStoreError(f"pyperf benchmark {name!r} has unit {unit!r}; only time benchmarks "
                                   "(unit 'second') can be imported")  # fmt: skip
        samples: list[float] = []
        runs: list[dict[str, Any]] = []
        loops = merged.get("loops")
        for j, run in enumerate(bench["runs"]):
            if not isinstance(run, dict):
                raise SeriesStoreError(f"pyperf benchmark {name!r}: run #{j} is not an object")
            run_meta = run.get("metadata") or {}
            values = [_number(v, f"pyperf benchmark {name!r} run #{j} value") for v in run.get("values") or ()]
            samples.extend(values)
            loops = run_meta.get("loops", loops)
            date = _parse_date(run_meta.get("date"))
            if date is not None:
                dates.append(date)
            runs.append({"metadata": run_meta, "warmups": run.get("warmups") or [], "values": len(values)})
        if name in meta:
            raise SeriesStoreError(f"pyperf file has two benchmarks named {name!r}")
        meta[name] = {"format": "pyperf", "metadata": own, "runs": runs}
        inner = merged.get("inner_loops", 1)
        benchmarks.append(BenchmarkRecord(
            name, tuple(samples),
            # calls per sample; pyperf's values are already per call (divided by both)
            loops=(loops if isinstance(loops, int) else 1) * (inner if isinstance(inner, int) else 1),
            failed=not samples, error=None if samples else "no values in the pyperf file",
        ))  # fmt: skip
    environment: dict[str, Any] = {ours: common[theirs] for theirs, ours in _ENV_KEYS.items() if theirs in common}
    if isinstance(environment.get("python"), str):  # "3.11.7 (64-bit)" -> "3.11.7"
        environment["python"] = environment["python"].split(" ")[0]
    environment["imported_from"] = "pyperf"
    environment["pyperf_metadata"] = common
    environment[BENCHMARK_METADATA] = meta
    timestamp = min(dates) if dates else _parse_date(common.get("date"))
    if timestamp is None:
        raise SeriesStoreError("pyperf file has no 'date' in its run metadata; cannot place the run in time")
    return [RunRecord(_content_id(doc, suite), suite, timestamp, tuple(benchmarks), environment)]


def _bench_doc(b: BenchmarkRecord, kept: Mapping[str, Any] | None, date: str) -> dict[str, Any]:
    unit = "integer" if b.unit == "instructions" else "second"
    own = {"name": b.name, "unit": unit, "loops": max(1, b.loops)}
    if kept and kept.get("format") == "pyperf" and sum(r["values"] for r in kept["runs"]) == len(b.samples):
        own = {**kept["metadata"], "name": b.name}
        runs, pos = [], 0
        for r in kept["runs"]:
            values = list(b.samples[pos:pos + r["values"]])
            pos += r["values"]
            entry: dict[str, Any] = {"metadata": r["metadata"]}
            if r["warmups"]:
                entry["warmups"] = r["warmups"]
            if values:
                entry["values"] = values
            runs.append(entry)
        return {"metadata": own, "runs": runs}
    # recorded by this library: one pyperf run holding every sample
    return {"metadata": own, "runs": [{"metadata": {"date": date, "loops": max(1, b.loops)},
                                       "values": list(b.samples)}]}  # fmt: skip


def dumps_pyperf(run: RunRecord, *, indent: int | None = None) -> str:
    """``run`` as a pyperf suite file (``python -m pyperf show/compare_to`` read it)."""
    env = run.environment
    kept_all = env.get(BENCHMARK_METADATA) or {}
    common: dict[str, Any] = dict(env.get("pyperf_metadata") or {})
    if not common:
        for theirs, ours in _ENV_KEYS.items():
            if env.get(ours) is not None:
                common[theirs] = env[ours]
    date = _dt.datetime.fromtimestamp(run.timestamp).isoformat(" ")
    benches = [_bench_doc(b, kept_all.get(b.name), date) for b in run.benchmarks if b.samples]
    if not benches:
        raise SeriesStoreError(f"run {run.run_id[:12]} of {run.suite!r} has no benchmark with samples to export")
    if len(benches) == 1:
        # as pyperf itself writes a one-benchmark file: the benchmark's metadata is the common one
        common = {**common, **benches[0].pop("metadata")}
    doc = {"version": _PYPERF_VERSION, "metadata": common, "benchmarks": benches}
    return json.dumps(doc, indent=indent)
