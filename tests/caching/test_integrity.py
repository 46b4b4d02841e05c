"""Issue 9, integrity: a stored value is sealed to its entry (namespace and key, expiry, value).

With a signing key the seal is an HMAC: someone who can write the SQLite file or Redis, but has
no key, cannot copy a signed value onto another key or another cache, swap two values or
re-date one. Without a key it is a CRC-32: a flipped digit is a counted miss, not a wrong
value. Real files and a real ``redis-server``; every case counts ``errors{op="verify"}``.
"""

from __future__ import annotations

import gc
import os
import sqlite3
import stat
import struct
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from codomyrmex.performance import cached_function
from codomyrmex.performance.caching._keys import canonical, namespace, stable_key

KEY = b"integrity-test-signing-key-0123"
USERS = {"alice": {"role": "admin"}, "mallory": {"role": "guest"}, "bob": {"role": "editor"}}


class RawStore:
    """Reads and writes entries as an attacker with write access (and no key) would."""

    def __init__(self, kind: str, where: Any) -> None:
        self.kind = kind
        if kind == "sqlite":
            self.path = where
        else:
            import redis

            self.client = redis.Redis.from_url(where)

    def get(self, skey: str) -> tuple[bytes, Any]:
        if self.kind == "sqlite":
            with closing(sqlite3.connect(self.path)) as conn:
                row = conn.execute(
                    "SELECT value, expires_at FROM cache_entries WHERE key = ?", (skey,)
                ).fetchone()
            assert row is not None, skey
            return bytes(row[0]), row[1]
        data = self.client.get(skey)
        assert data is not None, skey
        return bytes(data), self.client.pttl(skey)

    def put(self, skey: str, entry: tuple[bytes, Any]) -> None:
        value, expiry = entry
        if self.kind == "sqlite":
            with closing(sqlite3.connect(self.path)) as conn, conn:
                conn.execute(
                    "INSERT OR REPLACE INTO cache_entries (key, value, expires_at) VALUES (?, ?, ?)",
                    (skey, value, expiry),
                )
        elif expiry is None or expiry < 0:
            self.client.set(skey, value)
        else:
            self.client.set(skey, value, px=expiry)

    def redate(self, skey: str, seconds: float) -> None:
        """Move the entry's expiry ``seconds`` later, leaving the value bytes as they are."""
        value, expiry = self.get(skey)
        if self.kind == "sqlite":
            self.put(skey, (value, expiry + seconds))
        else:  # the expiry header: b"X" + <d Unix seconds, then the sealed value
            (at,) = struct.unpack_from("<d", value, 1)
            self.put(skey, (b"X" + struct.pack("<d", at + seconds) + value[9:], expiry))

    def close(self) -> None:
        if self.kind == "redis":
            self.client.close()


@pytest.fixture(params=["sqlite", "redis"])
def store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[dict[str, Any], RawStore]]:
    if request.param == "sqlite":
        path = tmp_path / "c.sqlite3"
        raw = RawStore("sqlite", path)
        yield {"persist": path}, raw
    else:
        url = request.getfixturevalue("redis_url")
        raw = RawStore("redis", url)
        yield {"redis": url}, raw
    raw.close()


def _role_cache(name: str, calls: list[str], tier: dict[str, Any], **extra: Any) -> Any:
    @cached_function(name=name, retry_after=0, **tier, **extra)
    def role(user: str) -> dict[str, str]:
        calls.append(user)
        return USERS[user]

    return role


def _skey(name: str, user: str) -> str:
    return stable_key(namespace("codomyrmex:", name), canonical((user,), {}))


def _tier_name(tier: dict[str, Any]) -> str:
    return "disk" if "persist" in tier else "redis"


def _fresh(name: str, calls: list[str], tier: dict[str, Any], **extra: Any) -> Any:
    gc.collect()  # the previous view's claim on the name ends with it
    return _role_cache(name, calls, tier, **extra)


@pytest.mark.parametrize("signed", [True, False], ids=["hmac", "checksum"])
def test_a_value_copied_onto_another_key_is_a_counted_miss(
    store: tuple[dict[str, Any], RawStore], unique_name: str, signed: bool
) -> None:
    tier, raw = store
    extra = {"signing_key": KEY} if signed else {}
    calls: list[str] = []
    writer = _role_cache(unique_name, calls, tier, **extra)
    assert writer("alice") == {"role": "admin"} and writer("mallory") == {"role": "guest"}
    del writer
    raw.put(_skey(unique_name, "mallory"), raw.get(_skey(unique_name, "alice")))  # the forgery
    reader = _fresh(unique_name, calls, tier, **extra)
    assert reader("mallory") == {"role": "guest"}  # before: alice's {"role": "admin"}
    assert calls == ["alice", "mallory", "mallory"]
    assert reader.cache_stats().errors == {f"{_tier_name(tier)}/verify": 1}


def test_two_swapped_values_are_both_counted_misses(
    store: tuple[dict[str, Any], RawStore], unique_name: str
) -> None:
    tier, raw = store
    calls: list[str] = []
    writer = _role_cache(unique_name, calls, tier, signing_key=KEY)
    writer("alice"), writer("bob")
    del writer
    a, b = _skey(unique_name, "alice"), _skey(unique_name, "bob")
    entry_a, entry_b = raw.get(a), raw.get(b)
    raw.put(a, entry_b)
    raw.put(b, entry_a)
    reader = _fresh(unique_name, calls, tier, signing_key=KEY)
    assert (reader("alice"), reader("bob")) == ({"role": "admin"}, {"role": "editor"})
    assert calls == ["alice", "bob", "alice", "bob"]
    assert reader.cache_stats().errors == {f"{_tier_name(tier)}/verify": 2}


