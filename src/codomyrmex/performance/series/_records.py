"""What a store keeps: one :class:`RunRecord` per suite run, holding every benchmark's raw samples.

Records are plain frozen dataclasses (no dependency on the benchmarking layer), so any store can
hold them and any reader can judge them::

    >>> from codomyrmex.performance.series import BenchmarkRecord, RunRecord
    >>> rec = RunRecord.new("demo", [BenchmarkRecord("parse", (0.0011, 0.0010, 0.0012), loops=100)])
    >>> rec.benchmark("parse").median
    0.0011
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from statistics import median
from typing import Any, Protocol, runtime_checkable

__all__ = ["UNITS", "Acceptance", "BenchmarkRecord", "HistoryPoint", "RunRecord", "SeriesStore"]

#: what a result's numbers count: seconds per call (time mode) or CPU instructions per call
#: (instruction mode, under Valgrind). Each unit is its own series; rows recorded before units
#: existed read as seconds.
UNITS = ("seconds", "instructions")


def check_unit(unit: object) -> str:
    """``unit`` if it is one of :data:`UNITS`, else ValueError naming what is accepted."""
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {', '.join(UNITS)}, got {unit!r}")
    return str(unit)


@dataclass(frozen=True, slots=True)
class BenchmarkRecord:
    """One benchmark of one run: raw samples per call in ``unit`` (seconds, or instructions in
    instruction mode; each averaged over ``loops`` calls), and the same samples divided by the
    canary time measured around this benchmark (``normalized``, unitless). ``noisy`` marks a
    result whose own evidence says the machine disturbed it: it is kept and shown, but never
    enters a baseline."""

    name: str
    samples: tuple[float, ...]
    loops: int = 1
    failed: bool = False
    error: str | None = None
    normalized: tuple[float, ...] = ()
    #: what the regression gate decided when the run was recorded (JSON-safe mapping: verdict,
    #: note, baseline, change, baseline_runs, drift, normalized, detail); None if not judged
    judgement: Mapping[str, Any] | None = None
    unit: str = "seconds"
    noisy: bool = False

    def __post_init__(self) -> None:
        check_unit(self.unit)

    @property
    def median(self) -> float | None:
        return median(self.samples) if self.samples else None

    @property
    def normalized_median(self) -> float | None:
        return median(self.normalized) if self.normalized else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "loops": self.loops,
            "failed": self.failed,
            "error": self.error,
            "samples": list(self.samples),
            "normalized": list(self.normalized),
            "unit": self.unit,
            "noisy": self.noisy,
            **({} if self.judgement is None else {"judgement": dict(self.judgement)}),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BenchmarkRecord:
        samples = tuple(float(v) for v in data.get("samples", ()))
        if any(not math.isfinite(v) or v < 0 for v in samples):
            raise ValueError(f"benchmark {data.get('name')!r}: samples must be finite and >= 0")
        return cls(
            name=str(data["name"]),
            samples=samples,
            loops=int(data.get("loops", 1)),
            failed=bool(data.get("failed", False)),
            error=None if data.get("error") is None else str(data["error"]),
            normalized=tuple(float(v) for v in data.get("normalized", ())),
            judgement=_judgement(data.get("judgement")),
            unit=check_unit(data.get("unit", "seconds")),  # documents written before units: seconds
            noisy=_flag("noisy", data.get("noisy", False)),
        )


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name!r} must be true or false, got {value!r}")
    return value


def _judgement(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ValueError(f"'judgement' must be an object or null, got {type(value).__name__}")
    return dict(value)


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One run of a suite as stored: id, time, environment, canary and every benchmark."""

    run_id: str
    suite: str
    timestamp: float
    benchmarks: tuple[BenchmarkRecord, ...]
    environment: Mapping[str, Any] = field(default_factory=dict)
    canary: float | None = None  # median seconds of the canary workload in this run

    @classmethod
    def new(
        cls,
        suite: str,
        benchmarks: Iterable[BenchmarkRecord],
        *,
        environment: Mapping[str, Any] | None = None,
        canary: float | None = None,
        timestamp: float | None = None,
    ) -> RunRecord:
        return cls(
            run_id=uuid.uuid4().hex,
            suite=suite,
            timestamp=time.time() if timestamp is None else timestamp,
            benchmarks=tuple(benchmarks),
            environment=dict(environment or {}),
            canary=canary,
        )

    def benchmark(self, name: str) -> BenchmarkRecord:
        for b in self.benchmarks:
            if b.name == name:
                return b
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "suite": self.suite,
            "timestamp": self.timestamp,
            "environment": dict(self.environment),
            "canary": self.canary,
            "benchmarks": [b.to_dict() for b in self.benchmarks],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunRecord:
        canary = data.get("canary")
        return cls(
            run_id=str(data["run_id"]),
            suite=str(data["suite"]),
            timestamp=float(data["timestamp"]),
            benchmarks=tuple(BenchmarkRecord.from_dict(b) for b in data.get("benchmarks", ())),
            environment=dict(data.get("environment") or {}),
            canary=None if canary is None else float(canary),
        )


