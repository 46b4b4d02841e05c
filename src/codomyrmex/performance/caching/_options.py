"""Argument checks and tier construction shared by :func:`cached_function` and :class:`CacheManager`.

Every message names the argument, the bad value and what is accepted::

    >>> try:
    ...     check_ttl("ttl", -1)
    ... except CacheError as exc:
    ...     print(exc)
    ttl must be a positive number of seconds or a callable, got -1
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import env
from .._validation import check_choice, check_non_empty_str, check_positive_int
from ..errors import CacheError
from ._policies import POLICIES

if TYPE_CHECKING:
    # The tiers are imported when a cache asks for them: sqlite3, redis-py and the codecs stay
    # out of a memory-only program.
    from ._redis_tier import RedisTier
    from ._serialize import Serializer
    from ._sqlite_tier import SQLiteTier

__all__ = [
    "Tiers",
    "check_bool",
    "check_exceptions",
    "check_max_size",
    "check_name",
    "check_optional_callable",
    "check_policy",
    "check_positive_seconds",
    "check_retry_after",
    "check_timer",
    "check_ttl",
    "deprecated",
    "make_disk",
    "make_redis",
    "make_serializer",
    "merge_tiers",
]


def check_ttl(name: str, value: Any, *, allow_callable: bool = True) -> Any:
    """``None``, a finite number > 0, or (if allowed) a callable of the value."""
    if value is None or (allow_callable and callable(value)):
        return value
    what = "a positive number of seconds" + (" or a callable" if allow_callable else "")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be {what}, got {value!r} ({type(value).__name__})")
    if not math.isfinite(value) or value <= 0:
        raise CacheError(f"{name} must be {what}, got {value!r}")
    return value


def check_positive_seconds(name: str, value: Any) -> float:
    """A finite number > 0 (``None`` is not accepted: ``lease_timeout``, ``lease_wait``)."""
    if value is None:
        raise TypeError(f"{name} must be a positive number of seconds, got None")
    return check_ttl(name, value, allow_callable=False)  # type: ignore[no-any-return]


def check_retry_after(value: Any) -> float:
    """Seconds a failed tier is skipped: a number >= 0 (0: ask it again on the next call)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
    ):
        raise CacheError(f"retry_after must be a number of seconds >= 0, got {value!r}")
    return value


def check_timer(value: Any) -> Callable[[], float]:
    if not callable(value):
        raise TypeError(
            f"timer must be a callable returning seconds (like time.monotonic), got {value!r} "
            f"({type(value).__name__})"
        )
    return value  # type: ignore[no-any-return]


def check_max_size(name: str, value: Any) -> int:
    return check_positive_int(name, value, error=CacheError)


def check_policy(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"policy must be a string, got {value!r} ({type(value).__name__})")
    return check_choice("policy", value.lower(), POLICIES, error=CacheError)


def check_name(name: str, value: Any) -> str:
    return check_non_empty_str(name, value, error=CacheError)


def check_exceptions(value: Any) -> tuple[type[BaseException], ...]:
    if isinstance(value, type) and issubclass(value, BaseException):
        return (value,)
    if not isinstance(value, tuple) or not all(
        isinstance(t, type) and issubclass(t, BaseException) for t in value
    ):
        raise TypeError(
            f"cache_exceptions must be an exception class or a tuple of them, got {value!r}"
        )
    return value


def make_serializer(signing_key: Any) -> Serializer:
    from ._serialize import Serializer

    key = signing_key if signing_key is not None else env.get("CODOMYRMEX_PERF_CACHE_SIGNING_KEY")
    return Serializer(key)


def make_disk(persist: Any, *, cache_dir: Any = None, strict: bool = False) -> SQLiteTier | None:
    """``persist``: a file path, ``True`` (default file), an :class:`SQLiteTier`, or
    ``None``/``False`` (no disk tier).

    A relative path is placed under ``cache_dir`` or ``CODOMYRMEX_PERF_CACHE_DIR`` when set. A
    file that cannot be opened (a directory, a corrupt or truncated file, a full disk) fails
    open: the tier is returned with its ``open_error`` (counted and logged once by the cache,
    opened again on a later call); ``strict=True`` raises :class:`CacheError` instead.
    """
    if persist is None or persist is False:
        return None
    from pathlib import Path

    from ._sqlite_tier import SQLiteTier

    if isinstance(persist, SQLiteTier):  # a tier built by the caller (custom busy timeout, clock)
        return persist
    base = cache_dir or env.get("CODOMYRMEX_PERF_CACHE_DIR")
    if persist is True:
        root = Path(base) if base else Path.home() / ".cache" / "codomyrmex-perf"
        path = root / "cache.sqlite3"
    elif isinstance(persist, str | os.PathLike):
        path = Path(persist).expanduser()
        if str(path).strip() in ("", "."):
            raise CacheError(f"persist must be a file path, True or None, got {persist!r}")
        if not path.is_absolute() and base:
            path = Path(base) / path
    else:
        raise TypeError(
            f"persist must be a file path, True or None, got {persist!r} ({type(persist).__name__})"
        )
    try:
        return SQLiteTier(path, strict=strict)
    except Exception as exc:
        raise CacheError(
            f"persist={str(path)!r} cannot be opened as SQLite ({type(exc).__name__}: {exc}); "
            "pass strict=False to start without it (counted, logged once, retried later)"
        ) from exc


def make_redis(redis: Any, *, strict: bool) -> RedisTier | None:
    """``redis``: a URL, a redis-py client, ``True`` (``CODOMYRMEX_PERF_CACHE_REDIS_URL``), or
    ``None``/``False``."""
    if redis is None or redis is False:
        return None
    from ._redis_tier import RedisTier

    if redis is True:
        url = env.get("CODOMYRMEX_PERF_CACHE_REDIS_URL")
        if not url:
            raise CacheError("redis=True needs CODOMYRMEX_PERF_CACHE_REDIS_URL to be set")
        redis = url
    return RedisTier(redis, strict=strict)


