"""Schema 4: a unit per result, noisy results, and the append-only record of accepted changes."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from codomyrmex.performance.errors import SeriesStoreError
from codomyrmex.performance.series import (
    SCHEMA_VERSION,
    Acceptance,
    BenchmarkRecord,
    PrometheusStore,
    RunRecord,
    SQLiteStore,
    dumps_runs,
    loads_acceptances,
    loads_runs,
)
from codomyrmex.performance.series._sqlite import _MIGRATIONS


def _v3_store(path: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    for version in (1, 2, 3):
        for statement in _MIGRATIONS[version]:
            conn.execute(statement)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    conn.execute("INSERT INTO schema_version VALUES (3)")
    conn.execute("INSERT INTO runs (run_id, suite, timestamp, environment, canary) VALUES ('r1', 's', 5.0, '{}', NULL)")
    conn.execute("INSERT INTO results VALUES (1, 'b', 1, 0, NULL, 0.5, '[0.5]', '[]', NULL)")
    conn.commit()
    rows = conn.execute("SELECT * FROM results").fetchall()
    conn.close()
    return rows


def test_a_version_3_store_is_migrated_and_its_rows_read_as_seconds_not_noisy(tmp_path: Path) -> None:
    path = tmp_path / "v3.sqlite3"
    before = _v3_store(path)
    with SQLiteStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION == 4
        (old,) = store.runs("s")
        assert (old.benchmarks[0].unit, old.benchmarks[0].noisy) == ("seconds", False)
        assert [(p.median, p.unit, p.noisy) for p in store.history("s", "b")] == [(0.5, "seconds", False)]
        assert store.history("s", "b", unit="instructions") == []
        assert store.acceptances("s") == []
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT * FROM results WHERE run = 1").fetchall() == [(*before[0], None, None)]
    conn.close()


def test_instruction_and_time_results_are_separate_series(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "s.sqlite3") as store:
        store.append(RunRecord.new("s", [BenchmarkRecord("b", (0.001,))], timestamp=1.0))
        store.append(RunRecord.new("s", [BenchmarkRecord("b", (12345.0,), unit="instructions")], timestamp=2.0))
        assert [p.median for p in store.history("s", "b")] == [0.001]
        assert [(p.median, p.unit) for p in store.history("s", "b", unit="instructions")] == [
            (12345.0, "instructions")
        ]
        assert [r.benchmarks[0].unit for r in store.runs("s")] == ["seconds", "instructions"]


def test_noisy_results_are_recorded_and_read_back_flagged(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "s.sqlite3") as store:
        store.append(RunRecord.new("s", [BenchmarkRecord("b", (0.001,))], timestamp=1.0))
        store.append(RunRecord.new("s", [BenchmarkRecord("b", (0.009,), noisy=True)], timestamp=2.0))
        assert [(p.median, p.noisy) for p in store.history("s", "b")] == [(0.001, False), (0.009, True)]
        assert store.runs("s")[1].benchmarks[0].noisy is True


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"unit": "ms"}, "unit must be one of seconds, instructions, got 'ms'"),
    ],
)
def test_a_bad_unit_is_refused(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BenchmarkRecord("b", (1.0,), **kwargs)  # type: ignore[arg-type]


def test_acceptances_are_recorded_with_who_when_why_and_cannot_be_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    with SQLiteStore(path) as store:
        a = store.accept("s", "b", note="new parser is slower on purpose", who="ana", timestamp=10.0)
        store.accept("s", note="whole suite moved to a new CI image", who="bo", timestamp=20.0)
        store.accept("other", "x", note="n", who="cy", unit="instructions", timestamp=5.0)
        assert a == Acceptance("s", "b", 10.0, "new parser is slower on purpose", "ana")
        assert [(x.benchmark, x.who) for x in store.acceptances("s")] == [("b", "ana"), (None, "bo")]
        assert [x.suite for x in store.acceptances()] == ["other", "s", "s"]
        assert store.accept("s", note="why", timestamp=30.0).who  # defaults to the login name
    conn = sqlite3.connect(path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE acceptances SET note = 'x'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM acceptances")
    conn.close()


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (("s", "b"), {"note": "  "}, "an acceptance needs a note saying why, got '  '"),
        (("", "b"), {"note": "n"}, "suite must be a non-empty string, got ''"),
        (("s", ""), {"note": "n"}, "benchmark must be a non-empty string or None, got ''"),
        (("s", "b"), {"note": "n", "unit": "ms"}, "unit must be one of seconds, instructions, got 'ms'"),
    ],
)
def test_a_bad_acceptance_is_refused_and_nothing_recorded(
    tmp_path: Path, args: tuple[str, str], kwargs: dict[str, str], message: str
) -> None:
    with SQLiteStore(tmp_path / "s.sqlite3") as store:
        with pytest.raises(SeriesStoreError, match=message):
            store.accept(*args, **kwargs)  # type: ignore[arg-type]
        assert store.acceptances() == []


def test_json_round_trip_carries_unit_noisy_and_acceptances() -> None:
    run = RunRecord.new("s", [BenchmarkRecord("b", (7.0,), unit="instructions", noisy=True)], timestamp=1.0)
    acc = Acceptance("s", None, 2.0, "moved", "ana", "instructions", "ci-1")
    text = dumps_runs([run], acceptances=[acc])
    assert loads_runs(text) == [run]
    assert loads_acceptances(text) == [acc]
    # documents written before units and acceptances existed read as seconds, not noisy, none accepted
    old = '{"format": "codomyrmex-perf-runs", "version": 1, "runs": [{"run_id": "r", "suite": "s", ' \
          '"timestamp": 1.0, "benchmarks": [{"name": "b", "samples": [0.5]}]}]}'
    (r,) = loads_runs(old)
    assert (r.benchmarks[0].unit, r.benchmarks[0].noisy) == ("seconds", False)
    assert loads_acceptances(old) == []


def test_a_prometheus_store_refuses_to_record_or_read_acceptances() -> None:
    store = PrometheusStore("http://127.0.0.1:9", "http://127.0.0.1:9")
    # not an empty list: "nobody accepted anything" would be a claim this store cannot make
    with pytest.raises(SeriesStoreError, match=r"a Prometheus store keeps no acceptances \(a Pushgateway"):
        store.acceptances("s")
    with pytest.raises(SeriesStoreError, match="a Prometheus store cannot record acceptances"):
        store.accept("s", "b", note="n")


def test_the_prometheus_store_never_pushes_instructions_or_noisy_results_as_durations(
    pushgateway: Any, unique_name: str
) -> None:
    import urllib.request

    store = PrometheusStore(pushgateway=pushgateway.url, prometheus="http://127.0.0.1:9")
    store.append(RunRecord.new(unique_name, [
        BenchmarkRecord("timed", (0.001, 0.002)),
        BenchmarkRecord("counted", (123456.0,), unit="instructions"),
        BenchmarkRecord("disturbed", (0.5, 0.6), noisy=True),
    ], environment={"hostname": "h"}))  # fmt: skip
    with urllib.request.urlopen(f"{pushgateway.url}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    durations = [line for line in text.splitlines()
                 if line.startswith("codomyrmex_benchmark_duration_seconds{") and unique_name in line]  # fmt: skip
    assert durations and all('benchmark="timed"' in line for line in durations)
