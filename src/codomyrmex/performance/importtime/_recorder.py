"""The import recorder: a dependency-free hook around ``importlib._bootstrap._find_and_load``.

CPython's import statement, ``importlib.import_module`` and the implicit import of parent
packages all go through ``_find_and_load(name, import_)`` exactly once per module that is not
yet in ``sys.modules`` — the same function ``python -X importtime`` times. The C import code
looks it up as an attribute of the bootstrap module on every import, so replacing that
attribute sees every module load, correctly nested (a parent package is loaded inside its
child's call, as ``-X importtime`` shows it) and on every thread.

The hook does the minimum on the hot path: two ``perf_counter_ns`` readings, one small object
and two list operations. Self times, the tree and wall-clock times are computed afterwards.
Nothing here imports OpenTelemetry or prometheus_client.

    >>> with profile_imports() as prof:
    ...     import colorsys
    >>> prof.find("colorsys") is None or prof.find("colorsys").ok
    True
"""

from __future__ import annotations

import sys
import time
from _thread import allocate_lock, get_ident
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ._model import ImportProfile, ImportRecord

__all__ = ["LiveProfile", "begin", "finish", "install", "is_active", "profile_imports"]

_bootstrap: Any = sys.modules["_frozen_importlib"]  # importlib._bootstrap, loaded at start-up
_modules = sys.modules
_perf = time.perf_counter_ns


class _Raw:
    __slots__ = ("end", "error", "name", "parent", "site", "start", "thread", "tid", "trigger")

    def __init__(self, name: str, parent: _Raw | None, tid: int, trigger: str, site: str | None) -> None:
        self.name = name
        self.parent = parent
        self.tid = tid
        self.trigger = trigger
        self.site = site
        self.error: str | None = None
        self.thread: str | None = parent.thread if parent is not None else _thread_name()
        self.start = 0
        self.end = 0


_lock = allocate_lock()
_records: list[_Raw] = []
_stacks: dict[int, list[_Raw]] = {}
_users = 0
_original: Any = None
#: Whether ``_hook`` is in the ``_find_and_load`` chain: it stays there, passing through, when a
#: tool that wrapped it after we started still holds it at stop time.
_chained = False
#: (wall-clock ns, perf_counter ns) read together when recording starts: converts readings.
_anchor = (0, 0)


def _stack() -> list[_Raw]:
    tid = get_ident()
    stack = _stacks.get(tid)
    if stack is None:
        stack = _stacks[tid] = []
    return stack


def _hook(name: str, import_: Any) -> Any:
    if _users <= 0:  # still chained by a tool that wrapped us after we started: pass through
        return _original(name, import_)
    if name in _modules:
        # importlib.import_module() of a module already imported (or being imported by another
        # thread, or blocked with None) reaches _find_and_load too, but imports nothing; the
        # import statement and -X importtime skip it as well.
        return _original(name, import_)
    stack = _stack()
    parent = stack[-1] if stack else None
    if parent is None:
        rec = _Raw(name, None, get_ident(), "startup", None)
    elif parent.name == name:  # a lazy load opened this record with begin(): don't repeat it
        return _original(name, import_)
    else:  # an import nested in a lazy load is part of that first use
        rec = _Raw(name, parent, parent.tid, parent.trigger, parent.site)
    _records.append(rec)
    stack.append(rec)
    rec.start = _perf()
    try:
        return _original(name, import_)
    except BaseException as exc:
        rec.error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        rec.end = _perf()
        stack.pop()


def is_active() -> bool:
    """Whether any profile is recording."""
    return _users > 0


def begin(name: str, trigger: str, site: str | None) -> _Raw | None:
    """Open a record for a lazy load: an import done outside ``_find_and_load`` (a module
    executed in its proxy) or one about to go through it (``attach``), which then nests into
    this record instead of opening a second one. Imports until :func:`finish` nest under it."""
    if _users <= 0:
        return None
    stack = _stack()
    parent = stack[-1] if stack else None
    rec = _Raw(name, parent, get_ident(), trigger, site)
    _records.append(rec)
    stack.append(rec)
    rec.start = _perf()
    return rec


