"""Check the lazy-import targets that modules declare, without executing anything.

The source of each module is parsed (``ast``) and every ``lazy_import(...)``, ``LazyLoader(...)``,
``get_lazy_loader(...)``, ``lazy_function(...)``, ``attach(...)`` and ``attach_stub(...)`` (read
from its ``.pyi``) call with literal arguments yields a target; each target must resolve to a
spec (:func:`find_spec_no_exec`). Neither the scanned modules nor the targets run, so a CI job can verify an application whose imports are
heavy or have side effects.

    >>> [r.ok for r in verify(["codomyrmex.performance.lazy._verify"])]
    []
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ._spec import find_spec_no_exec

__all__ = ["LazyTarget", "find_targets", "verify"]

_MODULE_CALLS = {"lazy_import": ("name",), "LazyLoader": ("module_name",), "get_lazy_loader": ("name",)}


@dataclass(frozen=True)
class LazyTarget:
    """One declared target and whether it resolves. ``target`` is ``None`` when the scanned
    module itself could not be found or parsed (``reason`` says why)."""

    module: str
    target: str | None
    declared_at: str
    ok: bool
    reason: str = ""


def _call_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _arg(node: ast.Call, index: int, keyword: str) -> ast.expr | None:
    for kw in node.keywords:
        if kw.arg == keyword:
            return kw.value
    return node.args[index] if len(node.args) > index else None


def _literal(expr: ast.expr | None, module: str, package: str) -> str | None:
    """A literal string, or ``__name__``/``__package__`` of the scanned module."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return expr.value
    if isinstance(expr, ast.Name) and expr.id == "__name__":
        return module
    if isinstance(expr, ast.Name) and expr.id == "__package__":
        return package
    return None


def _strings(expr: ast.expr | None) -> list[str]:
    if isinstance(expr, ast.List | ast.Tuple | ast.Set):
        return [e.value for e in expr.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return []


def _resolve(name: str, package: str | None) -> str | None:
    if not name.startswith("."):
        return name
    if not package:
        return None
    from importlib.util import resolve_name

    try:
        return resolve_name(name, package)
    except (ImportError, ValueError):
        return None


def _stub_targets(
    node: ast.Call, module: str, package: str, path: Path, errors: list[str]
) -> Iterator[tuple[str, int]]:
    """The targets of ``attach_stub(pkg, __file__)``, read from the ``.pyi`` next to ``path``;
    a stub that cannot be used adds its error to ``errors``."""
    from ..errors import LazyImportError
    from ._stub import stub_names

    pkg = _literal(_arg(node, 0, "package_name"), module, package)
    if pkg is None:
        return
    try:
        submodules, submod_attrs = stub_names(str(path.with_suffix(".pyi")), pkg)
    except LazyImportError as exc:
        errors.append(f"attach_stub at line {node.lineno}: {exc}")
        return
    for sub in [*submodules, *submod_attrs]:
        yield f"{pkg}.{sub}", node.lineno


def _targets_in(
    tree: ast.AST, module: str, package: str, path: Path | None = None, errors: list[str] | None = None
) -> Iterator[tuple[str, int]]:
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        fn = _call_name(node)
        if fn in _MODULE_CALLS:
            name = _literal(_arg(node, 0, _MODULE_CALLS[fn][0]), module, package)
            anchor = _literal(_arg(node, 1, "package"), module, package)
            resolved = None if name is None else _resolve(name, anchor)
            if resolved is not None:
                yield resolved, node.lineno
        elif fn == "lazy_function":
            name = _literal(_arg(node, 0, "module"), module, package)
            if name is not None:
                yield name, node.lineno
        elif fn == "attach_stub" and path is not None:
            yield from _stub_targets(node, module, package, path, [] if errors is None else errors)
        elif fn == "attach":
            pkg = _literal(_arg(node, 0, "package_name"), module, package)
            if pkg is None:
                continue
            for sub in _strings(_arg(node, 1, "submodules")):
                yield f"{pkg}.{sub}", node.lineno
            attrs = _arg(node, 2, "submod_attrs")
            if isinstance(attrs, ast.Dict):
                for key in attrs.keys:
                    if isinstance(key, ast.Constant) and isinstance(key.value, str):
                        yield f"{pkg}.{key.value}", node.lineno


def find_targets(module: str) -> tuple[Path | None, list[tuple[str, int]], str]:
    """``(source path, [(target, line)], error)`` for ``module``, read without executing it."""
    try:
        spec = find_spec_no_exec(module)
    except (ImportError, ValueError) as exc:
        return None, [], f"cannot find module: {type(exc).__name__}: {exc}"
    if spec is None:
        return None, [], "no module with that name can be found"
    origin = spec.origin
    if not origin or not origin.endswith(".py"):
        return None, [], ""  # extension, builtin or namespace package: declares nothing we can read
    path = Path(origin)
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, SyntaxError, UnicodeDecodeError) as exc:
        return path, [], f"cannot parse {path}: {type(exc).__name__}: {exc}"
    is_package = spec.submodule_search_locations is not None
    package = module if is_package else module.rpartition(".")[0]
    errors: list[str] = []
    targets = list(_targets_in(tree, module, package, path, errors))
    return path, targets, "; ".join(errors)


def verify(modules: Iterable[str]) -> list[LazyTarget]:
    """Every lazy target declared by ``modules``, each checked with :func:`find_spec_no_exec`."""
    if isinstance(modules, str) or not isinstance(modules, Iterable):
        raise TypeError(f"modules must be a list of module names (e.g. ['myapp.models']), got {modules!r}")
    results: list[LazyTarget] = []
    for module in modules:
        if not isinstance(module, str):
            raise TypeError(f"modules must hold module names (str), got {module!r} in {modules!r}")
        path, targets, error = find_targets(module)
        if error:  # the module (or its attach_stub's .pyi) could not be read
            results.append(LazyTarget(module, None, str(path or module), False, error))
        for target, line in targets:
            site = f"{path}:{line}"
            try:
                found = find_spec_no_exec(target) is not None
                reason = "" if found else "no module with that name can be found"
            except (ImportError, ValueError) as exc:
                found, reason = False, f"{type(exc).__name__}: {exc}"
            results.append(LazyTarget(module, target, site, found, reason))
    return results
