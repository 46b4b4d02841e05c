"""``attach_stub``: :func:`attach` driven by the package's ``__init__.pyi`` (as ``lazy_loader``).

The stub lists the lazy names as ordinary relative imports, so type checkers and IDEs see
them while the package stays lazy at runtime::

    # mypkg/__init__.pyi
    from . import io
    from .models import Model, fit

    # mypkg/__init__.py
    from codomyrmex.performance.lazy import attach_stub

    __getattr__, __dir__, __all__ = attach_stub(__name__, __file__)
"""

from __future__ import annotations

import ast
import os
from collections.abc import Callable
from typing import Any

from ..errors import LazyDeclarationError
from ._attach import make_attach
from ._declare import check_name

__all__ = ["attach_stub", "stub_names"]


def stub_names(stub_path: str, package_name: str) -> tuple[list[str], dict[str, list[str]]]:
    """``(submodules, submod_attrs)`` declared by the relative imports of ``stub_path``.

    Other imports (``import numpy``, ``from typing import Any``: names the annotations use) are
    ignored; an absolute import of the package itself or a ``..`` import is an error, since it
    cannot be resolved lazily from here.
    """
    if not os.path.isfile(stub_path):  # lazy_loader's wording, so ported tests keep matching
        raise LazyDeclarationError(f"Cannot load imports from non-existent stub {stub_path!r}")
    try:
        with open(stub_path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), filename=stub_path)
    except (OSError, SyntaxError, UnicodeDecodeError) as exc:
        raise LazyDeclarationError(
            f"attach_stub cannot read the stub {stub_path!r}: {type(exc).__name__}: {exc}"
        ) from None
    submodules: list[str] = []
    submod_attrs: dict[str, list[str]] = {}
    for node in tree.body:
        if not isinstance(node, ast.ImportFrom):
            continue
        where = f"{stub_path}:{node.lineno}"
        module = node.module or ""
        if node.level == 0 and (module == package_name or module.startswith(package_name + ".")):
            raise LazyDeclarationError(f"{where}: Only within-module imports are supported: write "
                                       f"'from .{module[len(package_name) + 1:]} import ...' (relative) "
                                       f"for attach_stub, not 'from {module} import ...'")  # fmt: skip
        if node.level == 0:
            continue
        if node.level != 1:
            raise LazyDeclarationError(f"{where}: Only within-module imports are supported "
                                       "('from . import sub', 'from .sub import name'), not '..' imports")  # fmt: skip
        for alias in node.names:
            if alias.name == "*":
                raise LazyDeclarationError(f"{where}: attach_stub does not support star import "
                                           f"'from .{node.module or ''} import *'")  # fmt: skip
            if alias.asname not in (None, alias.name):
                raise LazyDeclarationError(f"{where}: attach_stub cannot rename {alias.name!r} to {alias.asname!r}")
            if node.module is None:
                submodules.append(alias.name)
            else:
                submod_attrs.setdefault(node.module, []).append(alias.name)
    return submodules, submod_attrs


def attach_stub(
    package_name: str, filename: str
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """``(__getattr__, __dir__, __all__)`` from the stub next to ``filename`` (pass ``__file__``:
    ``mypkg/__init__.py`` reads ``mypkg/__init__.pyi``; a ``.pyi`` path is read as it is).
    A stub that is missing or declares what cannot be made lazy raises
    :class:`~codomyrmex.performance.errors.LazyDeclarationError` (a ``ValueError``, as in
    ``lazy_loader``) naming the file and line."""
    check_name("package_name", package_name)
    check_name("filename", filename)
    stub = filename if filename.endswith(".pyi") else os.path.splitext(filename)[0] + ".pyi"
    submodules, submod_attrs = stub_names(stub, package_name)
    return make_attach(package_name, submodules, submod_attrs, depth=2)
