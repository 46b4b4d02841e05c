"""The shared tier: Redis through redis-py, imported only when a cache is given ``redis=``.

Values are plain ``SET key value PX ttl``. Cross-process stampede protection uses a lease:
``SET <key>:lease <token> NX PX <lease_ms>``. Only the owner of the token releases it (a
compare-and-delete script), and ``PX`` means a holder that dies leaves nothing behind for longer
than ``lease_ms``.

Errors are raised to the caller (:class:`~._core.TieredCache`), which counts them, logs once and
falls back to computing. redis-py's connection pool reconnects on the next command, so when the
server comes back the tier is simply used again.

    >>> tier = RedisTier("redis://127.0.0.1:6379/0")  # doctest: +SKIP
    >>> tier.set("k", b"J1", 10.0); tier.get("k")     # doctest: +SKIP
    b'J1'
"""

from __future__ import annotations

import struct
import time
from typing import Any

from ..errors import CacheError

__all__ = ["RedisTier"]

# Delete the lease only if we still own it: after our PX ran out another process may hold it.
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


# Extend the lease only if we still own it (a holder renews while it computes).
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""


# A value written with a TTL carries its absolute expiry (Unix seconds, 8-byte double) after
# an ``X`` tag: a reader copying it into memory or SQLite gives the copy the seconds left, and
# learns them from the one GET (a PTTL in the same round trip, by script or pipeline, cost
# ~10-20 % of an L2 hit). Redis's own expiry stays authoritative for the entry; the header
# only bounds copies, to within the hosts' clock skew.
_EXPIRY_TAG = b"X"
_EXPIRY = struct.Struct("<d")
_HEADER = 1 + _EXPIRY.size


# Add a member to a tag set whose lifetime covers its longest-lived member: a new set gets the
# entry's TTL, a longer TTL extends it, a member without TTL makes it persistent.
_ADD_TAG = """
local added = redis.call('sadd', KEYS[1], ARGV[1])
local ttl = tonumber(ARGV[2])
local left = redis.call('pttl', KEYS[1])
if ttl < 0 then
    redis.call('persist', KEYS[1])
elseif left >= 0 and left < ttl then
    redis.call('pexpire', KEYS[1], ttl)
elseif left == -1 and added == 1 and redis.call('scard', KEYS[1]) == 1 then
    redis.call('pexpire', KEYS[1], ttl)
end
return added
"""

_POP_TAG = """
local keys = redis.call('smembers', KEYS[1])
redis.call('del', KEYS[1])
return keys
"""


def _import_redis() -> Any:
    try:
        import redis
    except ImportError as exc:  # pragma: no cover - redis is in the test extra
        raise CacheError(
            "redis= needs redis-py; install it with `pip install codomyrmex-performance[redis]`"
        ) from exc
    return redis


def _glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


def _shown(url: str) -> str:
    """``url`` with its password masked, for messages and logs."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


_TIMEOUTS = ("socket_timeout", "socket_connect_timeout", "health_check_interval")


def check_url(url: str) -> None:
    """Refuse a URL that can never work, naming the part: a port that is not an integer in
    1..65535, a database that is not an integer >= 0 (redis-py would silently use db 0), a
    timeout that is not a positive number of seconds. Anything else is for redis-py and the
    server to judge, when the cache first uses them (failing open)."""
    import math
    from urllib.parse import parse_qs, urlsplit

    shown = _shown(url)
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError as exc:
        raise CacheError(
            f"redis URL {shown!r} has a bad port ({exc}); expected an integer 1-65535"
        ) from None
    if port == 0:
        raise CacheError(f"redis URL {shown!r} has a bad port 0; expected an integer 1-65535")
    query = parse_qs(parts.query)
    dbs = query.get("db", [])
    if parts.scheme != "unix" and parts.path.strip("/"):
        dbs.append(parts.path.strip("/"))
    for db in dbs:
        if not db.isdigit():
            raise CacheError(
                f"redis URL {shown!r} has a bad database {db!r}; expected an integer >= 0"
            )
    for name in _TIMEOUTS:
        for value in query.get(name, []):
            try:
                seconds = float(value)
            except ValueError:
                seconds = math.nan
            if not (math.isfinite(seconds) and seconds > 0):
                raise CacheError(
                    f"redis URL {shown!r} has a bad {name} {value!r}; expected a positive "
                    "number of seconds"
                )


class _Unavailable:
    """The client of a Redis tier that could not be built (``strict=False``): every command
    raises, so the cache counts it and carries on without Redis."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __getattr__(self, name: str) -> Any:
        def unavailable(*args: Any, **kwargs: Any) -> Any:
            raise CacheError(f"the Redis tier could not be set up: {self.reason}")

        return unavailable


