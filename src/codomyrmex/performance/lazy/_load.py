"""Loading a lazy proxy: the module body executed in the proxy, or the proxy made an alias.

:func:`load` runs under the import system's own lock of the module (so a lazy load and a plain
``import`` exclude each other), marks the proxy as loading (other threads wait, see
``_proxy._LoadingModule``), imports the module *into the proxy object itself* -- the spec's
loader executes the body in the proxy's namespace, as ``importlib.util.LazyLoader`` does -- and
swaps the class back to plain ``ModuleType``. When the module was imported by someone else
first, or its loader insists on creating its own object (extension modules), the proxy becomes
an alias that forwards every read, write and delete to it. A failure resets the proxy so the
next use retries. Imported on the first load only: a declaration never needs this module.

    >>> from codomyrmex.performance.lazy import lazy_import
    >>> json = lazy_import("json")
    >>> json.dumps([2])   # codomyrmex.performance.lazy._load.load(...) ran here, once
    '[2]'
"""

from __future__ import annotations

import sys
from _thread import get_ident

from ._proxy import (
    _MISSING,
    _STATE,
    LazyModule,
    _find_spec,
    _import_module,
    _load_unlocked,
    _LoadingModule,
    _module_lock,
    _ModuleLockManager,
    _set_class,
    _site,
    _State,
    namespace,
)

TYPE_CHECKING = False  # typing costs ~10 ms to import; mypy treats this name as typing's
if TYPE_CHECKING:
    import types
    from types import ModuleType
    from typing import Any

    from ..errors import LazyImportError
else:
    ModuleType = type(sys)  # types.ModuleType, without importing types

__all__ = ["active_recorder", "count_lazy_import", "lazy_error", "load"]


def _alias_class(target: object) -> type[types.ModuleType]:
    """A ``ModuleType`` subclass whose instances forward every attribute read, write and delete
    to ``target``: nothing is copied, so nothing goes stale.

    One class per alias, because the target cannot live in the instance: a proxy's layout must
    stay that of a plain module for the ``__class__`` swap. ``staticmethod(partial(getattr,
    target))`` makes the slot call ``getattr(target, attr)`` without running Python bytecode
    (about a third of the cost of a Python ``__getattribute__``).
    """
    import functools  # only when a module was imported elsewhere first: not on the cheap path

    namespace: dict[str, Any] = {
        "__slots__": (),
        "__module__": __name__,
        "__doc__": "A lazy proxy forwarding to a module that was imported elsewhere.",
        "__getattribute__": staticmethod(functools.partial(getattr, target)),
        "__setattr__": staticmethod(functools.partial(setattr, target)),
        "__delattr__": staticmethod(functools.partial(delattr, target)),
        "__repr__": lambda self: repr(target),
        "__dir__": lambda self: dir(target),
    }
    return type("AliasModule", (ModuleType,), namespace)


def lazy_error(message: str, exc: BaseException | None, name: str) -> LazyImportError:
    """The error for a failed lazy import: also a ``ModuleNotFoundError`` (``.name`` = the
    missing module, as ``import`` sets it) when the cause is one, so ``except
    ModuleNotFoundError`` catches it as it would catch the plain import."""
    from ..errors import LazyImportError, LazyModuleNotFoundError

    if isinstance(exc, ModuleNotFoundError):
        return LazyModuleNotFoundError(message, name=exc.name or name)
    return LazyImportError(message, name=name)


class _IntoProxyLoader:
    """Wraps a spec's loader so that ``module_from_spec`` returns our proxy."""

    def __init__(self, loader: Any, proxy: LazyModule) -> None:
        self._loader = loader
        self._proxy = proxy

    def create_module(self, spec: Any) -> Any:
        create = getattr(self._loader, "create_module", None)
        module = create(spec) if create is not None else None
        return self._proxy if module is None else module

    def exec_module(self, module: types.ModuleType) -> None:
        self._loader.exec_module(module)

    def __getattr__(self, attr: str) -> Any:  # get_resource_reader, get_data, is_package, ...
        return getattr(self._loader, attr)


def active_recorder() -> Any:
    """The import profiler's recorder while a profile is recording, else ``None``."""
    # Only talk to the import profiler when someone imported and activated it: the in-process
    # recorder (profile_imports), else the whole-program one (importtime._bootstrap), which
    # registers itself under a name of its own.
    for name in ("codomyrmex.performance.importtime._recorder", "_codomyrmex_perf_import_recorder"):
        rec = sys.modules.get(name)
        if rec is not None and rec.is_active():
            return rec
    return None


def count_lazy_import(name: str, state: str) -> None:
    """Count a lazy load of module ``name`` (``state``: loaded or failed) under its top-level
    package. Imports only the plain stats module, not ``telemetry.recording`` or ``configure``:
    this runs inside a user's first use, and whatever it imports shows in their import profile."""
    from ..telemetry.stats import default_registry

    default_registry().count_lazy_import(name.partition(".")[0], state)