def test_a_value_copied_onto_another_cache_is_a_counted_miss(
    store: tuple[dict[str, Any], RawStore], unique_name: str
) -> None:
    tier, raw = store
    calls: list[str] = []
    admins = _role_cache(unique_name + ".admins", calls, tier, signing_key=KEY)
    guests = _role_cache(unique_name + ".guests", calls, tier, signing_key=KEY)
    assert admins("alice") == {"role": "admin"} and guests("alice") == {"role": "admin"}
    assert guests("mallory") == {"role": "guest"}
    del admins, guests
    # The same argument in another cache: only the namespace differs.
    raw.put(
        _skey(unique_name + ".guests", "mallory"), raw.get(_skey(unique_name + ".admins", "alice"))
    )
    reader = _fresh(unique_name + ".guests", calls, tier, signing_key=KEY)
    assert reader("mallory") == {"role": "guest"}
    assert reader.cache_stats().errors == {f"{_tier_name(tier)}/verify": 1}


@pytest.mark.parametrize("signed", [True, False], ids=["hmac", "checksum"])
def test_a_re_dated_entry_is_a_counted_miss(
    store: tuple[dict[str, Any], RawStore], unique_name: str, signed: bool
) -> None:
    tier, raw = store
    extra = {"signing_key": KEY} if signed else {}
    calls: list[str] = []
    writer = _role_cache(unique_name, calls, tier, ttl=60, **extra)
    writer("alice")
    del writer
    raw.redate(_skey(unique_name, "alice"), 86_400 * 365)  # a year more of life
    reader = _fresh(unique_name, calls, tier, ttl=60, **extra)
    assert reader("alice") == {"role": "admin"}
    assert calls == ["alice", "alice"]
    assert reader.cache_stats().errors == {f"{_tier_name(tier)}/verify": 1}


def test_a_flipped_digit_in_stored_json_is_a_counted_miss(
    store: tuple[dict[str, Any], RawStore], unique_name: str
) -> None:
    tier, raw = store
    calls: list[int] = []

    def build() -> Any:
        gc.collect()

        @cached_function(name=unique_name, retry_after=0, **tier)
        def price(item: int) -> dict[str, int]:
            calls.append(item)
            return {"cents": 12345}

        return price

    assert build()(1) == {"cents": 12345}
    skey = stable_key(namespace("codomyrmex:", unique_name), canonical((1,), {}))
    value, expiry = raw.get(skey)
    assert b'{"cents":12345}' in value
    raw.put(skey, (value.replace(b"12345", b"72345"), expiry))
    fresh = build()
    assert fresh(1) == {"cents": 12345}  # before: {"cents": 72345}, in every new process
    assert calls == [1, 1]
    assert fresh.cache_stats().errors == {f"{_tier_name(tier)}/verify": 1}
    assert build()(1) == {"cents": 12345} and calls == [1, 1]  # the row was written again


# -- files the library creates are private --------------------------------------------------------
def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_cache_files_are_created_0600(tmp_path: Path, unique_name: str) -> None:
    old = os.umask(0o022)  # the usual umask, under which files come out 0644
    try:
        path = tmp_path / "sub" / "c.sqlite3"

        @cached_function(name=unique_name, persist=path)
        def f(x: int) -> int:
            return x

        f(1)
        files = sorted(p.name for p in path.parent.iterdir())
        assert files == ["c.sqlite3", "c.sqlite3-shm", "c.sqlite3-wal"]
        assert {name: _mode(path.parent / name) for name in files} == dict.fromkeys(files, 0o600)
    finally:
        os.umask(old)


def test_series_files_are_created_0600(tmp_path: Path) -> None:
    from codomyrmex.performance.series import SQLiteStore

    old = os.umask(0o022)
    try:
        path = tmp_path / "series.sqlite3"
        store = SQLiteStore(path)
        try:
            files = sorted(p.name for p in tmp_path.iterdir())
            assert "series.sqlite3" in files
            assert {n: _mode(tmp_path / n) for n in files} == dict.fromkeys(files, 0o600)
        finally:
            store.close()
    finally:
        os.umask(old)


@settings(max_examples=300, deadline=None)
@given(
    key=st.binary(min_size=16, max_size=200),
    head=st.binary(max_size=100),
    body=st.binary(max_size=300),
)
@example(key=b"k" * 64, head=b"", body=b"")  # exactly one block: used as is
@example(key=b"k" * 65, head=b"x", body=b"")  # one byte over: hashed first
def test_the_mac_is_hmac_sha256_byte_for_byte(key: bytes, head: bytes, body: bytes) -> None:
    # The seal is computed from two precomputed SHA-256 states; the stored format is still
    # RFC 2104 HMAC-SHA256, so values signed by earlier versions (hmac.digest) still verify.
    import hmac

    from codomyrmex.performance.caching._serialize import hmac_sha256

    assert hmac_sha256(key)(head, body) == hmac.digest(key, head + body, "sha256")


def test_a_value_sealed_with_hmac_digest_still_reads() -> None:
    import hmac

    from codomyrmex.performance.caching._serialize import Serializer, bound

    payload = b'J{"role":"admin"}'
    data = b"S" + hmac.digest(KEY, bound("ns:k", 1.5e9) + payload, "sha256") + payload
    assert Serializer(KEY).loads(data, "ns:k", 1.5e9) == {"role": "admin"}