def finish(rec: _Raw | None, exc: BaseException | None) -> None:
    """Close a record opened by :func:`begin`."""
    if rec is None:
        return
    rec.end = _perf()
    if exc is not None:
        rec.error = f"{type(exc).__name__}: {exc}"
    stack = _stacks.get(rec.tid)
    if stack and stack[-1] is rec:
        stack.pop()


def _activate() -> int:
    global _users, _original, _anchor, _chained
    with _lock:
        if _users == 0:
            _records.clear()
            _stacks.clear()
            _anchor = (time.time_ns(), _perf())
            current = _bootstrap._find_and_load
            # Still chained under another tool's wrapper (left there by an earlier stop): wrapping
            # that wrapper again would make _hook call itself through it, endlessly.
            if current is not _hook and not (_chained and current is not _original):
                _original = current
                _bootstrap._find_and_load = _hook
            _chained = True
        _users += 1
        return len(_records)


def _deactivate() -> None:
    global _users, _chained
    with _lock:
        _users -= 1
        if _users == 0:
            if _bootstrap._find_and_load is _hook:
                _bootstrap._find_and_load = _original
                _chained = False
            _records.clear()
            _stacks.clear()


def _thread_name() -> str | None:
    # Read when a thread's outermost import starts (the thread may be gone when the profile is
    # built). threading is never imported by us: without it there are no named threads anyway.
    threading = sys.modules.get("threading")
    return None if threading is None else threading.current_thread().name


def _build(raws: list[_Raw], now: int) -> list[ImportRecord]:
    wall0, perf0 = _anchor
    out: dict[int, ImportRecord] = {}
    records: list[ImportRecord] = []
    for raw in raws:
        complete = raw.end != 0
        end = raw.end if complete else now
        parent = out.get(id(raw.parent)) if raw.parent is not None else None
        rec = ImportRecord(
            raw.name, parent=parent, cumulative_ns=end - raw.start,
            start_ns=raw.start, end_ns=end,
            start_time_ns=wall0 + (raw.start - perf0), end_time_ns=wall0 + (end - perf0),
            thread_id=raw.tid, thread_name=raw.thread, error=raw.error,
            trigger="first_use" if raw.trigger == "first_use" else "startup",
            site=raw.site, complete=complete,
        )  # fmt: skip
        if parent is not None:
            parent.children.append(rec)
        out[id(raw)] = rec
        records.append(rec)
    for rec in records:
        rec.self_ns = max(0, rec.cumulative_ns - sum(c.cumulative_ns for c in rec.children))
    return records


class LiveProfile(ImportProfile):
    """A profile that is still recording until :meth:`stop` (``profile_imports`` stops it when
    the ``with`` block ends). Reading ``records`` while live gives a snapshot."""

    def __init__(self) -> None:
        super().__init__([], source="recorder")
        self._start = _activate()
        self._stopped = False

    @property
    def records(self) -> list[ImportRecord]:
        if self._stopped:
            return self._frozen
        return _build(_records[self._start :], _perf())

    @records.setter
    def records(self, value: list[ImportRecord]) -> None:
        self._frozen = value

    @property
    def recording(self) -> bool:
        return not self._stopped

    def stop(self) -> ImportProfile:
        """Stop recording (idempotent) and return ``self`` with its records frozen."""
        if not self._stopped:
            self._frozen = _build(_records[self._start :], _perf())
            self._stopped = True
            _deactivate()
        return self


@contextmanager
def profile_imports() -> Iterator[LiveProfile]:
    """Record every import made (by any thread) inside the ``with`` block.

        with profile_imports() as prof:
            import numpy
        print(prof.report(top=10, tree=True))
    """
    profile = LiveProfile()
    try:
        yield profile
    finally:
        profile.stop()


def install() -> LiveProfile:
    """Start recording now, for the rest of the process (or until ``.stop()``): call it first
    thing in a program, or run the program with ``python -m codomyrmex.performance.importtime``."""
    return LiveProfile()
