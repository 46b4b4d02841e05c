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
    "make_disk",
    "make_redis",
    "make_serializer",
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
