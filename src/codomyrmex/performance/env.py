"""Every ``CODOMYRMEX_PERF_*`` environment variable, documented in one place.

The README's configuration table is checked against :data:`ENV_VARS` by a test. The standard
OpenTelemetry variables (``OTEL_SERVICE_NAME``, ``OTEL_EXPORTER_OTLP_ENDPOINT``,
``OTEL_EXPORTER_OTLP_PROTOCOL``, ``OTEL_EXPORTER_OTLP_HEADERS``, ``OTEL_RESOURCE_ATTRIBUTES``, …)
are honoured as well, by :func:`codomyrmex.performance.telemetry.configure` and the SDK.

    >>> from codomyrmex.performance import env
    >>> env.get("CODOMYRMEX_PERF_STORE") is None or True
    True
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, NamedTuple

from .errors import ConfigurationError

if TYPE_CHECKING:  # pathlib (and the urllib.parse it imports) load only when a path is needed
    from pathlib import Path

__all__ = ["ENV_VARS", "EnvVar", "default_store_path", "get", "get_bool", "get_int"]


class EnvVar(NamedTuple):  # not a dataclass: importing dataclasses costs ~5 ms
    name: str
    default: str | None
    description: str


ENV_VARS: dict[str, EnvVar] = {
    v.name: v
    for v in (
        EnvVar("CODOMYRMEX_PERF_SERVICE_NAME", None,
               "service.name for configure() when no argument is given (then OTEL_SERVICE_NAME, "
               "then 'codomyrmex-agent')."),
        EnvVar("CODOMYRMEX_PERF_DISABLED", "0",
               "'1' makes configure() a documented no-op: no exporter, no collector, no server."),
        EnvVar("CODOMYRMEX_PERF_METRICS_PORT", None,
               "Port of the /metrics HTTP server that configure() starts (unset: no server; "
               "0: a free port)."),
        EnvVar("CODOMYRMEX_PERF_METRICS_ADDR", "127.0.0.1",
               "Address the /metrics HTTP server binds to."),
        EnvVar("CODOMYRMEX_PERF_STORE", None,
               "Path of the SQLite series store (default: $XDG_DATA_HOME/codomyrmex-perf/"
               "series.sqlite3, i.e. ~/.local/share/codomyrmex-perf/series.sqlite3)."),
        EnvVar("CODOMYRMEX_PERF_PUSHGATEWAY", None,
               "Pushgateway URL that benchmark runs push their results to (unset: no push)."),
        EnvVar("CODOMYRMEX_PERF_PROMETHEUS_URL", None,
               "Prometheus HTTP API base URL used to read benchmark history back (query_range)."),
        EnvVar("CODOMYRMEX_PERF_CACHE_DIR", None,
               "Directory for persistent (SQLite) caches created with a relative name."),
        EnvVar("CODOMYRMEX_PERF_CACHE_REDIS_URL", None,
               "Default Redis URL for caches created with redis=True."),
        EnvVar("CODOMYRMEX_PERF_CACHE_SIGNING_KEY", None,
               "HMAC key that enables signed pickle values in shared cache tiers."),
        EnvVar("CODOMYRMEX_PERF_EAGER_IMPORTS", None,
               "'1' resolves every lazy_import at once; or a comma-separated list of glob patterns "
               "of module names to resolve eagerly (for CI)."),
        EnvVar("CODOMYRMEX_PERF_IMPORT_TOP_K", "20",
               "How many of the slowest modules get a codomyrmex_module_import_seconds series, "
               "and of the slowest top-level packages a codomyrmex_import_duration_seconds one."),
        EnvVar("CODOMYRMEX_PERF_MAX_SERIES", "1000",
               "Label sets per metric family; values past it fold into 'other' (one warning)."),
    )
}  # fmt: skip


def _check_known(name: str) -> EnvVar:
    try:
        return ENV_VARS[name]
    except KeyError:
        raise ConfigurationError(
            f"{name!r} is not a CODOMYRMEX_PERF_* variable; known: {', '.join(sorted(ENV_VARS))}"
        ) from None


def get(name: str) -> str | None:
    """The variable's value, or its documented default; blank counts as unset."""
    var = _check_known(name)
    value = os.environ.get(name, "").strip()
    return value or var.default


def get_bool(name: str) -> bool:
    value = (get(name) or "0").lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"{name} must be one of 1/0/true/false/yes/no/on/off, got {value!r}")


def get_int(name: str) -> int | None:
    value = get(name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise ConfigurationError(f"{name} must be an integer, got {value!r}") from None


def default_store_path() -> Path:
    """Where the SQLite series store lives unless ``CODOMYRMEX_PERF_STORE`` says otherwise."""
    from pathlib import Path

    explicit = get("CODOMYRMEX_PERF_STORE")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "codomyrmex-perf" / "series.sqlite3"
