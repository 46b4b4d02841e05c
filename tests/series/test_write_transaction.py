"""Every write to an SQLite store is one transaction: all of it is recorded, or none of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from codomyrmex.performance.errors import SeriesStoreError
from codomyrmex.performance.series import BenchmarkRecord, RunRecord, SQLiteStore


def _run(suite: str = "s", ts: float = 1.0) -> RunRecord:
    return RunRecord.new(suite, [BenchmarkRecord("b", (0.001, 0.0011))], timestamp=ts)


def test_a_batch_that_fails_part_way_records_none_of_its_runs(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    with SQLiteStore(path) as store:
        first = _run(ts=1.0)
        store.append(first)
        with pytest.raises(SeriesStoreError, match=r"could not be appended: .*; no run of this batch was appended") as info:
            store.append_many([_run(ts=2.0), _run(ts=3.0), first])  # the third is already recorded
        assert "cannot rollback" not in str(info.value)
        assert store.count_runs() == 1
        assert not store._conn.in_transaction  # rolled back, and the connection is usable again
        store.append(_run(ts=4.0))
        assert [r.timestamp for r in store.runs("s")] == [1.0, 4.0]
    with SQLiteStore(path) as reopened:  # nothing half-written reached the file
        assert reopened.count_runs() == 2

