"""The embedded series store: one SQLite file, append-only.

WAL mode lets readers run while a writer appends; a busy timeout plus ``BEGIN IMMEDIATE`` makes
concurrent writers queue instead of failing, so eight processes appending at once lose no run.
Recorded rows are never updated or deleted: triggers make SQLite itself refuse it. The schema
version is kept in ``schema_version`` and migrated forward on open; a store written by a newer
version, or a file that is not a store, raises :class:`SeriesStoreError` without being touched.

    >>> import tempfile, pathlib
    >>> from codomyrmex.performance.series import SQLiteStore, RunRecord, BenchmarkRecord
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "series.sqlite3"
    >>> with SQLiteStore(path) as store:
    ...     store.append(RunRecord.new("demo", [BenchmarkRecord("parse", (0.002, 0.001, 0.003))]))
    ...     [p.median for p in store.history("demo", "parse")]
    [0.002]
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from statistics import median
from types import TracebackType
from typing import Any

from .. import env
from .._sqlite_wal import switch_to_wal
from ..errors import SeriesStoreError
from ._records import Acceptance, BenchmarkRecord, HistoryPoint, RunRecord, check_unit, json_safe

__all__ = ["SCHEMA_VERSION", "CorruptRowWarning", "SQLiteStore"]

#: Current schema. History:
#: 1 - runs and results tables
#: 2 - index on results(name) and triggers that make recorded rows immutable (append-only)
#: 3 - results.judgement: what the regression gate decided when the run was recorded (JSON; NULL
#:     for runs recorded before, which the report re-judges). A column is appended; no recorded
#:     row is rewritten.
#: 4 - results.unit ('seconds' | 'instructions'; NULL for rows recorded before, read as seconds),
#:     results.noisy (1 when the run's own evidence says it was disturbed; NULL reads as 0), and
#:     an append-only ``acceptances`` table (who accepted which change, when, why). Columns and a
#:     table are added; no recorded row is rewritten.
SCHEMA_VERSION = 4

_MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        """CREATE TABLE IF NOT EXISTS runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id TEXT NOT NULL UNIQUE,
            suite TEXT NOT NULL,
            timestamp REAL NOT NULL,
            environment TEXT NOT NULL,
            canary REAL
        )""",
        "CREATE INDEX IF NOT EXISTS runs_suite_time ON runs(suite, timestamp)",
        """CREATE TABLE IF NOT EXISTS results (
            run INTEGER NOT NULL REFERENCES runs(id),
            name TEXT NOT NULL,
            loops INTEGER NOT NULL,
            failed INTEGER NOT NULL,
            error TEXT,
            median REAL,
            samples TEXT NOT NULL,
            normalized TEXT NOT NULL,
            PRIMARY KEY (run, name)
        )""",
    ),
    2: (
        "CREATE INDEX IF NOT EXISTS results_name ON results(name)",
        *(
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, 'the series store is append-only'); END"
            for table in ("runs", "results")
            for op in ("UPDATE", "DELETE")
        ),
    ),
    3: ("ALTER TABLE results ADD COLUMN judgement TEXT",),
    4: (
        "ALTER TABLE results ADD COLUMN unit TEXT",
        "ALTER TABLE results ADD COLUMN noisy INTEGER",
        """CREATE TABLE IF NOT EXISTS acceptances (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            suite TEXT NOT NULL,
            benchmark TEXT,
            unit TEXT NOT NULL,
            host TEXT,
            timestamp REAL NOT NULL,
            who TEXT NOT NULL,
            note TEXT NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS acceptances_suite ON acceptances(suite, timestamp)",
        *(
            f"CREATE TRIGGER IF NOT EXISTS acceptances_no_{op.lower()} BEFORE {op} ON acceptances "
            f"BEGIN SELECT RAISE(ABORT, 'the series store is append-only'); END"
            for op in ("UPDATE", "DELETE")
        ),
    ),
}


class CorruptRowWarning(UserWarning):
    """A recorded row could not be decoded and was skipped (the other runs stay readable)."""

_BUSY_TIMEOUT_S = 60.0


