"""``lazy_loader``'s API on top of ``codomyrmex.performance.lazy`` (conformance adapter).

Copied as ``lazy_loader.py`` in front of the real package when lazy_loader's own test suite
runs (tests/conformance/test_lazy_loader_suite.py), so the suite -- and its fake packages, which
``import lazy_loader`` -- exercise our ``lazy_import``/``attach``/``attach_stub``. The mapping is
the one a user porting code would write:

- ``load(name, require=, error_on_import=)`` is ``lazy_import(name, require=, check=)``, placed in
  ``sys.modules`` when the module exists, as lazy_loader does at declaration (and as our proxy
  supports: ``sys.modules[name] = lazy_import(name)``); the subpackage ``RuntimeWarning`` is
  lazy_loader's own advice and is repeated here.
- ``DelayedImportErrorModule`` is our unloaded proxy class, ``LazyModule``.
- ``EAGER_IMPORT`` (lazy_loader's variable) is read as our ``CODOMYRMEX_PERF_EAGER_IMPORTS``.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from codomyrmex.performance.lazy import LazyModule, lazy_import
from codomyrmex.performance.lazy import attach as _attach
from codomyrmex.performance.lazy import attach_stub as _attach_stub
from codomyrmex.performance.lazy._proxy import namespace
from codomyrmex.performance.lazy._spec import find_spec_no_exec

__version__ = "adapter"
__all__ = ["attach", "attach_stub", "load"]

DelayedImportErrorModule = LazyModule


@contextmanager
def _eager_env() -> Iterator[None]:
    if os.environ.get("EAGER_IMPORT", "") in ("0", ""):
        yield
        return
    saved = os.environ.get("CODOMYRMEX_PERF_EAGER_IMPORTS")
    os.environ["CODOMYRMEX_PERF_EAGER_IMPORTS"] = "1"
    try:
        yield
    finally:
        if saved is None:
            del os.environ["CODOMYRMEX_PERF_EAGER_IMPORTS"]
        else:
            os.environ["CODOMYRMEX_PERF_EAGER_IMPORTS"] = saved


def attach(package_name: str, submodules: Any = None, submod_attrs: Any = None) -> Any:
    with _eager_env():
        return _attach(package_name, submodules, submod_attrs)


def attach_stub(package_name: str, filename: str) -> Any:
    with _eager_env():
        return _attach_stub(package_name, filename)


def load(fullname: str, *, require: str | None = None, error_on_import: bool = False,
         suppress_warning: bool = False) -> Any:  # fmt: skip
    if not suppress_warning and "." in fullname:
        warnings.warn(
            "subpackages can technically be lazily loaded, but it causes the package to be eagerly "
            "loaded even if it is already lazily loaded.",
            RuntimeWarning,
            stacklevel=2,
        )
    module = lazy_import(fullname, require=require, check=error_on_import)
    state = namespace(module).get("__lazy_state__")
    if state is not None and state.failure is None and find_spec_no_exec(fullname) is not None:
        module = sys.modules.setdefault(fullname, module)
    return module
