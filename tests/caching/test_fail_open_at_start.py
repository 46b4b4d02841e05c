"""Issue 9, fail open everywhere: a shared tier that cannot be opened at decoration never stops
the process. It degrades to the other tiers, counts ``errors{op="open"}``, logs once and is
tried again later; only ``strict=True`` raises. (Before: CacheError at import.)
"""

from __future__ import annotations

import logging
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from codomyrmex.performance import CacheManager, cached_function
from codomyrmex.performance.errors import CacheError


def _valid_db(path: Path) -> None:
    @cached_function(name="fail_open_seed", persist=path)
    def seed(x: int) -> int:
        return x

    seed(1)
    seed.cache_close()  # type: ignore[attr-defined]
    # Fold the WAL into the file, so that the file alone is the database.
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")


def corrupt_header(path: Path) -> None:
    _valid_db(path)
    with open(path, "r+b") as fh:
        fh.write(b"this is not an sqlite header!!!!")


def truncated(path: Path) -> None:
    _valid_db(path)
    data = path.read_bytes()
    path.write_bytes(data[:50])  # cut inside the 100-byte header


def directory(path: Path) -> None:
    path.mkdir()


def parent_is_a_file(path: Path) -> None:
    path.parent.rmdir() if path.parent.exists() else None
    path.parent.write_text("a file where the directory should be")


BREAKERS: dict[str, Callable[[Path], None]] = {
    "corrupt-header": corrupt_header,
    "truncated": truncated,
    "directory": directory,
    "parent-is-a-file": parent_is_a_file,
}


@pytest.mark.parametrize("broken", list(BREAKERS))
def test_an_unopenable_sqlite_file_degrades_counts_and_logs_once(
    tmp_path: Path, unique_name: str, broken: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "d" / "c.sqlite3"
    path.parent.mkdir()
    BREAKERS[broken](path)
    calls: list[int] = []
    with caplog.at_level(logging.WARNING, logger="codomyrmex.performance.caching"):

        @cached_function(name=unique_name, persist=path, retry_after=60)
        def f(x: int) -> int:
            calls.append(x)
            return 2 * x

        assert (f(1), f(1), f(2)) == (2, 2, 4)  # memory still caches
    assert calls == [1, 2]
    stats = f.cache_stats()  # type: ignore[attr-defined]
    assert stats.errors == {"disk/open": 1}  # later calls skip the tier for retry_after
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and f"cache {unique_name!r}: disk tier" in warnings[0]


@pytest.mark.parametrize("broken", list(BREAKERS))
def test_strict_raises_naming_the_file(tmp_path: Path, broken: str) -> None:
    path = tmp_path / "d" / "c.sqlite3"
    path.parent.mkdir()
    BREAKERS[broken](path)
    with pytest.raises(CacheError) as info:
        cached_function(persist=path, strict=True)
    message = str(info.value)
    assert message.startswith(f"persist={str(path)!r} cannot be opened as SQLite (")
    assert message.endswith(
        "pass strict=False to start without it (counted, logged once, retried later)"
    )
    with pytest.raises(CacheError, match="cannot be opened as SQLite"):
        CacheManager(persist=path, strict=True)


def test_the_manager_fails_open_too(tmp_path: Path, unique_name: str) -> None:
    path = tmp_path / "c.sqlite3"
    path.mkdir()
    manager = CacheManager(persist=path, name=unique_name)
    manager.set("k", 1)
    assert manager.get("k") == 1
    assert manager.cache_stats()["caches"][unique_name]["errors"]["disk/open"] == 1


def test_a_tier_that_comes_back_is_used_again(tmp_path: Path, unique_name: str) -> None:
    path = tmp_path / "c.sqlite3"
    path.mkdir()  # a directory where the file should be: cannot be opened now
    calls: list[int] = []

    @cached_function(name=unique_name, persist=path, retry_after=0)
    def f(x: int) -> int:
        calls.append(x)
        return x

    assert f(1) == 1
    path.rmdir()  # the operator fixes it
    assert f(2) == 2
    stats = f.cache_stats()  # type: ignore[attr-defined]
    assert stats.errors["disk/open"] == 1
    with sqlite3.connect(path) as conn:  # the tier was opened again and written
        assert conn.execute("SELECT COUNT(*) FROM cache_entries").fetchone() == (1,)


def test_a_full_disk_at_start_degrades(tmp_path: Path) -> None:
    # A file size limit of 0 bytes makes every write fail with EFBIG, as a full disk does
    # ("database or disk is full"); SIGXFSZ is ignored so that the write fails instead of
    # killing the process.
    script = f"""
import resource, signal
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
from codomyrmex.performance import cached_function

@cached_function(name="full", persist={str(tmp_path / "full.sqlite3")!r}, retry_after=60)
def f(x):
    return x + 1

print(f(1), f(1), f.cache_info().hits, f.cache_stats().errors)
"""
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout == "2 2 1 {'disk/open': 1}\n"


# -- Redis: bad URL parts are named; what redis-py refuses later fails open -----------------------
@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("redis://127.0.0.1:abc/0", "has a bad port (Port could not be cast to integer value "
         "as 'abc'); expected an integer 1-65535"),
        ("redis://127.0.0.1:99999/0", "has a bad port (Port out of range 0-65535); expected an "
         "integer 1-65535"),
        ("redis://127.0.0.1:0/0", "has a bad port 0; expected an integer 1-65535"),
        ("redis://127.0.0.1:6379/x", "has a bad database 'x'; expected an integer >= 0"),
        ("redis://127.0.0.1:6379/0?socket_timeout=abc",
         "has a bad socket_timeout 'abc'; expected a positive number of seconds"),
        ("redis://127.0.0.1:6379/0?socket_connect_timeout=-1",
         "has a bad socket_connect_timeout '-1'; expected a positive number of seconds"),
        ("redis://:s3cret@127.0.0.1:6379/0?socket_timeout=inf",
         "has a bad socket_timeout 'inf'; expected a positive number of seconds"),
    ],
)  # fmt: skip
def test_a_redis_url_with_a_bad_port_db_or_timeout_names_it(url: str, message: str) -> None:
    shown = url.replace("s3cret", "***")
    for build in (lambda: cached_function(redis=url), lambda: CacheManager(redis=url)):
        with pytest.raises(CacheError) as info:
            build()
        assert str(info.value) == f"redis URL {shown!r} {message}"
        assert "s3cret" not in str(info.value)


def test_a_redis_url_option_redis_py_refuses_fails_open(
    unique_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    url = "redis://127.0.0.1:6379/0?max_connections=many"
    with caplog.at_level(logging.WARNING, logger="codomyrmex.performance.caching"):

        @cached_function(name=unique_name, redis=url, retry_after=60)
        def f(x: int) -> int:
            return x

        assert (f(1), f(1)) == (1, 1)
    assert f.cache_stats().errors == {"redis/open": 1}  # type: ignore[attr-defined]
    assert len(caplog.records) == 1
    with pytest.raises(CacheError, match=r"^redis redis://127\.0\.0\.1:6379/0\?max_connections="
                       r"many cannot be used \(ValueError: Invalid value for 'max_connections'"):
        cached_function(redis=url, strict=True)  # fmt: skip