def check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return value


def check_optional_callable(name: str, value: Any) -> Callable[..., Any] | None:
    if value is not None and not callable(value):
        raise TypeError(f"{name} must be callable or None, got {value!r} ({type(value).__name__})")
    return value  # type: ignore[no-any-return]


_TIER_DEFAULTS: dict[str, Any] = {
    "persist": None,
    "redis": None,
    "signing_key": None,
    "strict": False,
    "key_prefix": "codomyrmex:",
    "lease_timeout": 30.0,
    "lease_wait": 30.0,
    "retry_after": 1.0,
}


class Tiers:
    """The shared-tier set-up of a cache, in one immutable object (``tiers=`` of
    :func:`~codomyrmex.performance.cached_function` and
    :class:`~codomyrmex.performance.CacheManager`; the same flat keywords are accepted too).

    - ``persist``: SQLite file path (``True``: the default file); ``redis``: a ``redis://`` URL,
      a redis-py client or a ``redis.asyncio`` client (``True``: ``CODOMYRMEX_PERF_CACHE_REDIS_URL``).
    - ``signing_key``: HMAC key (values are sealed with a MAC over namespace, key, expiry and
      value; enables signed pickle); without one, a checksum.
    - ``strict``: raise at set-up when a tier cannot be opened (default: fail open, count, log
      once, retry after ``retry_after`` seconds).
    - ``key_prefix``: prefix of every shared key (default ``codomyrmex:``).
    - ``lease_timeout``/``lease_wait``: the Redis lease (seconds a leader holds it at most,
      renewed every second while it computes; seconds another process waits for its value).

        >>> shared = Tiers(persist="cache.sqlite3", retry_after=5)
        >>> shared.retry_after, shared.redis
        (5, None)
        >>> shared.replace(redis="redis://127.0.0.1:6379/0").persist
        'cache.sqlite3'
    """

    __slots__ = tuple(_TIER_DEFAULTS)

    persist: Any
    redis: Any
    signing_key: bytes | str | None
    strict: bool
    key_prefix: str
    lease_timeout: float
    lease_wait: float
    retry_after: float

    def __init__(
        self,
        *,
        persist: Any = None,
        redis: Any = None,
        signing_key: bytes | str | None = None,
        strict: bool = False,
        key_prefix: str = "codomyrmex:",
        lease_timeout: float = 30.0,
        lease_wait: float = 30.0,
        retry_after: float = 1.0,
    ) -> None:
        check_bool("strict", strict)
        if not isinstance(key_prefix, str):
            raise TypeError(f"key_prefix must be a string, got {key_prefix!r}")
        check_positive_seconds("lease_timeout", lease_timeout)
        check_positive_seconds("lease_wait", lease_wait)
        check_retry_after(retry_after)
        if signing_key is not None:
            make_serializer(signing_key)  # bad type, length or encoding: named now
        values = {
            "persist": persist, "redis": redis, "signing_key": signing_key, "strict": strict,
            "key_prefix": key_prefix, "lease_timeout": lease_timeout, "lease_wait": lease_wait,
            "retry_after": retry_after,
        }  # fmt: skip
        for field, value in values.items():
            object.__setattr__(self, field, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Tiers is immutable: use .replace({name}=...)")

    def replace(self, **changes: Any) -> Tiers:
        """A copy with ``changes`` applied."""
        unknown = sorted(set(changes) - set(_TIER_DEFAULTS))
        if unknown:
            raise TypeError(
                f"Tiers has no option {unknown[0]!r}; options: {', '.join(_TIER_DEFAULTS)}"
            )
        return Tiers(**{**self.as_dict(), **changes})

    def as_dict(self) -> dict[str, Any]:
        return {field: getattr(self, field) for field in _TIER_DEFAULTS}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Tiers) and self.as_dict() == other.as_dict()

    def __hash__(self) -> int:
        return hash(tuple(repr(v) for v in self.as_dict().values()))

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{k}={'<key>' if k == 'signing_key' else repr(v)}"
            for k, v in self.as_dict().items()
            if v != _TIER_DEFAULTS[k]
        )
        return f"Tiers({shown})"


def merge_tiers(tiers: Any, flat: dict[str, Any]) -> Tiers:
    """``tiers=`` or the flat keywords (``persist=``, ``redis=``, ...), not both."""
    given = [k for k, v in flat.items() if v is not _TIER_DEFAULTS[k] and v != _TIER_DEFAULTS[k]]
    if tiers is None:
        return Tiers(**flat)
    if not isinstance(tiers, Tiers):
        raise TypeError(f"tiers must be a Tiers(...) object or None, got {tiers!r}")
    if given:
        raise CacheError(
            f"pass the shared-tier options either in tiers= or as keywords, not both "
            f"(got tiers= and {', '.join(f'{k}=' for k in given)})"
        )
    return tiers


def deprecated(old: str, new: str) -> None:
    """Warn that ``old`` is an old spelling of ``new`` (it keeps working), attributed to the
    caller's line: the first frame outside this package (a lazy re-export may sit between)."""
    import sys
    import warnings

    package = __file__.rsplit("/caching/", 1)[0].rsplit("\\caching\\", 1)[0]
    level, frame = 2, sys._getframe(1)  # level 1 is this function, 2 its caller
    while frame is not None and frame.f_code.co_filename.startswith(package):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    warnings.warn(f"{old} is deprecated; use {new} (same meaning)", DeprecationWarning, level)