@dataclass(frozen=True, slots=True)
class Acceptance:
    """A person's decision that a benchmark's new level is intended: from ``timestamp`` on, the
    regression gate takes the level the benchmark had reached by then as its baseline.
    ``benchmark`` None accepts every benchmark of the suite; ``host`` None every host. Recorded
    append-only (who, when, why); a later acceptance adds a row, never edits one."""

    suite: str
    benchmark: str | None
    timestamp: float
    note: str
    who: str
    unit: str = "seconds"
    host: str | None = None

    def __post_init__(self) -> None:
        check_unit(self.unit)

    def applies_to(self, benchmark: str, unit: str, host: str | None) -> bool:
        return (
            (self.benchmark is None or self.benchmark == benchmark)
            and self.unit == unit
            and (self.host is None or host is None or self.host == host)
        )

    def to_dict(self) -> dict[str, Any]:
        return {"suite": self.suite, "benchmark": self.benchmark, "timestamp": self.timestamp,
                "note": self.note, "who": self.who, "unit": self.unit, "host": self.host}  # fmt: skip

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Acceptance:
        bench, host = data.get("benchmark"), data.get("host")
        return cls(
            suite=str(data["suite"]), benchmark=None if bench is None else str(bench),
            timestamp=float(data["timestamp"]), note=str(data["note"]), who=str(data["who"]),
            unit=check_unit(data.get("unit", "seconds")), host=None if host is None else str(host),
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    """One run of one benchmark as a store can give it back. The SQLite store has the raw
    samples; the Prometheus store only the statistics it pushed (``samples`` is empty)."""

    timestamp: float
    median: float
    run_id: str | None = None
    normalized_median: float | None = None
    samples: tuple[float, ...] = ()
    normalized: tuple[float, ...] = ()  # canary-normalised samples, when the store kept them
    unit: str = "seconds"
    noisy: bool = False  # the run's own evidence says it was disturbed: never a baseline


@runtime_checkable
class SeriesStore(Protocol):
    """What the runner and the regression check need from a store (SQLite, Prometheus, …).

    A store may also offer ``acceptances(suite) -> list[Acceptance]`` and ``accept(...)``
    (:class:`SQLiteStore` does; :class:`PrometheusStore` raises SeriesStoreError from both, as it
    cannot keep them). The gate judges a store without readable acceptances as if none were
    recorded, and says so in the note of every regression it reports.
    """

    def append(self, run: RunRecord) -> None:
        """Record ``run``; never rewrites a recorded run."""
        ...

    def history(self, suite: str, benchmark: str, *, limit: int | None = None) -> list[HistoryPoint]:
        """Successful runs of ``benchmark`` in ``suite``, oldest first (the last ``limit``)."""
        ...


def json_safe(value: Any) -> Any:
    """``value`` with NaN/inf replaced by ``None``, through dicts, lists and tuples: strict JSON
    has no NaN (a failed benchmark has no median), and stored JSON must stay readable by other
    tools."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value