def load(proxy: LazyModule, use_frame: types.FrameType | None) -> types.ModuleType:
    """Import the module behind ``proxy`` (once, under the module's lock) and return it.

    ``use_frame`` is the frame of the first use, named in the error if the import fails.
    """
    state: _State | None = namespace(proxy).get(_STATE)
    if state is None:
        return proxy
    with _module_lock(state.name):
        if state.target is not None:
            return state.target
        if _STATE not in namespace(proxy):
            return proxy
        used_at = _site(use_frame)
        if state.failure is not None:
            from ..errors import LazyModuleNotFoundError

            raise LazyModuleNotFoundError(
                f"lazy import of {state.name!r}: {state.failure} (declared at "
                f"{state.declared_at}, first used at {used_at})",
                name=state.name,
            )
        # A module someone already imported is not imported by this use: nothing to profile.
        recorder = active_recorder() if sys.modules.get(state.name) is None else None
        record = recorder.begin(state.name, "first_use", used_at) if recorder else None
        state.loading_thread = get_ident()
        _set_class(proxy, _LoadingModule)
        try:
            module = _import_into(proxy, state.name)
        except BaseException as exc:
            _reset(proxy, state)
            if isinstance(exc, Exception):
                count_lazy_import(state.name, "failed")
            if recorder is not None:
                recorder.finish(record, exc)
            if not isinstance(exc, Exception):
                raise
            raise lazy_error(
                f"lazy import of {state.name!r} failed: {type(exc).__name__}: {exc} "
                f"(declared at {state.declared_at}, first used at {used_at}); "
                "the next use retries",
                exc,
                state.name,
            ) from exc
        finally:
            state.loading_thread = None
        _finish(proxy, state, module, use_frame)
        # Counted inside the record: what counting imports is part of this first use.
        count_lazy_import(state.name, "loaded")
        if recorder is not None:
            recorder.finish(record, None)
        return module


def _import_into(proxy: LazyModule, name: str) -> types.ModuleType:
    """Import ``name``, executing it in ``proxy`` when nobody has imported it yet (or when the
    proxy itself was placed in ``sys.modules``: ``sys.modules["json"] = lazy_import("json")``)."""
    placed = sys.modules.get(name) is proxy
    if name in sys.modules and not placed:
        # Waits for a concurrent import to finish; raises for a None entry ("import halted"),
        # which tests use to simulate a missing module.
        return _import_module(name)
    parent, _, child = name.rpartition(".")
    parent_module = _import_module(parent) if parent else None
    if _ModuleLockManager is None or _load_unlocked is None or _find_spec is None:  # pragma: no cover
        return _import_module(name)
    # The caller holds this module's import lock (load_module), as _find_and_load would.
    current = sys.modules.get(name, proxy) if placed else sys.modules.get(name, _MISSING)
    if current is not _MISSING and current is not proxy:  # imported by the parent package
        module = current
        if module is None:  # blocked with None
            raise ModuleNotFoundError(f"import of {name} halted; None in sys.modules", name=name)
    else:
        # What _find_and_load does (importlib.util.find_spec would read the placed proxy's
        # __spec__ from sys.modules instead of searching).
        path = None
        if parent_module is not None:
            path = getattr(parent_module, "__path__", None)
            if path is None:
                raise ModuleNotFoundError(f"No module named {name!r}; {parent!r} is not a package", name=name)
        spec = _find_spec(name, path)
        if spec is None:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        if spec.loader is None or not hasattr(spec.loader, "exec_module"):
            if placed:  # let the import system make its own module: the proxy becomes an alias
                del sys.modules[name]
            return _import_module(name)
        original = spec.loader
        spec.loader = _IntoProxyLoader(original, proxy)
        try:
            module = _load_unlocked(spec)
        except BaseException:
            if placed and name not in sys.modules:  # keep the user's placement for the retry
                sys.modules[name] = proxy
            raise
        finally:
            spec.loader = original
            if isinstance(namespace(proxy).get("__loader__"), _IntoProxyLoader):
                namespace(proxy)["__loader__"] = original
    if parent_module is not None and module is not None:
        # What the import system does after loading a submodule: bind it on its parent.
        try:  # noqa: SIM105 - contextlib costs ~1 ms to import
            setattr(parent_module, child, module)
        except AttributeError:  # a parent that refuses attributes (contextlib costs ~1 ms to import)
            pass
    return module


def _reset(proxy: LazyModule, state: _State) -> None:
    """Put a failed proxy back into its declared state so that the next use retries."""
    d = namespace(proxy)
    d.clear()
    d.update(__name__=state.name, __doc__=None, __package__=None, __loader__=None, __spec__=None)
    d[_STATE] = state
    _set_class(proxy, LazyModule)


def _finish(
    proxy: LazyModule, state: _State, module: types.ModuleType, use_frame: types.FrameType | None
) -> None:
    # Swap the class before dropping the state: a thread already inside LazyModule.__getattr__
    # that finds no state falls back to a plain getattr, which must not reach that hook again.
    d = namespace(proxy)
    state.target = module
    if module is proxy:
        _set_class(proxy, ModuleType)  # plain module: specialised attribute lookups apply
        d.pop(_STATE, None)
        return
    # Alias: every access is forwarded to the real module. The proxy's own namespace is left as
    # it is (its protocol attributes, or the body's globals if the module replaced itself in
    # sys.modules, which its functions still use) and is no longer reachable as attributes.
    _set_class(proxy, _alias_class(module))
    d.pop(_STATE, None)
    # Fast path for the common case: names that still hold the proxy in the declaring module
    # and in the first user's module now name the real module, so their accesses are plain
    # module attribute lookups. Scanning every module in sys.modules as well would cost about
    # 1 ms per alias in a 300-module process and could trigger other libraries' lazy modules.
    use_globals = use_frame.f_globals if use_frame is not None else None
    for names in (state.globals, use_globals):
        if names is None:
            continue
        for key, value in list(names.items()):
            if value is proxy:
                names[key] = module
