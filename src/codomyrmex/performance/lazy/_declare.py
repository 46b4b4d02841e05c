"""``lazy_import``: declare a module that is imported on first use.

    >>> from codomyrmex.performance import lazy_import
    >>> json = lazy_import("json")
    >>> json.loads("[1]")
    [1]

Kept free of ``typing``, ``importlib.util`` and the shared validation helpers, which would cost
more to import than the whole of ``lazy_loader``: this module is what ``from
codomyrmex.performance import lazy_import`` loads.
"""

from __future__ import annotations

import os
import sys

from ._proxy import declared_site, failed_proxy, load_module, new_proxy

TYPE_CHECKING = False  # typing costs ~10 ms to import; mypy treats this name as typing's
if TYPE_CHECKING:
    import types
    from typing import Any, NoReturn

    from ._proxy import LazyModule

__all__ = ["absolute_name", "check_name", "declare", "lazy_import"]

_EAGER_VAR = "CODOMYRMEX_PERF_EAGER_IMPORTS"


def _declaration_error(message: str) -> Exception:
    # errors (and _eager below) are imported only when needed: `from codomyrmex.performance
    # import lazy_import` costs what its own modules cost.
    from ..errors import LazyDeclarationError

    return LazyDeclarationError(message)


# `VAR in os.environ` costs a KeyError raised and caught (~2 us; two per declaration were a
# third of its cost): look the encoded name up in os.environ's own dict, which every change
# made through os.environ (monkeypatch.setenv included) keeps current. Fallback: the mapping.
_environ_data: Any = getattr(os.environ, "_data", None)
try:
    _eager_key: Any = os.environ.encodekey(_EAGER_VAR)
except AttributeError:  # pragma: no cover - not CPython's os._Environ
    _environ_data = None


def _is_eager(name: str) -> bool:
    if _environ_data is not None:
        if _eager_key not in _environ_data:
            return False
    elif _EAGER_VAR not in os.environ:  # pragma: no cover
        return False
    from ._eager import is_eager

    return is_eager(name)


def check_name(argument: str, value: Any) -> str:
    """``value`` if it is a non-blank string (``TypeError`` / :class:`LazyDeclarationError`)."""
    if not isinstance(value, str):
        raise TypeError(f"{argument} must be a non-empty string, got {value!r} ({type(value).__name__})")
    if not value.strip():
        raise _declaration_error(f"{argument} must be a non-empty string, got {value!r}")
    return value


def absolute_name(argument: str, name: Any, package: Any) -> str:
    """The absolute dotted module name for ``name`` (relative names need ``package``)."""
    check_name(argument, name)
    if package is not None:
        check_name("package", package)
    if name.startswith("."):
        if package is None:
            raise _declaration_error(
                f"{argument} {name!r} is relative; pass package='the.anchor.package' to resolve it"
            )
        dots = len(name) - len(name.lstrip("."))
        base = package.rsplit(".", dots - 1)
        if len(base) < dots:  # what importlib.util.resolve_name refuses
            raise _declaration_error(
                f"cannot resolve {argument} {name!r} in package {package!r}: "
                "attempted relative import beyond top-level package"
            )
        rest = name[dots:]
        name = f"{base[0]}.{rest}" if rest else base[0]
    if not all(part.isidentifier() for part in name.split(".")):
        raise _declaration_error(
            f"{argument} must be a dotted module name like 'xml.dom.minidom', got {name!r}"
        )
    return str(name)


def _check_exists(name: str, declared_at: str) -> None:
    from ._spec import find_spec_no_exec

    try:
        spec = find_spec_no_exec(name)
    except (ImportError, ValueError) as exc:
        spec = None
        reason = f"{type(exc).__name__}: {exc}"
    else:
        reason = "no module with that name can be found"
    if spec is None:
        _missing(name, declared_at, reason)


def _missing(name: str, declared_at: str, reason: str) -> NoReturn:
    from ..errors import LazyModuleNotFoundError

    raise LazyModuleNotFoundError(f"lazy import of {name!r} (declared at {declared_at}): {reason}", name=name)


def declare(
    name: str,
    declared_at: str,
    globals_: dict[str, Any] | None,
    check: bool,
    use_frame: types.FrameType | None,
    eager: bool | None = None,
) -> LazyModule:
    """A proxy for ``name``; ``use_frame`` is the user's frame, the first use when eager
    (``eager``: already read from the environment by the caller, or ``None``)."""
    if check:
        _check_exists(name, declared_at)
    proxy = new_proxy(name, declared_at, globals_)
    if _is_eager(name) if eager is None else eager:
        load_module(proxy, use_frame)
    return proxy


def lazy_import(
    name: str, package: str | None = None, *, check: bool = False, require: str | None = None
) -> types.ModuleType:
    """A module proxy for ``name`` that imports the module on the first look at its namespace.

    The proxy is a :class:`types.ModuleType` and is not in ``sys.modules`` until first use (a
    module already imported is returned as it is). ``package`` anchors a relative ``name``
    (``lazy_import(".sub", __package__)``). With ``check=True`` a module that cannot be found
    raises :class:`LazyModuleNotFoundError` at once (checked without executing it or its
    parents). ``require="numpy>=1.26"`` checks the installed version of that distribution now,
    as ``lazy_loader.load(require=...)`` does: when it is not met every use raises
    :class:`LazyModuleNotFoundError` (at once with ``check=True``); a distribution that is not
    installed although the module is found raises :class:`LazyDeclarationError` (a
    ``ValueError``). A failed import raises :class:`LazyImportError` (a
    :class:`LazyModuleNotFoundError` for a missing module) naming both the declaration and the
    first use; the next use retries.

        >>> json = lazy_import("json")
        >>> json.loads("[1]")
        [1]
    """
    absolute = absolute_name("name", name, package)
    if not isinstance(check, bool):
        raise TypeError(f"check must be True or False, got {check!r} ({type(check).__name__})")
    eager = _is_eager(absolute)  # read first: a malformed variable is an error even for a loaded module
    if require is None:
        module = sys.modules.get(absolute)
        if module is not None:  # already imported (or a proxy placed there): nothing to defer
            return module
        declared_at, globals_ = declared_site(1)
        return declare(absolute, declared_at, globals_, check, sys._getframe(1), eager)
    check_name("require", require)
    declared_at, globals_ = declared_site(1)
    from ._require import unmet_requirement

    if sys.modules.get(absolute) is None and not _found(absolute):
        if check:
            _missing(absolute, declared_at, "no module with that name can be found")
        return declare(absolute, declared_at, globals_, False, sys._getframe(1))
    failure = unmet_requirement(absolute, require)
    if failure is None:
        module = sys.modules.get(absolute)
        if module is not None:
            return module
        return declare(absolute, declared_at, globals_, False, sys._getframe(1))
    if check:
        _missing(absolute, declared_at, failure)
    return failed_proxy(absolute, declared_at, failure)


def _found(name: str) -> bool:
    from ._spec import find_spec_no_exec

    try:
        return find_spec_no_exec(name) is not None
    except (ImportError, ValueError):
        return False

