"""Small real modules generated on disk for lazy-import and import-profiler tests.

Every module name carries a per-test prefix, so tests never share ``sys.modules`` entries, and
each generated body can append to a marker file: ``executions(name)`` counts how many times the
body really ran.
"""

from __future__ import annotations

import importlib
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest


class ModuleFactory:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.prefix = f"gen_{uuid.uuid4().hex[:8]}"

    def _marker(self, name: str) -> Path:
        return self.root / f"{name}.executions"

    def mark(self, name: str) -> str:
        """A line of code recording one execution of ``name``'s body."""
        return f"open({str(self._marker(name))!r}, 'a').write('x')\n"

    def executions(self, name: str) -> int:
        path = self._marker(name)
        return len(path.read_text()) if path.exists() else 0

    def write(self, relative: str, body: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(body))
        importlib.invalidate_caches()
        return path

    def module(self, suffix: str, body: str = "", *, marked: bool = True) -> str:
        """Write top-level module ``<prefix>_<suffix>`` and return its name."""
        name = f"{self.prefix}_{suffix}"
        self.write(f"{name}.py", (self.mark(name) if marked else "") + textwrap.dedent(body))
        return name

    def package(self, suffix: str, files: dict[str, str]) -> str:
        """Write package ``<prefix>_<suffix>``; ``files`` maps relative paths ("__init__.py",
        "sub/__init__.py", "sub/leaf.py") to bodies. Each body records its executions under the
        dotted name of its module."""
        name = f"{self.prefix}_{suffix}"
        for rel, body in files.items():
            parts = [name, *rel[: -len(".py")].split("/")]
            if parts[-1] == "__init__":
                parts.pop()
            dotted = ".".join(parts)
            self.write(f"{name}/{rel}", self.mark(dotted) + textwrap.dedent(body))
        return name


@pytest.fixture
def modgen(tmp_path: Path) -> Iterator[ModuleFactory]:
    factory = ModuleFactory(tmp_path)
    sys.path.insert(0, str(tmp_path))
    importlib.invalidate_caches()
    try:
        yield factory
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n.startswith(factory.prefix)]:
            del sys.modules[name]
