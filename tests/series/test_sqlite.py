"""The SQLite series store: round trip, append-only, migration, concurrency, corruption."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from codomyrmex.performance.errors import SeriesStoreError
from codomyrmex.performance.series import (
    SCHEMA_VERSION,
    BenchmarkRecord,
    CorruptRowWarning,
    RunRecord,
    SeriesStore,
    SQLiteStore,
)
from codomyrmex.performance.series._sqlite import _MIGRATIONS


def _run(suite: str = "s", median: float = 0.001, ts: float | None = None, name: str = "b") -> RunRecord:
    samples = (median * 0.99, median, median * 1.02)
    return RunRecord.new(
        suite,
        [BenchmarkRecord(name, samples, loops=10, normalized=tuple(s / 0.01 for s in samples)),
         BenchmarkRecord("broken", (), failed=True, error="ZeroDivisionError: boom")],
        environment={"hostname": "h1", "python": "3.11"}, canary=0.01, timestamp=ts,
    )  # fmt: skip


def test_is_a_series_store(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "s.sqlite3") as store:
        assert isinstance(store, SeriesStore)


def test_runs_round_trip_with_raw_samples_and_environment(tmp_path: Path) -> None:
    run = _run(ts=1000.0)
    with SQLiteStore(tmp_path / "s.sqlite3") as store:
        store.append(run)
        assert store.runs() == [run]
        assert store.suites() == ["s"]
        assert store.benchmarks("s") == ["b", "broken"]
        assert store.count_runs("s") == 1


def test_history_is_oldest_first_and_skips_failed_benchmarks(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "s.sqlite3") as store:
        for i, ts in enumerate([300.0, 100.0, 200.0]):
            store.append(_run(median=0.001 * (i + 1), ts=ts))
        points = store.history("s", "b")
        assert [p.timestamp for p in points] == [100.0, 200.0, 300.0]
        assert [p.median for p in points] == pytest.approx([0.002, 0.003, 0.001])
        assert points[0].samples == pytest.approx((0.002 * 0.99, 0.002, 0.002 * 1.02))
        assert points[0].normalized_median == pytest.approx(0.2)
        assert [p.timestamp for p in store.history("s", "b", limit=2)] == [200.0, 300.0]
        assert store.history("s", "broken") == []


def test_schema_version_is_recorded(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "s.sqlite3") as store:
        assert store.schema_version == SCHEMA_VERSION
    conn = sqlite3.connect(tmp_path / "s.sqlite3")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_a_version_1_store_is_migrated_with_its_runs_intact(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    for statement in _MIGRATIONS[1]:
        conn.execute(statement)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    conn.execute("INSERT INTO schema_version VALUES (1)")
    conn.execute("INSERT INTO runs (run_id, suite, timestamp, environment, canary) VALUES ('r1', 's', 5.0, '{}', NULL)")
    conn.execute("INSERT INTO results VALUES (1, 'b', 1, 0, NULL, 0.5, '[0.5]', '[]')")
    conn.commit()
    conn.close()
    with SQLiteStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert [(r.run_id, r.benchmarks[0].samples) for r in store.runs()] == [("r1", (0.5,))]


def test_a_version_2_store_gains_the_judgement_column_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "v2.sqlite3"
    conn = sqlite3.connect(path)
    for version in (1, 2):
        for statement in _MIGRATIONS[version]:
            conn.execute(statement)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    conn.execute("INSERT INTO schema_version VALUES (2)")
    conn.execute("INSERT INTO runs (run_id, suite, timestamp, environment, canary) VALUES ('r1', 's', 5.0, '{}', NULL)")
    conn.execute("INSERT INTO results VALUES (1, 'b', 1, 0, NULL, 0.5, '[0.5]', '[]')")
    conn.commit()
    before = conn.execute("SELECT * FROM results").fetchall()
    conn.close()
    judged = {"verdict": "unchanged", "note": None, "change": 0.01}
    with SQLiteStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        store.append(RunRecord.new("s", [BenchmarkRecord("b", (0.5, 0.6), judgement=judged)], timestamp=6.0))
        old, new = store.runs("s")
        assert old.benchmarks[0].judgement is None and new.benchmarks[0].judgement == judged
    conn = sqlite3.connect(path)
    # the recorded row is exactly as it was, with NULL in the appended columns (judgement, unit, noisy)
    assert conn.execute("SELECT * FROM results WHERE run = 1").fetchall() == [(*before[0], None, None, None)]
    conn.close()


def test_recorded_rows_cannot_be_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    with SQLiteStore(path) as store:
        store.append(_run())
    conn = sqlite3.connect(path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE results SET median = 0")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM runs")
    conn.close()


def test_a_duplicate_run_id_is_refused_and_the_first_run_kept(tmp_path: Path) -> None:
    run = _run(median=0.001)
    clash = RunRecord(run.run_id, "s", run.timestamp + 1, (BenchmarkRecord("b", (9.0,)),))
    with SQLiteStore(tmp_path / "s.sqlite3") as store:
        store.append(run)
        with pytest.raises(SeriesStoreError, match=f"run '{run.run_id}' could not be appended"):
            store.append(clash)
        assert store.runs() == [run]


def _writer(path: str, index: int, barrier: multiprocessing.synchronize.Barrier) -> None:
    store = SQLiteStore(path)
    barrier.wait()
    store.append(_run(suite="concurrent", median=0.001 * (index + 1)))
    store.close()


def test_eight_processes_writing_at_once_lose_no_run(tmp_path: Path) -> None:
    path = str(tmp_path / "s.sqlite3")
    ctx = multiprocessing.get_context("fork")
    # With timeouts: a writer that dies before the barrier (it once did, opening the new store
    # while another switched it to WAL) fails the test instead of leaving seven waiting forever.
    barrier = ctx.Barrier(8, timeout=60)
    procs = [ctx.Process(target=_writer, args=(path, i, barrier)) for i in range(8)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    for p in procs:
        if p.is_alive():
            p.kill()
    assert [p.exitcode for p in procs] == [0] * 8
    with SQLiteStore(path) as store:
        assert store.count_runs("concurrent") == 8
        assert sorted(round(p.median / 0.001) for p in store.history("concurrent", "b")) == list(range(1, 9))


def test_a_file_that_is_not_a_store_is_an_error_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    garbage = b"this is not a database" * 200
    path.write_bytes(garbage)
    with pytest.raises(SeriesStoreError, match="is not a readable codomyrmex series store"):
        SQLiteStore(path)
    assert path.read_bytes() == garbage


def test_a_foreign_sqlite_database_is_not_migrated(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE users (name TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(SeriesStoreError, match="not a codomyrmex series store"):
        SQLiteStore(path)
    conn = sqlite3.connect(path)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    conn.close()
    assert tables == {"users"}


def test_a_corrupt_row_is_skipped_with_a_warning_and_other_runs_stay_readable(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    with SQLiteStore(path) as store:
        store.append(_run(median=0.001))
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO runs (run_id, suite, timestamp, environment) VALUES ('bad', 's', 9e9, '{}')")
    conn.execute("INSERT INTO results (run, name, loops, failed, error, median, samples, normalized) "
                 "VALUES (2, 'b', 1, 0, NULL, 1.0, 'not json', '[]')")
    conn.commit()
    conn.close()
    with SQLiteStore(path) as store:
        with pytest.warns(CorruptRowWarning, match="run 'bad' .* has a corrupt row"):
            assert [p.median for p in store.history("s", "b")] == [0.001]
        with pytest.warns(CorruptRowWarning, match="run 'bad' .* has a corrupt row"):
            assert [r.run_id for r in store.runs()] != [] and "bad" not in [r.run_id for r in store.runs()]
        assert store.corrupt_rows >= 2 and store.count_runs() == 2


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    SQLiteStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_version VALUES (99)")
    conn.commit()
    conn.close()
    with pytest.raises(SeriesStoreError, match=f"schema version 99, newer than this library's {SCHEMA_VERSION}"):
        SQLiteStore(path)


def test_a_path_that_cannot_be_written_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(SeriesStoreError, match="cannot create the directory of the store"):
        SQLiteStore(blocker / "sub" / "s.sqlite3")
    with pytest.raises(SeriesStoreError, match="is a directory"):
        SQLiteStore(tmp_path)
    with pytest.raises(TypeError, match="path must be a filesystem path, got 42"):
        SQLiteStore(42)  # type: ignore[arg-type]


def test_default_path_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODOMYRMEX_PERF_STORE", str(tmp_path / "env.sqlite3"))
    with SQLiteStore() as store:
        assert store.path == tmp_path / "env.sqlite3"
    assert (tmp_path / "env.sqlite3").is_file()


def test_a_store_that_cannot_be_migrated_reports_the_real_error(tmp_path: Path) -> None:
    with pytest.raises(SeriesStoreError) as info:
        SQLiteStore("/dev/null")
    assert "cannot rollback" not in str(info.value)
    assert "/dev/null" in str(info.value)


def test_history_of_one_host(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "s.sqlite3") as store:
        store.append(_run(median=0.001, ts=1.0))
        other = RunRecord.new("s", [BenchmarkRecord("b", (0.5,))], environment={"hostname": "h2"}, timestamp=2.0)
        store.append(other)
        assert [p.median for p in store.history("s", "b")] == [0.001, 0.5]
        assert [p.median for p in store.history("s", "b", host="h1")] == [0.001]
        assert [p.median for p in store.history("s", "b", host="h2")] == [0.5]