# The connection parameters a redis.asyncio client shares with a synchronous one.
_TWIN_KWARGS = (
    "host", "port", "path", "db", "username", "password", "credential_provider",
    "socket_timeout", "socket_connect_timeout", "socket_keepalive", "client_name", "protocol",
    "ssl_keyfile", "ssl_certfile", "ssl_cert_reqs", "ssl_ca_certs", "ssl_ca_data",
    "ssl_ca_path", "ssl_check_hostname", "ssl_password",
)  # fmt: skip


def _is_async_client(client: Any) -> bool:
    return (type(client).__module__ or "").startswith("redis.asyncio")


def _sync_twin(client: Any) -> Any:
    """A synchronous client to the server, database and credentials of a ``redis.asyncio``
    client. The cache runs every Redis call on its own I/O threads (never on the event loop,
    see _async_miss), where a synchronous client is what works on any thread and any loop: an
    asyncio connection belongs to the loop that opened it."""
    import redis

    pool = getattr(client, "connection_pool", None)
    kwargs = dict(getattr(pool, "connection_kwargs", None) or {})
    if kwargs.get("decode_responses"):
        _check_client(client)  # raises, naming decode_responses
    options = {k: kwargs[k] for k in _TWIN_KWARGS if kwargs.get(k) is not None}
    cls_name = getattr(getattr(pool, "connection_class", None), "__name__", "")
    if "path" in options:
        options["unix_socket_path"] = options.pop("path")
    elif cls_name == "SSLConnection":
        options["ssl"] = True
    if not any(k in options for k in ("host", "unix_socket_path")):
        raise TypeError(
            f"redis: cannot read the connection parameters of {type(client).__name__} "
            f"({client!r}); pass a redis:// URL instead"
        )
    return redis.Redis(**options)


def _check_client(client: Any) -> None:
    """Refuse a client whose replies this tier cannot read: every operation would fail (counted,
    logged once) and the tier would never hit, which is easy to miss."""
    get_kwargs = getattr(client, "get_connection_kwargs", None)
    kwargs = get_kwargs() if callable(get_kwargs) else {}
    if isinstance(kwargs, dict) and kwargs.get("decode_responses"):
        raise CacheError(
            f"redis must be a client with decode_responses=False, got a {type(client).__name__} "
            "with decode_responses=True; the cache stores bytes: pass a client made without "
            "it, or a redis:// URL"
        )