def _dumps(value: Any) -> str:
    # a NaN or inf would make the stored JSON unreadable by other tools: stored as null
    return json.dumps(json_safe(value), sort_keys=True, allow_nan=False, default=str)


def make_acceptance(
    suite: str,
    benchmark: str | None,
    *,
    note: str,
    who: str | None,
    unit: str,
    host: str | None,
    timestamp: float | None,
) -> Acceptance:
    """A validated :class:`Acceptance` (clear errors for a missing note, a bad unit, …)."""
    import getpass
    import time

    if not isinstance(suite, str) or not suite:
        raise SeriesStoreError(f"suite must be a non-empty string, got {suite!r}")
    if benchmark is not None and (not isinstance(benchmark, str) or not benchmark):
        raise SeriesStoreError(f"benchmark must be a non-empty string or None, got {benchmark!r}")
    if not isinstance(note, str) or not note.strip():
        raise SeriesStoreError(f"an acceptance needs a note saying why, got {note!r}")
    try:
        check_unit(unit)
    except ValueError as exc:
        raise SeriesStoreError(str(exc)) from exc
    if who is None:
        try:
            who = getpass.getuser()
        except (OSError, KeyError):  # no login name (container without passwd entry)
            who = "unknown"
    return Acceptance(suite, benchmark, time.time() if timestamp is None else float(timestamp),
                      note.strip(), str(who), unit, host)  # fmt: skip


def _acceptance_row(acc: Acceptance) -> tuple[Any, ...]:
    return (acc.suite, acc.benchmark, acc.unit, acc.host, acc.timestamp, acc.who, acc.note)


