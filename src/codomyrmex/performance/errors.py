"""Typed errors raised by codomyrmex.performance.

Every error the library raises on purpose derives from :class:`PerformanceError`, so callers
can catch the whole family in one place::

    from codomyrmex.performance.errors import CacheError, PerformanceError

    try:
        cached_function(ttl=-1)
    except CacheError as exc:
        print(exc)   # "ttl must be a positive number of seconds or a callable, got -1"

Errors caused by a bad argument also derive from ``ValueError`` (bad value) so that code written
against the standard library keeps working; a wrong *type* raises a plain ``TypeError``.
"""

from __future__ import annotations

__all__ = [
    "BenchmarkError",
    "CacheError",
    "ConfigurationError",
    "LazyDeclarationError",
    "LazyImportError",
    "LazyModuleNotFoundError",
    "PerformanceError",
    "RegressionError",
    "SeriesStoreError",
    "TelemetryError",
]


class PerformanceError(Exception):
    """Base class of every error raised by codomyrmex.performance."""


class ConfigurationError(PerformanceError, ValueError):
    """A configuration value (argument or ``CODOMYRMEX_PERF_*`` variable) is not accepted."""


class TelemetryError(PerformanceError):
    """Telemetry could not be configured or shut down (e.g. configured twice)."""


class CacheError(PerformanceError, ValueError):
    """A cache was misconfigured or a cache operation was used wrongly."""


class LazyImportError(PerformanceError, ImportError):
    """A lazily imported module could not be imported when it was first used."""


class LazyModuleNotFoundError(LazyImportError, ModuleNotFoundError):
    """A lazily imported module (or a module it imports, named by ``.name``) does not exist:
    ``except ModuleNotFoundError`` catches it as it would catch a plain ``import``."""


class LazyDeclarationError(LazyImportError, ValueError):
    """A lazy declaration is invalid (a bad stub file, a ``require=`` that cannot be checked);
    a ``ValueError`` too, as ``lazy_loader`` raises for the same mistakes."""


class BenchmarkError(PerformanceError, ValueError):
    """A benchmark or suite is invalid, or could not be run."""


class RegressionError(PerformanceError, ValueError):
    """Regression detection was given data it cannot judge."""


class SeriesStoreError(PerformanceError):
    """A series store could not be opened, read or written."""