class RedisTier:
    """Bytes by stable key in Redis. ``target`` is a ``redis://`` URL or a redis-py client."""

    name = "redis"

    def __init__(
        self,
        target: Any,
        *,
        strict: bool = False,
        socket_timeout: float = 1.0,
    ) -> None:
        redis = _import_redis()
        if isinstance(target, str):
            if not target.startswith(("redis://", "rediss://", "unix://")):
                raise CacheError(
                    f"redis must be a redis://, rediss:// or unix:// URL or a redis-py client, "
                    f"got {target!r}"
                )
            check_url(target)
            self.open_error: Exception | None = None
            try:
                # Short timeouts: a cache that waits 30 s for a dead server is worse than no
                # cache.
                self.client = redis.Redis.from_url(
                    target, socket_timeout=socket_timeout, socket_connect_timeout=socket_timeout
                )
            except Exception as exc:  # an option redis-py refuses in the URL's query
                if strict:
                    raise CacheError(
                        f"redis {_shown(target)} cannot be used ({type(exc).__name__}: {exc})"
                    ) from exc
                # Fail open: counted as errors{op="open"} and logged once by the cache.
                self.open_error = exc
                self.client = _Unavailable(f"{type(exc).__name__}: {exc}")
            self.owned = True
        elif _is_async_client(target):
            self.client = _sync_twin(target)  # (ours to close; the caller's client is theirs)
            self.owned = True
            self.open_error = None
        elif all(hasattr(target, m) for m in ("get", "set", "delete", "eval")):
            _check_client(target)
            self.client = target
            self.owned = False
            self.open_error = None
        else:
            raise TypeError(
                f"redis must be a redis:// URL or a redis-py client, got {target!r} "
                f"({type(target).__name__})"
            )
        self.url = target if isinstance(target, str) else None
        if strict:
            try:
                self.client.ping()
            except Exception as exc:
                shown = _shown(self.url) if self.url else repr(target)
                raise CacheError(
                    f"redis {shown} is unreachable ({type(exc).__name__}: {exc}); "
                    "pass strict=False to start anyway and fall back to computing"
                ) from exc

    def get(self, key: str) -> bytes | None:
        entry = self.get_entry(key)
        return None if entry is None else entry[0]

    def get_entry(self, key: str) -> tuple[bytes, float | None] | None:
        """``(value, seconds left)`` (``None``: no expiry), or ``None`` when the key is absent
        (or its expiry header says it has just expired)."""
        data = self.client.get(key)
        if data is None:
            return None
        if data[:1] != _EXPIRY_TAG or len(data) < _HEADER:
            return bytes(data), None  # (a truncated header is rejected by the decoder)
        (expires_at,) = _EXPIRY.unpack_from(data, 1)
        left = expires_at - time.time()
        if left <= 0:
            return None
        return bytes(data[_HEADER:]), left

    def now(self) -> float:
        """The clock of the expiry headers (Unix seconds)."""
        return time.time()

    def read(self, key: str) -> tuple[bytes, float | None] | None:
        """``(value, expires_at)`` (``None``: no expiry; Unix seconds), or ``None`` when the key
        is absent or its expiry header says it has expired. The sealed value covers
        ``expires_at``, so a rewritten header does not verify."""
        data = self.client.get(key)
        if data is None:
            return None
        if data[:1] != _EXPIRY_TAG or len(data) < _HEADER:
            return bytes(data), None
        (expires_at,) = _EXPIRY.unpack_from(data, 1)
        if expires_at <= time.time():
            return None
        return bytes(data[_HEADER:]), expires_at

    def set(self, key: str, value: bytes, ttl: float | None) -> None:
        self.write(key, value, None if ttl is None else time.time() + ttl)

    def write(self, key: str, value: bytes, expires_at: float | None) -> None:
        """Store ``value`` until ``expires_at`` (Unix seconds; ``None``: no expiry)."""
        if expires_at is None:
            self.client.set(key, value)
        else:
            header = _EXPIRY_TAG + _EXPIRY.pack(expires_at)
            ms = max(1, int((expires_at - time.time()) * 1000))
            self.client.set(key, header + value, px=ms)

    def delete(self, key: str) -> bool:
        return bool(self.client.delete(key))

    def clear(self, prefix: str) -> int:
        """Delete every key starting with ``prefix`` (SCAN, never KEYS: it does not block)."""
        removed = 0
        batch: list[Any] = []
        for key in self.client.scan_iter(match=_glob_escape(prefix) + "*", count=500):
            batch.append(key)
            if len(batch) >= 500:
                removed += int(self.client.delete(*batch))
                batch.clear()
        if batch:
            removed += int(self.client.delete(*batch))
        return removed

    def add_tags(self, key: str, tags: list[str], ttl: float | None) -> None:
        """Add ``key`` to the Redis set of every tag (full tag keys, namespaced by the caller)."""
        ms = -1 if ttl is None else max(1, int(ttl * 1000))
        for tag in tags:
            self.client.eval(_ADD_TAG, 1, tag, key, ms)

    def pop_tag(self, tag: str) -> list[str]:
        """The keys tagged ``tag`` (deleting the tag's set), in one atomic step."""
        members = self.client.eval(_POP_TAG, 1, tag) or []
        return [m.decode() if isinstance(m, bytes) else str(m) for m in members]

    def acquire(self, lease_key: str, token: str, lease_ms: int) -> bool:
        return bool(self.client.set(lease_key, token, nx=True, px=lease_ms))

    def renew(self, lease_key: str, token: str, lease_ms: int) -> bool:
        """Extend our lease by ``lease_ms`` from now; ``False`` if it is no longer ours."""
        return bool(self.client.eval(_RENEW, 1, lease_key, token, lease_ms))

    def release(self, lease_key: str, token: str) -> None:
        self.client.eval(_RELEASE, 1, lease_key, token)

    def close(self) -> None:
        if self.owned and not isinstance(self.client, _Unavailable):
            self.client.close()
