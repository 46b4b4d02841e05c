"""``attach``: lazy submodules and attributes for a package's own ``__init__.py`` (PEP 562).

    # mypkg/__init__.py
    from codomyrmex.performance.lazy import attach

    __getattr__, __dir__, __all__ = attach(
        __name__, submodules=["io"], submod_attrs={"models": ["Model", "fit"]}
    )

``mypkg.io`` imports ``mypkg.io``; ``mypkg.Model`` imports ``mypkg.models`` and returns its
``Model``. Each resolved name is stored in the package's namespace, so later lookups are plain
module attribute hits and never reach ``__getattr__`` again.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .._validation import check_non_empty_str
from ..errors import LazyImportError
from ._eager import is_eager
from ._proxy import declared_site

__all__ = ["attach"]


def _names(argument: str, values: Any) -> list[str]:
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise TypeError(f"{argument} must be a list of names, got {values!r}")
    out = list(values)
    for v in out:
        if not isinstance(v, str) or not v.isidentifier():
            raise LazyImportError(f"{argument} must hold identifiers, got {v!r} in {values!r}")
    return out


def _count(package: str, state: str) -> None:
    from ..telemetry import recording

    recording.count_lazy_import(package.partition(".")[0], state)


def attach(
    package_name: str,
    submodules: Iterable[str] = (),
    submod_attrs: Mapping[str, Iterable[str]] | None = None,
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """``(__getattr__, __dir__, __all__)`` for package ``package_name``; see the module doc."""
    check_non_empty_str("package_name", package_name, error=LazyImportError)
    subs = _names("submodules", submodules)
    if submod_attrs is not None and not isinstance(submod_attrs, Mapping):
        raise TypeError(f"submod_attrs must map submodule -> attribute names, got {submod_attrs!r}")
    attr_to_module: dict[str, str] = {}
    for mod, attrs in (submod_attrs or {}).items():
        _names("submod_attrs keys", [mod])
        for attr in _names(f"submod_attrs[{mod!r}]", attrs):
            attr_to_module[attr] = mod
    public = sorted(set(subs) | set(attr_to_module))
    declared_at, _ = declared_site(1)

    def __getattr__(name: str) -> Any:
        if name in attr_to_module:
            target = f"{package_name}.{attr_to_module[name]}"
        elif name in subs:
            target = f"{package_name}.{name}"
        else:
            raise AttributeError(f"module {package_name!r} has no attribute {name!r}")
        try:
            module = importlib.import_module(target)
            value = module if name in subs and name not in attr_to_module else getattr(module, name)
        except Exception as exc:
            _count(target, "failed")
            frame = sys._getframe(1)
            raise LazyImportError(
                f"lazy attribute {package_name}.{name} failed importing {target!r}: "
                f"{type(exc).__name__}: {exc} (declared at {declared_at}, first used at "
                f"{frame.f_code.co_filename}:{frame.f_lineno}); the next use retries",
                name=target,
            ) from exc
        _count(target, "loaded")
        package = sys.modules.get(package_name)
        if package is not None:
            # Cache on the package so the next lookup is a plain module-dict hit.
            package.__dict__[name] = value
        return value

    def __dir__() -> list[str]:
        package = sys.modules.get(package_name)
        present = set(package.__dict__) if package is not None else set()
        return sorted(present | set(public))

    for name in public:
        target = f"{package_name}.{attr_to_module.get(name, name)}"
        if is_eager(target):
            __getattr__(name)
    return __getattr__, __dir__, list(public)
