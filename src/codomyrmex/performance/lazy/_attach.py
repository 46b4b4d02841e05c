"""``attach``: lazy submodules and attributes for a package's own ``__init__.py`` (PEP 562).

    # mypkg/__init__.py
    from codomyrmex.performance.lazy import attach

    __getattr__, __dir__, __all__ = attach(
        __name__, submodules=["io"], submod_attrs={"models": ["Model", "fit"]}
    )

``mypkg.io`` imports ``mypkg.io``; ``mypkg.Model`` imports ``mypkg.models`` and returns its
``Model``. Each resolved name is stored in the package's namespace, so later lookups are plain
module attribute hits and never reach ``__getattr__`` again. As in ``lazy_loader``, ``__dir__``
returns the lazy names (a fresh list each call), and a function named like the submodule that
defines it (``some_func`` in ``some_func.py``) stays the function after the submodule loads.
"""

from __future__ import annotations

import sys

# collections.abc would import all of collections (~3 ms); its ABCs live in _collections_abc,
# which the interpreter has loaded at start-up.
from _collections_abc import Iterable, Mapping

from ..errors import LazyDeclarationError
from ._declare import check_name
from ._eager import is_eager
from ._load import active_recorder, count_lazy_import, lazy_error
from ._proxy import _import_module, declared_site

TYPE_CHECKING = False  # typing costs ~10 ms to import; mypy treats this name as typing's
if TYPE_CHECKING:
    import types
    from collections.abc import Callable
    from typing import Any

__all__ = ["attach", "make_attach"]


def _names(argument: str, values: Any, *, dotted: bool = False) -> list[str]:
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise TypeError(f"{argument} must be a list of names, got {values!r}")
    out = list(values)
    for v in out:
        if not isinstance(v, str) or not all(p.isidentifier() for p in (v.split(".") if dotted else [v])):
            what = "dotted module names relative to the package" if dotted else "identifiers"
            raise LazyDeclarationError(f"{argument} must hold {what}, got {v!r} in {values!r}")
    return out


def attach(
    package_name: str,
    submodules: Iterable[str] | None = (),
    submod_attrs: Mapping[str, Iterable[str]] | None = None,
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """``(__getattr__, __dir__, __all__)`` for package ``package_name``; see the module doc.

    As in ``lazy_loader.attach``, ``submodules`` may be ``None`` and a ``submod_attrs`` key
    may name a nested submodule (``{"io.formats": ["read_csv"]}``).
    """
    return make_attach(package_name, submodules, submod_attrs, depth=2)


def make_attach(
    package_name: str,
    submodules: Iterable[str] | None,
    submod_attrs: Mapping[str, Iterable[str]] | None,
    *,
    depth: int,
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """:func:`attach` for a declaration ``depth`` frames above this one (the package's init)."""
    check_name("package_name", package_name)
    subs = _names("submodules", () if submodules is None else submodules)
    if submod_attrs is not None and not isinstance(submod_attrs, Mapping):
        raise TypeError(f"submod_attrs must map submodule -> attribute names, got {submod_attrs!r}")
    attr_to_module: dict[str, str] = {}
    for mod, attrs in (submod_attrs or {}).items():
        _names("submod_attrs keys", [mod], dotted=True)
        for attr in _names(f"submod_attrs[{mod!r}]", attrs):
            attr_to_module[attr] = mod
    public = sorted(set(subs) | set(attr_to_module))
    # Declared attributes named like the top of the submodule that defines them: importing
    # that submodule binds the submodule on the package under the same name (the import
    # system's setattr), which would hide the attribute from __getattr__ from then on.
    shadowed = {a: f"{package_name}.{m.split('.')[0]}" for a, m in attr_to_module.items() if a == m.split(".")[0]}
    declared_at, _ = declared_site(depth)

    def resolve(name: str, use_frame: types.FrameType) -> Any:
        if name in attr_to_module:
            target = f"{package_name}.{attr_to_module[name]}"
        elif name in subs:
            target = f"{package_name}.{name}"
        else:
            raise AttributeError(f"module {package_name!r} has no attribute {name!r}", name=name)
        used_at = f"{use_frame.f_code.co_filename}:{use_frame.f_lineno}"
        loading = target not in sys.modules
        recorder = active_recorder() if loading else None
        # A record opened here makes the load a first use with its site in the profile; the
        # recorder's import hook nests into it instead of recording the module a second time.
        record = recorder.begin(target, "first_use", used_at) if recorder is not None else None
        try:
            module = _import_module(target)
        except BaseException as exc:
            if not isinstance(exc, Exception):
                if recorder is not None:
                    recorder.finish(record, exc)
                raise
            count_lazy_import(target, "failed")
            if recorder is not None:
                recorder.finish(record, exc)
            raise lazy_error(
                f"lazy attribute {package_name}.{name} failed importing {target!r}: "
                f"{type(exc).__name__}: {exc} (declared at {declared_at}, first used at "
                f"{used_at}); the next use retries",
                exc,
                target,
            ) from exc
        if loading:
            # Counted inside the record: what counting imports is part of this first use.
            count_lazy_import(target, "loaded")
        if recorder is not None:
            recorder.finish(record, None)
        if name in subs and name not in attr_to_module:
            value: Any = module
        else:
            try:
                value = getattr(module, name)
            except AttributeError:
                # The import worked; only the declared name is missing. An AttributeError
                # (not LazyImportError) keeps hasattr() and getattr(pkg, name, default) working.
                raise AttributeError(
                    f"module {package_name!r} has no attribute {name!r}: it is declared lazy in "
                    f"submodule {target!r} (declared at {declared_at}), which imported but does "
                    "not define it",
                    name=name,
                    obj=sys.modules.get(package_name),
                ) from None
        package = sys.modules.get(package_name)
        if package is not None:
            d = package.__dict__
            for attr, submodule in shadowed.items():
                loaded = sys.modules.get(submodule)
                if attr != name and loaded is not None and d.get(attr) is loaded:
                    del d[attr]  # the submodule's binding: let __getattr__ resolve the attribute
            # Cache on the package so the next lookup is a plain module-dict hit.
            d[name] = value
        return value

    def __getattr__(name: str) -> Any:
        return resolve(name, sys._getframe(1))

    def __dir__() -> list[str]:
        return list(public)  # the lazy names, as lazy_loader (a copy: callers may change it)

    for name in public:
        target = f"{package_name}.{attr_to_module.get(name, name)}"
        if is_eager(target):
            resolve(name, sys._getframe(depth))
    return __getattr__, __dir__, list(public)
