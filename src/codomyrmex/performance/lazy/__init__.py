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
:class:`~codomyrmex.performance.errors.LazyImportError` naming the declaration and the first
use, and the next use retries. ``CODOMYRMEX_PERF_EAGER_IMPORTS=1`` (or glob patterns) resolves
lazy imports at declaration, and ``codomyrmex-perf lazy verify MODULE...`` checks the declared
targets without executing them. Loads count into ``codomyrmex_lazy_imports_total{package,state}``
and appear in the import profiler with ``trigger="first_use"``.
"""

from __future__ import annotations

import typing as _typing

from ..errors import LazyImportError
from ._attach import attach
from ._eager import is_eager
from ._loader import LazyFunction, LazyLoader, get_lazy_loader, lazy_function, lazy_import
from ._proxy import LazyModule

if _typing.TYPE_CHECKING:
    from ._stub import attach_stub
    from ._verify import LazyTarget, verify

# The verifier and attach_stub need ast/dataclasses/pathlib: resolved on first use so that
# importing this package stays cheap (the library's first user of its own attach()).
__getattr__, __dir__, _ = attach(
    __name__, submod_attrs={"_verify": ["LazyTarget", "verify"], "_stub": ["attach_stub"]}
)

__all__ = [
    "LazyFunction",
    "LazyImportError",
    "LazyLoader",
    "LazyModule",
    "LazyTarget",
    "attach",
    "attach_stub",
    "get_lazy_loader",
    "is_eager",
    "lazy_function",
    "lazy_import",
    "verify",
]
