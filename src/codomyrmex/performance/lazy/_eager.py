"""``CODOMYRMEX_PERF_EAGER_IMPORTS``: resolve lazy imports at declaration (for CI).

``1`` (or ``true``/``yes``/``on``/``all``/``*``) makes every lazy import eager; otherwise the value
is a comma-separated list of glob patterns matched against the full module name
(``numpy,scipy.*``); a pattern with other characters than those of module names and globs is a
``ConfigurationError``. A CI job that sets it fails at the declaration of a broken import
instead of at some later first use.

    >>> import os
    >>> os.environ["CODOMYRMEX_PERF_EAGER_IMPORTS"] = "xml.*"
    >>> is_eager("xml.dom"), is_eager("json")
    (True, False)
    >>> del os.environ["CODOMYRMEX_PERF_EAGER_IMPORTS"]
"""

from __future__ import annotations

import os

__all__ = ["ENV_VAR", "is_eager"]

ENV_VAR = "CODOMYRMEX_PERF_EAGER_IMPORTS"
_ALL = frozenset({"1", "true", "yes", "on", "all", "*"})
_OFF = frozenset({"", "0", "false", "no", "off"})

# (raw value, parsed patterns); re-parsed only when the variable changes, so a declaration pays
# one os.environ lookup and no parsing.
_cache: tuple[str | None, tuple[str, ...] | None] = (None, ())


def _patterns(raw: str) -> tuple[str, ...] | None:
    """``None`` means "everything"; an empty tuple means "nothing"."""
    value = raw.strip()
    if value.lower() in _ALL:
        return None
    if value.lower() in _OFF:
        return ()
    patterns = tuple(p.strip() for p in value.split(",") if p.strip())
    for p in patterns:
        # Only module-name and glob characters: "numpy scipy" or "numpy;scipy" would otherwise
        # silently match nothing, and the CI job that set it would believe it checks something.
        if not all(ch.isalnum() or ch in "_.*?[]!-" for ch in p):
            from ..errors import ConfigurationError

            raise ConfigurationError(
                f"{ENV_VAR} must be 1 (every lazy import), 0, or comma-separated glob patterns of "
                f"module names like 'numpy,scipy.*'; got {raw!r} (bad pattern {p!r})"
            )
    return patterns


def is_eager(module: str) -> bool:
    """Whether ``module`` must be imported at declaration under the current environment."""
    global _cache
    raw = os.environ.get(ENV_VAR)
    if raw is None:
        return False
    cached_raw, patterns = _cache
    if raw != cached_raw:
        patterns = _patterns(raw)
        _cache = (raw, patterns)
    if patterns is None:
        return True
    from fnmatch import fnmatchcase  # needs re: paid only when patterns are configured

    return any(fnmatchcase(module, p) for p in patterns)
