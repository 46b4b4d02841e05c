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
else:
    ModuleType = type(sys)  # types.ModuleType, without importing types

__all__ = [
    "LazyModule",
    "declared_site",
    "failed_proxy",
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



def _set_class(proxy: types.ModuleType, cls: type[types.ModuleType]) -> None:
    # Module objects allow __class__ assignment between ModuleType subclasses of equal layout.
    # Through object's setattr: the proxy's own __setattr__ would load the module.
    _module_setattr(proxy, "__class__", cls)


def load_module(proxy: LazyModule, use_frame: types.FrameType | None) -> types.ModuleType:
    """Import the module behind ``proxy`` (once, under the module's lock) and return it; see
    :func:`._load.load`. ``use_frame`` is the frame of the first use, named if it fails."""
    if _STATE not in namespace(proxy):
        return proxy
    from ._load import load  # the load path lives apart: a declaration does not import it

    return load(proxy, use_frame)


def declared_site(depth: int) -> tuple[str, dict[str, Any] | None]:
    """``(file:line, globals)`` of the frame ``depth`` levels above the caller."""
    try:
        frame = sys._getframe(depth + 1)
    except ValueError:
        return "<unknown>", None
    return f"{frame.f_code.co_filename}:{frame.f_lineno}", frame.f_globals
