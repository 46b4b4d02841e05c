"""The lazy module proxy: a real ``types.ModuleType`` that becomes the module on first use.

Declaration builds a :class:`LazyModule` holding only ``__name__`` and our state, and does no
filesystem work. Anything that reads or writes the module's namespace -- an attribute,
``__spec__``, ``__dict__``/``vars()``, ``dir()``, ``setattr``/``delattr`` (so
``mock.patch.object`` saves and restores the real value), ``importlib.reload`` -- imports the
module first, *into the proxy object itself*: the spec's loader executes the module body in the
proxy's namespace (as ``importlib.util.LazyLoader`` does), the proxy goes into ``sys.modules``,
is bound on its parent package, and its class is swapped back to plain ``ModuleType``. From then
on the proxy *is* the module: same object, same namespace, and CPython's specialised module
attribute lookup applies, so attribute access costs what it costs on any module. A proxy placed
in ``sys.modules`` by the user (``sys.modules["json"] = lazy_import("json")``) is loaded in
place the same way. While the body runs, another thread that reaches the proxy waits for the
load to end, as a plain ``import`` of that module would. Only ``repr()``, ``__name__``,
``__class__``, the methods every module has (``__reduce_ex__``, ``__eq__``, ...) and a few
introspection probes (pytest collection, ``inspect``, ``copy``) answer without loading.

When the module was imported by someone else between declaration and first use (or its loader
insists on creating its own object, as extension modules do) the proxy becomes an alias that
forwards every read, write and delete to the real module, so a reference held anywhere (a dict,
a class attribute, ``from utils import np``) always sees the module's current namespace,
monkeypatching included. Forwarding costs a few C calls per access; the common case stays a
plain module access because the globals that still name the proxy in the declaring module and in
the first user's module are rebound to the real module. (A module imported *before* the
declaration is returned by ``lazy_import`` itself; no proxy is made.)

Cheap to import: no ``typing``, ``threading``, ``functools`` or ``contextlib`` at import time.

    >>> from codomyrmex.performance.lazy import lazy_import
    >>> json = lazy_import("json")
    >>> json.dumps([1])   # imported here
    '[1]'
"""

from __future__ import annotations

import sys
from _thread import RLock, allocate_lock, get_ident

TYPE_CHECKING = False  # typing costs ~10 ms to import; mypy treats this name as typing's
if TYPE_CHECKING:
    import types
    from types import ModuleType
    from typing import Any

    from ..errors import LazyImportError
else:
    ModuleType = type(sys)  # types.ModuleType, without importing types

__all__ = [
    "LazyModule",
    "active_recorder",
    "count_lazy_import",
    "declared_site",
    "failed_proxy",
    "lazy_error",
    "load_module",
    "namespace",
    "new_proxy",
]

_STATE = "__lazy_state__"

# Introspection probes (inspect, pytest collection, typing, copy) that must not import the
# module: answering "no such attribute" is what a module without them would say anyway.
_NO_TRIGGER = frozenset({
    "__wrapped__", "__test__", "__signature__", "__text_signature__", "__origin__", "__func__",
    "__self__", "__code__", "__objclass__", "__isabstractmethod__", "__bases__", "__mro__",
    "__get__", "__call__", "__iter__", "__len__", "__fspath__", "__class_getitem__",
    "__pytest_wrapped__", "_pytestfixturefunction", "__getstate__", "__deepcopy__", "__copy__",
})  # fmt: skip


def _type_methods() -> frozenset[str]:
    """The methods every module object has from its type (``__reduce_ex__``, ``__eq__``,
    ``__class__``, ...): reading one is not a look at the module's namespace, and pickle/copy
    read them on any object. ``__dict__``, ``__doc__`` and ``__annotations__`` are not in it."""
    out = set()
    for name in dir(ModuleType):
        try:
            value = getattr(ModuleType, name)
        except AttributeError:
            continue
        if callable(value) and name not in ("__dict__", "__annotations__"):
            out.add(name)
    return frozenset(out)


_TYPE_METHODS = _type_methods()

