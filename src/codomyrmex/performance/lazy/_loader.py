"""``LazyLoader``, ``lazy_function`` and ``get_lazy_loader`` (``lazy_import`` is in ``_declare``).

    >>> from codomyrmex.performance import LazyLoader, lazy_import
    >>> torch = lazy_import("torch")          # nothing happens until torch.<attr> is used
    >>> loader = LazyLoader("json")
    >>> loader.is_loaded() or loader.load().dumps(1)
    '1'
    >>> config = LazyLoader(loader=lambda: {"big": "config"})
    >>> config.load()["big"]
    'config'
"""

from __future__ import annotations

import sys
import threading
import types
from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

from .._validation import check_callable
from ..errors import LazyDeclarationError
from ._declare import absolute_name as _absolute_name
from ._declare import check_name, declare
from ._eager import is_eager
from ._load import lazy_error
from ._proxy import LazyModule, declared_site, load_module, namespace, new_proxy

__all__ = ["LazyFunction", "LazyLoader", "get_lazy_loader", "lazy_function"]

T = TypeVar("T")

_UNSET: Any = object()


class LazyLoader(Generic[T]):
    """A deferred module (``LazyLoader("numpy")``) or any deferred resource
    (``LazyLoader(loader=build_index)``), produced once by :meth:`load`.

    Loading is thread-safe and happens once; a failed load is retried by the next call.
    Attribute access is forwarded to the loaded object, so ``LazyLoader("json").dumps`` works.

        >>> LazyLoader("json").load().__name__
        'json'
    """

    @overload
    def __init__(
        self: LazyLoader[types.ModuleType], module_name: str, package: str | None = None
    ) -> None: ...

    @overload
    def __init__(self: LazyLoader[T], *, loader: Callable[[], T]) -> None: ...

    def __init__(
        self,
        module_name: str | None = None,
        package: str | None = None,
        *,
        loader: Callable[[], Any] | None = None,
    ) -> None:
        if (module_name is None) == (loader is None):
            raise LazyDeclarationError(
                "LazyLoader takes either module_name (a module to import) or loader= "
                f"(a callable), not {'both' if loader is not None else 'neither'}"
            )
        self._lock = threading.RLock()
        self._value: Any = _UNSET
        self._proxy: LazyModule | None = None
        self._factory: Callable[[], Any] | None = None
        if module_name is not None:
            absolute = _absolute_name("module_name", module_name, package)
            declared_at, globals_ = declared_site(1)
            self._name = absolute
            self._proxy = declare(absolute, declared_at, None, False, sys._getframe(1))
            del globals_  # a loader is not a module global to rebind
        else:
            self._factory = check_callable("loader", loader)
            self._name = getattr(loader, "__qualname__", None) or repr(loader)

    @property
    def name(self) -> str:
        """The module name, or the loader callable's qualified name."""
        return self._name

    def load(self) -> T:
        """The module or resource, produced on the first call and cached."""
        value = self._value
        if value is not _UNSET:
            return value  # type: ignore[no-any-return]
        return self._load(sys._getframe(1))

    def _load(self, use_frame: types.FrameType) -> T:
        # use_frame: the caller of load() or of an attribute, which the import profiler and a
        # failure name as the first use (never a frame of this module).
        with self._lock:
            if self._value is not _UNSET:
                return self._value  # type: ignore[no-any-return]
            value: Any
            if self._proxy is not None:
                value = load_module(self._proxy, use_frame)
            else:
                assert self._factory is not None
                value = self._factory()  # exceptions propagate; the next call retries
            self._value = value
            return value  # type: ignore[no-any-return]

    def is_loaded(self) -> bool:
        """Whether :meth:`load` has produced the value (by any path)."""
        if self._value is not _UNSET:
            return True
        proxy = self._proxy
        return proxy is not None and "__lazy_state__" not in namespace(proxy)

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("_"):
            # dunder probes (copy, pickle, inspect) and our own slots before __init__ finished
            # must not start a load
            raise AttributeError(attr)
        value = self._value
        if value is _UNSET:
            value = self._load(sys._getframe(1))
        return getattr(value, attr)

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled (multiprocessing, copy.deepcopy) as what it was declared as: the other side
        # gets a loader of the same module or callable, not loaded yet.
        if self._proxy is not None:
            return (LazyLoader, (self._name,))
        return (_loader_of, (self._factory,))

    def __repr__(self) -> str:
        state = "loaded" if self.is_loaded() else "not loaded"
        kind = "module" if self._proxy is not None else "loader"
        return f"<LazyLoader {kind} {self._name!r} ({state})>"


def _loader_of(factory: Callable[[], Any]) -> LazyLoader[Any]:
    return LazyLoader(loader=factory)


class LazyFunction:
    """A callable standing for ``module.name``, resolved on its first call.

        >>> dumps = lazy_function("json", "dumps")
        >>> dumps({"a": 1})
        '{"a": 1}'
    """

    __slots__ = ("__weakref__", "_declared_at", "_fn", "_lock", "_module", "_name")

    def __init__(self, module: str, name: str, declared_at: str) -> None:
        self._module = module
        self._name = name
        self._declared_at = declared_at
        self._fn: Callable[..., Any] | None = None
        self._lock = threading.Lock()

    def resolve(self) -> Callable[..., Any]:
        """Import the module and return the function (cached after the first success)."""
        fn = self._fn
        if fn is not None:
            return fn
        return self._resolve(sys._getframe(1))

    def _resolve(self, use_frame: types.FrameType) -> Callable[..., Any]:
        # use_frame: the caller of resolve() or of the function, named as the first use.
        with self._lock:
            if self._fn is None:
                proxy = new_proxy(self._module, self._declared_at, None)
                module = load_module(proxy, use_frame)
                try:
                    target = getattr(module, self._name)
                except AttributeError:
                    raise lazy_error(
                        f"lazy function {self._module}.{self._name} (declared at "
                        f"{self._declared_at}): module {self._module!r} has no attribute "
                        f"{self._name!r}",
                        None,
                        self._module,
                    ) from None
                self._fn = check_callable(f"{self._module}.{self._name}", target)
            return self._fn

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        fn = self._fn
        if fn is None:
            fn = self._resolve(sys._getframe(1))
        return fn(*args, **kwargs)

    @property
    def __name__(self) -> str:
        return self._name

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled by reference, like the function it stands for (pool.map(lazy_fn, ...)).
        return (LazyFunction, (self._module, self._name, self._declared_at))

    def __repr__(self) -> str:
        state = "resolved" if self._fn is not None else "not resolved"
        return f"<lazy function {self._module}.{self._name} ({state})>"


def lazy_function(module: str, name: str) -> LazyFunction:
    """A callable for ``module.name`` that imports ``module`` on its first call."""
    absolute = _absolute_name("module", module, None)
    check_name("name", name)
    if not name.isidentifier():
        raise LazyDeclarationError(f"name must be an attribute name like 'dumps', got {name!r}")
    declared_at, _ = declared_site(1)
    fn = LazyFunction(absolute, name, declared_at)
    if is_eager(absolute):
        fn._resolve(sys._getframe(1))
    return fn


_shared_lock = threading.Lock()
_shared: dict[str, LazyLoader[types.ModuleType]] = {}


def get_lazy_loader(name: str) -> LazyLoader[types.ModuleType]:
    """The one :class:`LazyLoader` of module ``name`` shared by the whole process."""
    absolute = _absolute_name("name", name, None)
    loader = _shared.get(absolute)
    if loader is None:
        with _shared_lock:
            loader = _shared.get(absolute)
            if loader is None:
                loader = _shared[absolute] = LazyLoader(absolute)
    return loader
