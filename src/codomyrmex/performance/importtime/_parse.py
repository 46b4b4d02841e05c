"""Read ``python -X importtime`` output into an :class:`ImportProfile`.

Each row is ``import time: <self us> | <cumulative us> | <2*depth spaces><module>``, printed when
the import *ends*: children come before their parent. Python 3.14's ``-X importtime=2`` adds
rows for modules that were already imported, with ``cached`` in place of both times; they become
leaf records with ``cached=True`` and zero time. Lines that are not rows (the program's own
stderr, the header) are skipped; a line that starts a row but does not parse raises
:class:`~codomyrmex.performance.errors.ConfigurationError` naming the line.

    >>> text = '''import time: self [us] | cumulative | imported package
    ... import time:       100 |        100 |   b
    ... import time:        50 |        150 | a'''
    >>> prof = parse_importtime(text)
    >>> [(r.module, r.depth, r.cumulative_ns) for r in prof.records]
    [('a', 0, 150000), ('b', 1, 100000)]
"""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import ConfigurationError
from ._model import ImportProfile, ImportRecord

__all__ = ["parse_importtime"]

_PREFIX = "import time:"
_ROW = "'import time: <self us> | <cumulative us> | <indented module>'"


def _micros(field: str, number: int, line: str) -> int | None:
    value = field.strip()
    if value == "cached":  # Python 3.14's -X importtime=2: the module was already imported
        return None
    if value.isdigit():
        return int(value)
    raise ConfigurationError(
        f"line {number} of the -X importtime output is not a row like {_ROW}: {line!r}"
    )


def _lines(text: object) -> Iterable[str]:
    if isinstance(text, bytes | bytearray):  # subprocess output read without text=True
        text = bytes(text).decode("utf-8", errors="replace")
    if isinstance(text, str):
        return text.splitlines()
    if isinstance(text, Iterable):
        return (line.decode("utf-8", errors="replace") if isinstance(line, bytes) else line for line in text)
    raise TypeError(
        f"text must be -X importtime output as a str, bytes or an iterable of lines, got {text!r} "
        f"({type(text).__name__})"
    )


def parse_importtime(text: str | bytes | Iterable[str]) -> ImportProfile:
    """Parse ``-X importtime`` stderr (a string, bytes, or an iterable of lines)."""
    pending: dict[int, list[ImportRecord]] = {}
    for number, raw_line in enumerate(_lines(text), 1):
        if not isinstance(raw_line, str):
            raise TypeError(f"text must hold lines of str, got {raw_line!r} on line {number}")
        line = raw_line.rstrip("\r\n")
        at = line.find(_PREFIX)
        if at < 0:
            continue
        parts = line[at + len(_PREFIX) :].split("|", 2)
        if "self [us]" in parts[0]:
            continue
        name_field = (parts[2][1:] if parts[2].startswith(" ") else parts[2]) if len(parts) == 3 else ""
        module = name_field.strip()
        if not module:
            raise ConfigurationError(
                f"line {number} of the -X importtime output is not a row like {_ROW}: {line!r}"
            )
        level = (len(name_field) - len(name_field.lstrip(" "))) // 2
        self_us, cumulative_us = _micros(parts[0], number, line), _micros(parts[1], number, line)
        cached = self_us is None or cumulative_us is None
        rec = ImportRecord(
            module,
            self_ns=0 if cached else (self_us or 0) * 1000,
            cumulative_ns=0 if cached else (cumulative_us or 0) * 1000,
            cached=cached,
        )
        children = pending.pop(level + 1, [])
        for child in children:
            child.parent = rec
        rec.children = children
        pending.setdefault(level, []).append(rec)
    # Whatever is left (normally only level 0; deeper levels when the output was cut) are roots.
    roots = [rec for level in sorted(pending) for rec in pending[level]]
    for rec in roots:
        rec.parent = None
    profile = ImportProfile([], source="-X importtime")
    profile.records = list(profile.walk(roots))
    return profile