_bootstrap: Any = sys.modules.get("_frozen_importlib")  # importlib._bootstrap, loaded at start-up
_ModuleLockManager: Any = getattr(_bootstrap, "_ModuleLockManager", None)
_load_unlocked: Any = getattr(_bootstrap, "_load_unlocked", None)
_lock_unlock_module: Any = getattr(_bootstrap, "_lock_unlock_module", None)
_gcd_import: Any = getattr(_bootstrap, "_gcd_import", None)
_find_spec: Any = getattr(_bootstrap, "_find_spec", None)
_module_getattribute = ModuleType.__getattribute__
_module_setattr = ModuleType.__setattr__
_module_delattr = ModuleType.__delattr__
_locks_guard = allocate_lock()
_locks: dict[str, Any] = {}
_MISSING: Any = object()


def _import_module(name: str) -> types.ModuleType:
    """``importlib.import_module`` for an absolute name, without importing ``importlib``."""
    if _gcd_import is not None:
        return _gcd_import(name)  # type: ignore[no-any-return]
    import importlib  # pragma: no cover - interpreters without importlib._bootstrap

    return importlib.import_module(name)  # pragma: no cover


def _module_lock(name: str) -> Any:
    """The import system's own per-module lock, so a lazy load and a plain ``import`` of the
    same module exclude each other, and a cross-thread import cycle through a lazy proxy is
    caught by importlib's deadlock detection (``_DeadlockError``) instead of hanging. It is
    re-entrant for its owner thread. A plain per-name RLock where the interpreter lacks it."""
    if _ModuleLockManager is not None:
        return _ModuleLockManager(name)
    with _locks_guard:  # pragma: no cover - interpreters without importlib's module locks
        return _locks.setdefault(name, RLock())


class _State:
    """Bookkeeping of one proxy, kept in its namespace until the load succeeds."""

    __slots__ = ("declared_at", "failure", "globals", "loading_thread", "name", "target")

    def __init__(self, name: str, declared_at: str, globals_: dict[str, Any] | None) -> None:
        self.name = name
        self.declared_at = declared_at
        self.globals = globals_
        self.loading_thread: int | None = None
        self.target: types.ModuleType | None = None
        #: Why every use fails without trying to import (an unmet ``require=``), or ``None``.
        self.failure: str | None = None


def _user_frame() -> types.FrameType | None:
    """The frame that used the proxy, two levels up, skipping the import system's own frames
    (``import x`` of a proxy placed in ``sys.modules`` reads its ``__spec__``)."""
    frame: types.FrameType | None = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith("<frozen importlib"):
        frame = frame.f_back
    return frame


def _site(frame: types.FrameType | None) -> str:
    if frame is None:
        return "<unknown>"
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


class LazyModule(ModuleType):
    """A module that imports itself on the first look at its namespace. See the module doc."""

    __slots__ = ()

    def __getattribute__(self, attr: str) -> Any:
        if attr in _TYPE_METHODS:  # __class__, __reduce_ex__, __eq__, ...: not the namespace
            return _module_getattribute(self, attr)
        if _STATE not in _module_getattribute(self, "__dict__"):
            # loaded by another thread between the lookup and this call: look again (a plain
            # lookup if the class has not been swapped yet, which _finish does first)
            if type(self) is LazyModule:
                return _module_getattribute(self, attr)
            return getattr(self, attr)
        if attr == "__name__" or attr in _NO_TRIGGER or attr.startswith("_mock_"):
            # __name__ is known without loading; the rest are introspection probes (pytest
            # looks for mock objects with _mock_*) answered as a module without them would
            return _module_getattribute(self, attr)  # the class's, or AttributeError
        return getattr(load_module(self, _user_frame()), attr)

    def __setattr__(self, attr: str, value: Any) -> None:
        # Set on the loaded module: set before the load, it would be overwritten by the body.
        setattr(load_module(self, _user_frame()), attr, value)

    def __delattr__(self, attr: str) -> None:
        delattr(load_module(self, _user_frame()), attr)

    def __dir__(self) -> list[str]:
        # As importlib's LazyLoader and lazy_loader: dir() shows the module's names.
        return dir(load_module(self, _user_frame()))

    def __repr__(self) -> str:
        d = namespace(self)
        state: _State | None = d.get(_STATE)
        name = state.name if state is not None else d.get("__name__")
        return f"<lazy module {name!r} (not loaded)>"