@contextlib.contextmanager
def _write_transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` (the write lock up front, so concurrent writers queue on the busy
    timeout), ``COMMIT`` when the block ends, ``ROLLBACK`` when it raises: only while a
    transaction is still open, since a failed BEGIN/COMMIT leaves none and "cannot rollback"
    would hide the original error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _loads_mapping(text: str) -> dict[str, Any]:
    value = json.loads(text)
    if not isinstance(value, dict):
        raise TypeError(f"expected a JSON object, got {type(value).__name__}")
    return value


class SQLiteStore:
    """Append-only series store in a SQLite file (default :func:`env.default_store_path`).

    Safe to share between threads (one connection, one lock) and between processes (WAL, busy
    timeout). Use as a context manager or call :meth:`close`.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        if path is not None and not isinstance(path, str | os.PathLike):
            raise TypeError(f"path must be a filesystem path, got {path!r} ({type(path).__name__})")
        self.path = Path(path).expanduser() if path is not None else env.default_store_path()
        self._lock = threading.Lock()
        #: rows skipped by :meth:`runs`/:meth:`history` because they could not be decoded
        self.corrupt_rows = 0
        self._conn = self._open()

    # -- opening -----------------------------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        if self.path.is_dir():
            raise SeriesStoreError(f"store path {str(self.path)!r} is a directory, not a file")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SeriesStoreError(
                f"cannot create the directory of the store {str(self.path)!r}: {exc.strerror or exc}"
            ) from exc
        if not os.access(self.path.parent, os.W_OK) or (
            self.path.exists() and not os.access(self.path, os.W_OK)
        ):
            raise SeriesStoreError(f"store path {str(self.path)!r} is not writable")
        # A new store is created readable by its owner only (0600); SQLite gives the -wal and
        # -shm files the database file's permissions. (An OSError here: sqlite3.connect below
        # reports what matters.)
        with contextlib.suppress(OSError):
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        try:
            # isolation_level=None: we issue BEGIN IMMEDIATE ourselves, so a writer takes the
            # write lock up front and waits (busy timeout) instead of failing on upgrade.
            conn = sqlite3.connect(
                self.path, timeout=_BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise SeriesStoreError(f"cannot open the store {str(self.path)!r}: {exc}") from exc
        try:
            # Read first: a file that is not a database fails here, before anything is written.
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            conn.execute(f"PRAGMA busy_timeout = {int(_BUSY_TIMEOUT_S * 1000)}")
            switch_to_wal(conn, timeout=_BUSY_TIMEOUT_S)
            conn.execute("PRAGMA synchronous = NORMAL")  # durable in WAL mode across app crashes
            self._migrate(conn)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise SeriesStoreError(
                f"{str(self.path)!r} is not a readable codomyrmex series store ({exc}); "
                "it was left untouched"
            ) from exc
        except BaseException:
            conn.close()
            raise
        return conn

    def _migrate(self, conn: sqlite3.Connection) -> None:
        if self._version(conn) == SCHEMA_VERSION:
            return
        with _write_transaction(conn):
            # re-read under the write lock: another process may have migrated meanwhile
            version = self._version(conn)
            if version > SCHEMA_VERSION:
                raise SeriesStoreError(
                    f"store {str(self.path)!r} has schema version {version}, newer than this "
                    f"library's {SCHEMA_VERSION}; upgrade codomyrmex-performance to read it"
                )
            if version == 0 and self._has_foreign_tables(conn):
                raise SeriesStoreError(
                    f"{str(self.path)!r} is an SQLite database but not a codomyrmex series store"
                )
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            for target in range(version + 1, SCHEMA_VERSION + 1):
                for statement in _MIGRATIONS[target]:
                    conn.execute(statement)
            conn.execute("DELETE FROM schema_version")
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))

    @staticmethod
    def _version(conn: sqlite3.Connection) -> int:
        row = conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name='schema_version'"
        ).fetchone()
        if row is None:
            return 0
        found = conn.execute("SELECT max(version) FROM schema_version").fetchone()
        return int(found[0] or 0)

    @staticmethod
    def _has_foreign_tables(conn: sqlite3.Connection) -> bool:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        known = {"schema_version", "runs", "results", "acceptances", "sqlite_sequence"}
        return bool(names - known)

    @property
    def schema_version(self) -> int:
        with self._lock:
            return self._version(self._conn)

    # -- writing -----------------------------------------------------------------------------
    def append(self, run: RunRecord) -> None:
        """Append ``run`` (one transaction). A run id already present raises, it is not replaced."""
        self.append_many([run])

    def append_many(self, runs: list[RunRecord], *, skip_known: bool = False) -> int:
        """Append ``runs`` in one transaction: all of them or none. With ``skip_known``, runs whose
        id is already recorded are skipped (not replaced); otherwise one raises and nothing is
        appended. Returns how many were appended."""
        return self._write(runs, [], skip_known=skip_known)[0]

    def merge(
        self, runs: Iterable[RunRecord] = (), acceptances: Iterable[Acceptance] = ()
    ) -> tuple[int, int]:
        """Append what an exported document holds and the store does not (``bench import``):
        runs whose id is not recorded yet, and acceptances not recorded yet (the same suite,
        benchmark, unit, host, time, who and note), all in one transaction or nothing. Merging
        the same document twice records nothing twice. Returns (runs appended, acceptances
        appended).

            text = Path("runs.json").read_text()   # written by bench export / dumps_runs
            added_runs, added_acceptances = store.merge(loads_runs(text), loads_acceptances(text))
        """
        runs, acceptances = list(runs), list(acceptances)
        for acc in acceptances:
            if not isinstance(acc, Acceptance):
                raise TypeError(f"acceptances must be Acceptance records, got {type(acc).__name__}")
        return self._write(runs, acceptances, skip_known=True)

    def _write(
        self, runs: list[RunRecord], acceptances: list[Acceptance], *, skip_known: bool
    ) -> tuple[int, int]:
        for run in runs:
            if not isinstance(run, RunRecord):
                raise TypeError(f"run must be a RunRecord, got {type(run).__name__}")
        added = accepted = 0
        with self._lock:
            try:
                with _write_transaction(self._conn):
                    for run in runs:
                        if skip_known and self._conn.execute(
                            "SELECT 1 FROM runs WHERE run_id = ?", (run.run_id,)
                        ).fetchone():
                            continue
                        self._insert(run)
                        added += 1
                    for acc in acceptances:
                        # an acceptance has no id of its own: the whole record is its identity
                        # (IS compares NULL host/benchmark as equal)
                        if self._conn.execute(
                            "SELECT 1 FROM acceptances WHERE suite IS ? AND benchmark IS ? AND "
                            "unit IS ? AND host IS ? AND timestamp IS ? AND who IS ? AND note IS ?",
                            _acceptance_row(acc),
                        ).fetchone():
                            continue
                        self._insert_acceptance(acc)
                        accepted += 1
            except sqlite3.Error as exc:
                raise SeriesStoreError(
                    f"cannot write to the store {str(self.path)!r}: {exc}; no run was changed"
                ) from exc
        return added, accepted

    def _insert_acceptance(self, acc: Acceptance) -> None:
        self._conn.execute(
            "INSERT INTO acceptances (suite, benchmark, unit, host, timestamp, who, note) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            _acceptance_row(acc),
        )

    def _insert(self, run: RunRecord) -> None:
        env_json = json.dumps(dict(run.environment), sort_keys=True, default=str)
        try:
            cur = self._conn.execute(
                "INSERT INTO runs (run_id, suite, timestamp, environment, canary) VALUES (?, ?, ?, ?, ?)",
                (run.run_id, run.suite, run.timestamp, env_json, run.canary),
            )
        except sqlite3.IntegrityError as exc:
            raise SeriesStoreError(
                f"run {run.run_id!r} could not be appended: {exc}; no run of this batch was appended"
            ) from exc
        self._conn.executemany(
            "INSERT INTO results (run, name, loops, failed, error, median, samples, normalized, "
            "judgement, unit, noisy) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (cur.lastrowid, b.name, b.loops, int(b.failed), b.error, b.median,
                 json.dumps(list(b.samples)), json.dumps(list(b.normalized)),
                 None if b.judgement is None else _dumps(b.judgement), b.unit, int(b.noisy))
                for b in run.benchmarks
            ],
        )  # fmt: skip

    # -- reading -----------------------------------------------------------------------------
    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return list(self._conn.execute(sql, params))
            except sqlite3.Error as exc:
                raise SeriesStoreError(f"cannot read the store {str(self.path)!r}: {exc}") from exc

    def suites(self) -> list[str]:
        return [r[0] for r in self._query("SELECT DISTINCT suite FROM runs ORDER BY suite")]

    def benchmarks(self, suite: str) -> list[str]:
        rows = self._query(
            "SELECT DISTINCT r.name FROM results r JOIN runs u ON u.id = r.run "
            "WHERE u.suite = ? ORDER BY r.name",
            (suite,),
        )
        return [r[0] for r in rows]

    def count_runs(self, suite: str | None = None) -> int:
        if suite is None:
            return int(self._query("SELECT count(*) FROM runs")[0][0])
        return int(self._query("SELECT count(*) FROM runs WHERE suite = ?", (suite,))[0][0])

    def _skip_corrupt(self, run_id: str, exc: Exception) -> None:
        # One undecodable row must not make the whole suite unreadable (and block new runs): it is
        # skipped, counted and reported; the row itself stays as it is (append-only).
        self.corrupt_rows += 1
        warnings.warn(
            f"run {run_id!r} in {str(self.path)!r} has a corrupt row ({exc}); skipped it",
            CorruptRowWarning, stacklevel=3,
        )  # fmt: skip

    def runs(self, suite: str | None = None, *, limit: int | None = None) -> list[RunRecord]:
        """Recorded runs (of ``suite``, or all), oldest first; the last ``limit`` if given. A run
        with an undecodable row is skipped with a :class:`CorruptRowWarning` (and counted in
        :attr:`corrupt_rows`)."""
        where, params = ("WHERE suite = ?", (suite,)) if suite is not None else ("", ())
        sql = f"SELECT id, run_id, suite, timestamp, environment, canary FROM runs {where} ORDER BY timestamp DESC, id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        heads = self._query(sql, params)[::-1]
        out: list[RunRecord] = []
        for pk, run_id, suite_name, ts, env_json, canary in heads:
            rows = self._query(
                "SELECT name, loops, failed, error, samples, normalized, judgement, "
                "COALESCE(unit, 'seconds'), COALESCE(noisy, 0) FROM results "
                "WHERE run = ? ORDER BY rowid",
                (pk,),
            )
            try:
                benches = tuple(
                    BenchmarkRecord(name, tuple(float(v) for v in json.loads(s)), int(loops),
                                    bool(failed), error, tuple(float(v) for v in json.loads(nz)),
                                    None if judged is None else _loads_mapping(judged), unit,
                                    bool(noisy))
                    for name, loops, failed, error, s, nz, judged, unit, noisy in rows
                )  # fmt: skip
                environment = _loads_mapping(env_json)
            except (ValueError, TypeError) as exc:
                self._skip_corrupt(run_id, exc)
                continue
            out.append(RunRecord(run_id, suite_name, ts, benches, environment, canary))
        return out

    def history(
        self,
        suite: str,
        benchmark: str,
        *,
        limit: int | None = None,
        host: str | None = None,
        unit: str = "seconds",
    ) -> list[HistoryPoint]:
        """Successful runs of ``benchmark`` in ``suite`` measured in ``unit``, oldest first (the
        last ``limit``); only those recorded on ``host`` (the environment's ``hostname``) if
        given. Noisy runs are included with ``noisy=True`` (the gate leaves them out of its
        baselines). Rows that cannot be decoded are skipped with a :class:`CorruptRowWarning`."""
        check_unit(unit)
        where = ""
        params: tuple[Any, ...] = (suite, benchmark, unit)
        if host is not None:
            where = ("AND json_valid(u.environment) AND "
                     "json_extract(u.environment, '$.hostname') = ? ")  # fmt: skip
            params = (*params, host)
        sql = (
            "SELECT u.timestamp, r.median, u.run_id, r.samples, r.normalized, COALESCE(r.noisy, 0) "
            "FROM results r JOIN runs u ON u.id = r.run WHERE u.suite = ? AND r.name = ? "
            "AND COALESCE(r.unit, 'seconds') = ? AND r.failed = 0 "
            f"AND r.median IS NOT NULL {where}ORDER BY u.timestamp DESC, u.id DESC"
        )
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        out: list[HistoryPoint] = []
        for ts, med, run_id, samples, normalized, noisy in self._query(sql, params)[::-1]:
            try:
                nz = tuple(float(v) for v in json.loads(normalized))
                point = HistoryPoint(
                    float(ts), float(med), run_id,
                    median(nz) if nz else None,
                    tuple(float(v) for v in json.loads(samples)),
                    nz, unit, bool(noisy),
                )  # fmt: skip
            except (ValueError, TypeError) as exc:
                self._skip_corrupt(run_id, exc)
                continue
            out.append(point)
        return out

    # -- acceptances -------------------------------------------------------------------------
    def accept(
        self,
        suite: str,
        benchmark: str | None = None,
        *,
        note: str,
        who: str | None = None,
        unit: str = "seconds",
        host: str | None = None,
        timestamp: float | None = None,
    ) -> Acceptance:
        """Record that ``benchmark``'s (every benchmark's if None) current level in ``suite`` is
        intended, so the gate stops flagging it and takes it as the new baseline. ``note`` says
        why (required, non-empty); ``who`` defaults to the login name. Append-only."""
        acc = make_acceptance(suite, benchmark, note=note, who=who, unit=unit, host=host,
                              timestamp=timestamp)  # fmt: skip
        with self._lock:
            try:
                with _write_transaction(self._conn):
                    self._insert_acceptance(acc)
            except sqlite3.Error as exc:
                raise SeriesStoreError(f"cannot write to the store {str(self.path)!r}: {exc}") from exc
        return acc

    def acceptances(self, suite: str | None = None) -> list[Acceptance]:
        """Recorded acceptances (of ``suite``, or all), oldest first."""
        where, params = ("WHERE suite = ?", (suite,)) if suite is not None else ("", ())
        rows = self._query(
            "SELECT suite, benchmark, timestamp, note, who, unit, host FROM acceptances "
            f"{where} ORDER BY timestamp, id",
            params,
        )
        return [Acceptance(*row) for row in rows]

    def __iter__(self) -> Iterator[RunRecord]:
        return iter(self.runs())

    # -- lifetime ----------------------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r})"
