"""CODOMYRMEX_PERF_EAGER_IMPORTS: resolve lazy imports at declaration (for CI)."""

from __future__ import annotations

import sys

import pytest

from codomyrmex.performance import LazyImportError, lazy_function, lazy_import
from codomyrmex.performance.lazy import is_eager
from tests.lazy._modgen import ModuleFactory

VAR = "CODOMYRMEX_PERF_EAGER_IMPORTS"


def test_one_makes_every_lazy_import_eager(modgen: ModuleFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    name = modgen.module("eag", "VALUE = 1\n")
    monkeypatch.setenv(VAR, "1")
    proxy = lazy_import(name)
    assert modgen.executions(name) == 1
    assert sys.modules[name] is proxy


def test_patterns_select_which_imports_are_eager(modgen: ModuleFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    eager = modgen.module("pat_yes", "VALUE = 1\n")
    lazy = modgen.module("other", "VALUE = 1\n")
    fn_mod = modgen.module("pat_fn", "def f():\n    return 1\n")
    monkeypatch.setenv(VAR, f"unrelated.*, {modgen.prefix}_pat_*")
    lazy_import(eager)
    lazy_import(lazy)
    lazy_function(fn_mod, "f")
    assert modgen.executions(eager) == 1
    assert modgen.executions(lazy) == 0
    assert modgen.executions(fn_mod) == 1


def test_eager_failure_raises_at_declaration(modgen: ModuleFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    name = modgen.module("eagfail", "raise RuntimeError('broken in CI')\n")
    monkeypatch.setenv(VAR, "1")
    with pytest.raises(LazyImportError, match="broken in CI"):
        lazy_import(name)


@pytest.mark.parametrize(("value", "module", "expected"), [
    ("1", "anything", True), ("true", "x.y", True), ("0", "x", False), ("", "x", False),
    ("numpy,scipy.*", "scipy.stats", True), ("numpy,scipy.*", "scipy", False),
    ("numpy,scipy.*", "numpy", True),
])  # fmt: skip
def test_is_eager_parses_the_variable(value: str, module: str, expected: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VAR, value)
    assert is_eager(module) is expected


def test_unset_variable_means_lazy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(VAR, raising=False)
    assert is_eager("numpy") is False


@pytest.mark.parametrize(("value", "bad"), [("numpy scipy", "numpy scipy"), ("json,numpy;scipy", "numpy;scipy"),
                                            ("xml/dom", "xml/dom")])  # fmt: skip
def test_a_malformed_pattern_is_a_configuration_error_naming_it(
    value: str, bad: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from codomyrmex.performance.errors import ConfigurationError

    monkeypatch.setenv(VAR, value)
    with pytest.raises(ConfigurationError, match=f"{VAR} must be 1 .* got {value!r} \\(bad pattern {bad!r}\\)"):
        lazy_import("json")