class _LoadingModule(LazyModule):
    """The class of a proxy while its module body runs. Another thread that reaches it waits
    for the load to end, as a plain ``import`` of a module being imported does, instead of
    reading a half-filled namespace (a function defined before a global it uses). The loading
    thread itself reads and writes the namespace as it is, as a module body does."""

    __slots__ = ()

    __setattr__ = _module_setattr  # type: ignore[assignment]
    __delattr__ = _module_delattr

    def __getattribute__(self, attr: str) -> Any:
        state: _State | None = _module_getattribute(self, "__dict__").get(_STATE)
        if state is not None and state.loading_thread not in (None, get_ident()):
            _wait_for_load(state.name)
            if type(self) is not _LoadingModule:  # loaded (or failed and reset): look again
                return getattr(self, attr)
            # still loading: a cross-thread import cycle, which gets the unfinished module
        return _module_getattribute(self, attr)

    def __getattr__(self, attr: str) -> Any:
        state: _State | None = namespace(self).get(_STATE)
        if state is None:  # loaded meanwhile
            return getattr(self, attr)
        # The module body itself (or a submodule it imports) reached the partially initialised
        # module, or another thread did and could not wait for it because that would close a
        # cross-thread import cycle: behave like a real module in that state (PEP 562
        # included), as `import` would.
        hook = namespace(self).get("__getattr__")
        if hook is not None:
            return hook(attr)
        raise AttributeError(
            f"partially initialized module {state.name!r} has no attribute {attr!r} "
            "(most likely due to a circular import)"
        )

    def __dir__(self) -> list[str]:
        return sorted(k for k in namespace(self) if k != _STATE)


def namespace(proxy: types.ModuleType) -> dict[str, Any]:
    """The proxy's ``__dict__``, read without waiting for a load running in another thread."""
    return _module_getattribute(proxy, "__dict__")  # type: ignore[no-any-return]


def _wait_for_load(name: str) -> None:
    """Wait until the thread importing ``name`` is done; return at once when waiting would close
    a cross-thread import cycle (what ``_find_and_load`` does for a module being imported)."""
    if _lock_unlock_module is not None:
        _lock_unlock_module(name)
        return
    with _module_lock(name):  # pragma: no cover - interpreters without importlib's module locks
        pass


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


def new_proxy(name: str, declared_at: str, globals_: dict[str, Any] | None) -> LazyModule:
    """A fresh, unloaded proxy for absolute module ``name``."""
    proxy = LazyModule(name)
    namespace(proxy)[_STATE] = _State(name, declared_at, globals_)
    return proxy


def failed_proxy(name: str, declared_at: str, failure: str) -> LazyModule:
    """A proxy whose every use raises :class:`LazyModuleNotFoundError` with ``failure`` (an
    unmet ``require=``), naming the declaration and the use, as ``lazy_loader`` does."""
    proxy = new_proxy(name, declared_at, None)
    namespace(proxy)[_STATE].failure = failure
    return proxy


# The errors module is imported where an error is raised: `from codomyrmex.performance import
# lazy_import` does not need it (half a millisecond of class creation) until something fails.


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


def load_module(proxy: LazyModule, use_frame: types.FrameType | None) -> types.ModuleType:
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


def _set_class(proxy: types.ModuleType, cls: type[types.ModuleType]) -> None:
    # Module objects allow __class__ assignment between ModuleType subclasses of equal layout.
    # Through object's setattr: the proxy's own __setattr__ would load the module.
    _module_setattr(proxy, "__class__", cls)


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


def declared_site(depth: int) -> tuple[str, dict[str, Any] | None]:
    """``(file:line, globals)`` of the frame ``depth`` levels above the caller."""
    try:
        frame = sys._getframe(depth + 1)
    except ValueError:
        return "<unknown>", None
    return f"{frame.f_code.co_filename}:{frame.f_lineno}", frame.f_globals
