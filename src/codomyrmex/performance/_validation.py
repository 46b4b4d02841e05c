"""Argument checks shared by every public entry point.

Each helper names the argument, the bad value and what is accepted, and raises the error type
the caller passes (an area error such as :class:`~codomyrmex.performance.errors.CacheError`)::

    >>> from codomyrmex.performance._validation import check_positive_number
    >>> check_positive_number("ttl", 5)
    5
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from typing import Any, TypeVar

from .errors import ConfigurationError

__all__ = [
    "check_callable",
    "check_choice",
    "check_non_empty_str",
    "check_non_negative_int",
    "check_non_negative_number",
    "check_port",
    "check_positive_int",
    "check_positive_number",
]

T = TypeVar("T")
_ErrorType = type[Exception]


def _is_number(value: object) -> bool:
    # bool is an int subclass; True as a TTL or size is a bug, not a number.
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_positive_number(
    name: str, value: Any, *, error: _ErrorType = ConfigurationError, unit: str = ""
) -> float:
    """Return ``value`` if it is a finite number > 0, else raise ``error``."""
    what = f"a positive number{' of ' + unit if unit else ''}"
    if not _is_number(value):
        raise TypeError(f"{name} must be {what}, got {value!r} ({type(value).__name__})")
    if not math.isfinite(value) or value <= 0:
        raise error(f"{name} must be {what}, got {value!r}")
    return value  # type: ignore[no-any-return]


def check_non_negative_number(
    name: str, value: Any, *, error: _ErrorType = ConfigurationError, unit: str = ""
) -> float:
    """Return ``value`` if it is a finite number >= 0, else raise ``error``."""
    what = f"a number >= 0{' of ' + unit if unit else ''}"
    if not _is_number(value):
        raise TypeError(f"{name} must be {what}, got {value!r} ({type(value).__name__})")
    if not math.isfinite(value) or value < 0:
        raise error(f"{name} must be {what}, got {value!r}")
    return value  # type: ignore[no-any-return]


def check_positive_int(name: str, value: Any, *, error: _ErrorType = ConfigurationError) -> int:
    """Return ``value`` if it is an int >= 1, else raise ``error``."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an integer >= 1, got {value!r} ({type(value).__name__})")
    if value < 1:
        raise error(f"{name} must be an integer >= 1, got {value!r}")
    return value


def check_non_negative_int(
    name: str, value: Any, *, error: _ErrorType = ConfigurationError
) -> int:
    """Return ``value`` if it is an int >= 0, else raise ``error``."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an integer >= 0, got {value!r} ({type(value).__name__})")
    if value < 0:
        raise error(f"{name} must be an integer >= 0, got {value!r}")
    return value


def check_port(name: str, value: Any, *, error: _ErrorType = ConfigurationError) -> int:
    """Return ``value`` if it is a TCP port (0..65535; 0 picks a free port), else raise."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be a TCP port number 0-65535, got {value!r}")
    if not 0 <= value <= 65535:
        raise error(f"{name} must be a TCP port number 0-65535, got {value!r}")
    return value


def check_choice(
    name: str, value: T, choices: Collection[T], *, error: _ErrorType = ConfigurationError
) -> T:
    """Return ``value`` if it is one of ``choices``, else raise ``error`` listing them."""
    if value not in choices:
        accepted = ", ".join(repr(c) for c in sorted(choices, key=repr))
        raise error(f"{name} must be one of {accepted}, got {value!r}")
    return value


def check_non_empty_str(name: str, value: Any, *, error: _ErrorType = ConfigurationError) -> str:
    """Return ``value`` if it is a non-blank string, else raise."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a non-empty string, got {value!r} ({type(value).__name__})")
    if not value.strip():
        raise error(f"{name} must be a non-empty string, got {value!r}")
    return value


def check_callable(name: str, value: Any) -> Callable[..., Any]:
    """Return ``value`` if it is callable, else raise ``TypeError``."""
    if not callable(value):
        raise TypeError(f"{name} must be callable, got {value!r} ({type(value).__name__})")
    return value  # type: ignore[no-any-return]
