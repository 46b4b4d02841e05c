"""Find a module's spec without executing it or any of its parent packages.

``importlib.util.find_spec("a.b.c")`` imports ``a`` and ``a.b`` to read their ``__path__``.
``lazy_import(..., check=True)`` and ``codomyrmex-perf lazy verify`` must not run any module
body, so this walks the parents' specs instead: a regular package's ``__path__`` is its spec's
``submodule_search_locations``, which every meta-path finder accepts as the search path.

    >>> find_spec_no_exec("json.decoder").name
    'json.decoder'
"""

from __future__ import annotations

import importlib.util
import sys
from importlib.machinery import ModuleSpec

__all__ = ["find_spec_no_exec"]


def find_spec_no_exec(name: str) -> ModuleSpec | None:
    """The spec of absolute module ``name``, or ``None`` when it cannot be found.

    Parents already imported are used as they are (their live ``__path__``); the others are
    resolved spec by spec, never executed.
    """
    module = sys.modules.get(name)
    if module is not None:
        spec = getattr(module, "__spec__", None)
        return spec if isinstance(spec, ModuleSpec) else importlib.util.find_spec(name)
    parent, _, _ = name.rpartition(".")
    if not parent:
        return importlib.util.find_spec(name)
    parent_module = sys.modules.get(parent)
    if parent_module is not None:
        path = getattr(parent_module, "__path__", None)
    else:
        parent_spec = find_spec_no_exec(parent)
        path = None if parent_spec is None else parent_spec.submodule_search_locations
    if path is None:  # the parent is missing, or is a plain module with no submodules
        return None
    for finder in sys.meta_path:
        find = getattr(finder, "find_spec", None)
        if find is None:
            continue
        spec = find(name, list(path), None)
        if spec is not None:
            return spec  # type: ignore[no-any-return]
    return None
