"""Fetch the peers' suites at test time; nothing third-party is committed.

- CPython: ``test.test_functools`` from the running interpreter's ``test`` package.
- cachetools: the sdist of the *installed* version, fetched by :func:`._sdist.fetch_sdist`
  (``pip download --no-binary :all: --no-deps cachetools==<version>``, cached). Its
  ``tests/__init__.py`` and the four decorator test files are loaded as a package whose
  ``import cachetools`` lines are pointed at :data:`tests.conformance._adapters.cachetools`;
  nothing else in them is changed.

Locally a failed download skips the suite with the reason; under ``CI=true`` it is an error.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import re
import sys
import tempfile
import types
import unittest
from pathlib import Path
from typing import Any

import pytest

from ._sdist import fetch_sdist
from .skips import SKIPS

__all__ = ["CACHETOOLS_FILES", "apply_skips", "cachetools_suite", "fail_or_skip", "used"]

CACHETOOLS_FILES = ("test_cached", "test_cachedmethod", "test_func", "test_threading")
_ADAPTER = "tests.conformance._adapters"


def fail_or_skip(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        raise RuntimeError(f"conformance suite unavailable under CI: {reason}")
    pytest.skip(reason, allow_module_level=True)


def _rewrite(source: str) -> str:
    """Point the suite's imports of cachetools at the adapter (only those lines change)."""
    out = []
    for line in source.splitlines():
        if re.fullmatch(r"import cachetools(\.func)?", line):
            out.append(f"from {_ADAPTER} import cachetools")
        elif line == "import cachetools.keys":
            out.append("")  # the adapter's cachetools.keys is cachetools' own keys module
        elif m := re.fullmatch(r"from cachetools import (.+)", line):
            names = [n.strip() for n in m.group(1).split(",")]
            out.append(f"from {_ADAPTER} import cachetools as _adapter")
            out.append(f"{', '.join(names)} = {', '.join('_adapter.' + n for n in names)}")
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def _sdist_tests() -> Path:
    # Unpacked once per process into a temporary directory (the download itself is cached by
    # _sdist.fetch_sdist); the modules are loaded at collection time, before any fixture.
    try:
        top = fetch_sdist("cachetools", Path(tempfile.mkdtemp(prefix="cachetools-suite-")))
    except pytest.skip.Exception as exc:  # no network locally: skip the module (CI: it failed)
        fail_or_skip(str(exc))
    return top / "tests"


def cachetools_suite() -> dict[str, types.ModuleType]:
    """The four decorator test modules of the installed cachetools' sdist, adapted."""
    version = importlib.metadata.version("cachetools")
    tests = _sdist_tests()
    package = f"_cachetools_{version.replace('.', '_')}_tests"
    if package not in sys.modules:
        spec = importlib.util.spec_from_loader(package, loader=None, is_package=True)
        assert spec is not None
        pkg = importlib.util.module_from_spec(spec)
        pkg.__path__ = [str(tests)]
        exec(
            compile(
                _rewrite((tests / "__init__.py").read_text()), str(tests / "__init__.py"), "exec"
            ),
            pkg.__dict__,
        )
        sys.modules[package] = pkg
    modules: dict[str, types.ModuleType] = {}
    for name in CACHETOOLS_FILES:
        full = f"{package}.{name}"
        mod = sys.modules.get(full)
        if mod is None:
            path = tests / f"{name}.py"
            mod = types.ModuleType(full)
            mod.__file__ = str(path)
            mod.__package__ = package
            sys.modules[full] = mod
            exec(compile(_rewrite(path.read_text()), str(path), "exec"), mod.__dict__)
        modules[name] = mod
    return modules


_used: dict[str, set[str]] = {}


def used(suite: str) -> set[str]:
    """The entries of ``SKIPS[suite]`` that matched a collected test (the rest are stale)."""
    return set(_used.get(suite, set()))


def apply_skips(suite: str, filename: str, cls: type[Any], original: str) -> None:
    """Mark the tests of ``cls`` (this package's copy of the peer's class ``original`` from
    ``filename``) that ``SKIPS[suite]`` lists (``"file.py::Class::test"``) as skipped."""
    for entry, reason in SKIPS[suite].items():
        where, klass, test = entry.split("::")
        if where != f"{filename}.py" or klass != original:
            continue
        method = getattr(cls, test, None)
        if method is None:
            continue
        setattr(cls, test, unittest.skip(f"conformance skip table: {reason}")(method))
        _used.setdefault(suite, set()).add(entry)
