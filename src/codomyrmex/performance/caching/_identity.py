"""Which function owns a shared-tier namespace: two functions never read each other's entries.

A shared entry's key is (cache name, version, canonical arguments) (DESIGN.md), so the name is
the function's identity in SQLite and Redis, across processes and restarts. Two rules keep it
one function per name:

- :func:`check_default_name`: a default name (``module.qualname``) that several functions
  share (every lambda of a module is ``<lambda>``; every closure made by a factory is
  ``make.<locals>.scale``) is refused when a shared tier is configured: ``name=`` is required.
- :class:`Claims`: in one process, two *different* live functions cannot use one name (and
  version) on the same shared tier. Decorating the same function twice (same code, same
  closure values) is allowed: it computes the same results. A claim ends when its function is
  garbage collected.

    >>> claims = Claims()
    >>> def f(x): return x
    >>> def g(x): return -x
    >>> token = claims.claim(("disk", "/tmp/c.sqlite3"), "m.f", None, f)
    >>> try:
    ...     claims.claim(("disk", "/tmp/c.sqlite3"), "m.f", None, g)
    ... except CacheError as exc:
    ...     print(str(exc).split(",")[0])
    cache name 'm.f' is already used on disk /tmp/c.sqlite3 by f
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any

from ..errors import CacheError

__all__ = ["CLAIMS", "Claims", "check_default_name", "check_version", "identity", "tier_id"]


def check_default_name(qualname: str, default: str, shared: list[str]) -> None:
    """Refuse a default cache name that other functions may share, when ``shared`` (the shared
    tiers configured, e.g. ``["persist=..."]``) is not empty."""
    if not shared or ("<lambda>" not in qualname and "<locals>" not in qualname):
        return
    why = (
        "every lambda of a module has it"
        if "<lambda>" in qualname
        else "every function made by the enclosing function has it (closures over other values "
        "compute other results)"
    )
    raise CacheError(
        f"cached_function({', '.join(shared)}) needs name= for {qualname}: its default name "
        f"{default!r} is ambiguous ({why}), and the shared tiers would serve one function's "
        f"results to another, in this process and later ones. Pass a name unique to what it "
        f"computes, e.g. cached_function(..., name=\"{default.rsplit('.', 1)[0]}.square\") "
        "(and version= to drop old entries when its code changes)"
    )


def check_version(value: Any) -> str | int | None:
    """``version``: ``None``, a non-empty string or an int (part of the shared-tier keys)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise TypeError(
            f"version must be a string or an int (or None), got {value!r} ({type(value).__name__})"
        )
    if isinstance(value, str) and not value.strip():
        raise CacheError(f"version must not be empty, got {value!r}")
    return value


def tier_id(tier: Any) -> tuple[Any, ...]:
    """What identifies a shared tier's storage: the resolved SQLite path, or the Redis server
    and database (a URL's or a client's connection parameters)."""
    path = getattr(tier, "path", None)
    if tier.name == "disk" and path is not None:
        import os

        return ("disk", os.path.realpath(path))
    client = getattr(tier, "client", None)
    kwargs = getattr(getattr(client, "connection_pool", None), "connection_kwargs", None)
    if isinstance(kwargs, dict):
        where = kwargs.get("path") or f"{kwargs.get('host', '?')}:{kwargs.get('port', '?')}"
        return ("redis", where, kwargs.get("db", 0))
    return (tier.name, id(tier))


def identity(fn: Callable[..., Any]) -> tuple[Any, ...]:
    """What makes two callables the same function: code and closure values (by identity) and
    defaults; a callable without code is itself."""
    f: Any = fn
    code = getattr(f, "__code__", None)
    if code is None:
        return (id(f),)
    cells = tuple(id(c.cell_contents) if _filled(c) else None for c in f.__closure__ or ())
    return (
        id(code),
        cells,
        id(getattr(f, "__defaults__", None)),
        id(getattr(f, "__kwdefaults__", None)),
    )


def _filled(cell: Any) -> bool:
    try:
        cell.cell_contents  # noqa: B018 - an empty cell raises ValueError
    except ValueError:
        return False
    return True


class Claims:
    """Live claims: (tier, name, version) -> the function using it and how many live
    wrappers of it there are."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._claims: dict[tuple[Any, ...], list[Any]] = {}  # key -> [identity, qualname, count]

    def claim(
        self, tier: tuple[Any, ...], name: str, version: Any, fn: Callable[..., Any]
    ) -> tuple[Any, ...]:
        """Claim ``name`` on ``tier`` for ``fn``; returns the key for :meth:`release`.

        Raises :class:`CacheError` when another live function holds it."""
        key = (tier, name, version)
        ident = identity(fn)
        where = f"{tier[0]} {tier[1]}" + (f" db {tier[2]}" if len(tier) > 2 else "")
        with self._lock:
            held = self._claims.get(key)
            if held is None:
                self._claims[key] = [ident, getattr(fn, "__qualname__", repr(fn)), 1]
            elif held[0] == ident:
                held[2] += 1  # the same function decorated again: it computes the same values
            else:
                shown = f"{name!r}" + ("" if version is None else f" version {version!r}")
                raise CacheError(
                    f"cache name {shown} is already used on {where} by {held[1]}, another live "
                    f"function: the two would read each other's entries. Give "
                    f"{getattr(fn, '__qualname__', fn)!r} its own name= (or version=), or drop "
                    "the other cached function first"
                )
        return key

    def release(self, key: tuple[Any, ...]) -> None:
        with self._lock:
            held = self._claims.get(key)
            if held is not None:
                held[2] -= 1
                if held[2] <= 0:
                    del self._claims[key]

    def bind(self, owner: Any, key: tuple[Any, ...]) -> None:
        """Release ``key`` when ``owner`` (the decorated wrapper) is garbage collected."""
        weakref.finalize(owner, self.release, key)


#: The process's claims (one per process: the shared tiers are shared by the whole process).
CLAIMS = Claims()
