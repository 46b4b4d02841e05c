"""Lazy imports that cost nothing once loaded.

    from codomyrmex.performance import LazyLoader, lazy_import

    torch = lazy_import("torch")      # a ModuleType proxy; nothing imported, no disk access
    torch.zeros(3)                    # imported here, once, even with many threads racing

    dumps = lazy_function("json", "dumps")
    __getattr__, __dir__, __all__ = attach(__name__, submodules=["io"])   # in a package
    __getattr__, __dir__, __all__ = attach_stub(__name__, __file__)      # names from __init__.pyi

After the first use the proxy *is* the module (same object in ``sys.modules``, plain
``ModuleType``), so attribute access costs what it costs on any module. If someone imported the
module before the first use, the proxy forwards every access to that module (monkeypatching
included) and the declaring global is rebound to it. A failed import raises
:class:`~codomyrmex.performance.errors.LazyImportError` (a ``LazyModuleNotFoundError``, also a
``ModuleNotFoundError``, when a module is missing) naming the declaration and the first use,
and the next use retries. ``CODOMYRMEX_PERF_EAGER_IMPORTS=1`` (or glob patterns) resolves
lazy imports at declaration, and ``codomyrmex-perf lazy verify MODULE...`` checks the declared
targets without executing them. Loads count into ``codomyrmex_lazy_imports_total{package,state}``
and appear in the import profiler with ``trigger="first_use"``.
"""

from __future__ import annotations

from .. import _lazy_exports
from ._declare import lazy_import
from ._proxy import LazyModule

TYPE_CHECKING = False  # typing costs ~10 ms to import; mypy treats this name as typing's
if TYPE_CHECKING:
    from ..errors import LazyDeclarationError, LazyImportError, LazyModuleNotFoundError
    from ._attach import attach
    from ._eager import is_eager
    from ._loader import LazyFunction, LazyLoader, get_lazy_loader, lazy_function
    from ._stub import attach_stub
    from ._verify import LazyTarget, verify

# Only what `from codomyrmex.performance import lazy_import` needs is imported here; the rest
# resolves on first access (LazyLoader needs typing, the verifier ast/dataclasses/pathlib).
# A plain PEP 562 hook rather than this package's own attach(): attach() counts each load
# into the user's codomyrmex_lazy_imports_total, which should show their lazy imports, not ours.
_ERRORS = __name__.rpartition(".")[0] + ".errors"
_LAZY: dict[str, str] = {
    "attach": f"{__name__}._attach",
    "is_eager": f"{__name__}._eager",
    "LazyFunction": f"{__name__}._loader",
    "LazyLoader": f"{__name__}._loader",
    "get_lazy_loader": f"{__name__}._loader",
    "lazy_function": f"{__name__}._loader",
    "LazyTarget": f"{__name__}._verify",
    "verify": f"{__name__}._verify",
    "attach_stub": f"{__name__}._stub",
    "LazyDeclarationError": _ERRORS,
    "LazyImportError": _ERRORS,
    "LazyModuleNotFoundError": _ERRORS,
}


__all__ = [
    "LazyDeclarationError",
    "LazyFunction",
    "LazyImportError",
    "LazyLoader",
    "LazyModule",
    "LazyModuleNotFoundError",
    "LazyTarget",
    "attach",
    "attach_stub",
    "get_lazy_loader",
    "is_eager",
    "lazy_function",
    "lazy_import",
    "verify",
]

__getattr__, __dir__ = _lazy_exports(__name__, globals(), _LAZY, __all__)
