"""codomyrmex-perf lazy verify: declared targets are checked without executing anything."""

from __future__ import annotations

import pytest

from codomyrmex.performance.cli import main
from codomyrmex.performance.lazy import verify
from tests.lazy._modgen import ModuleFactory


def _app(modgen: ModuleFactory, broken: bool) -> str:
    pkg = modgen.package("app", {
        "__init__.py": (
            "from codomyrmex.performance.lazy import attach, lazy_import, LazyLoader, lazy_function\n"
            "json = lazy_import('json')\n"
            "minidom = lazy_import('xml.dom.minidom')\n"
            "helper = lazy_import('.helper', __name__)\n"
            "loader = LazyLoader(module_name='email.message')\n"
            "dumps = lazy_function('json', 'dumps')\n"
            "__getattr__, __dir__, __all__ = attach(__name__, submodules=['helper'], submod_attrs={'models': ['M']})\n"
            + ("torch = lazy_import('torch_missing_for_test')\nghost = lazy_import('.ghost', __name__)\n" if broken else "")
        ),
        "helper.py": "VALUE = 1\n",
        "models.py": "M = 1\n",
    })  # fmt: skip
    return pkg


def test_verify_finds_every_declared_target_without_executing(modgen: ModuleFactory) -> None:
    pkg = _app(modgen, broken=False)
    results = verify([pkg])
    assert sorted(r.target for r in results if r.target) == sorted([
        "json", "xml.dom.minidom", f"{pkg}.helper", "email.message", "json",
        f"{pkg}.helper", f"{pkg}.models",
    ])  # fmt: skip
    assert all(r.ok for r in results)
    assert modgen.executions(pkg) == 0
    assert modgen.executions(f"{pkg}.helper") == 0


def test_cli_exits_zero_when_all_targets_resolve(modgen: ModuleFactory, capsys: pytest.CaptureFixture[str]) -> None:
    pkg = _app(modgen, broken=False)
    assert main(["lazy", "verify", pkg]) == 0
    assert "0 broken" in capsys.readouterr().out


def test_cli_exits_non_zero_naming_the_broken_targets(modgen: ModuleFactory, capsys: pytest.CaptureFixture[str]) -> None:
    pkg = _app(modgen, broken=True)
    assert main(["lazy", "verify", pkg]) == 1
    err = capsys.readouterr().err
    assert "torch_missing_for_test" in err
    assert f"{pkg}.ghost" in err
    assert "2 broken" in err
    assert modgen.executions(pkg) == 0


def test_cli_reports_a_module_that_cannot_be_found(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lazy", "verify", "no_such_module_for_verify"]) == 1
    assert "no_such_module_for_verify" in capsys.readouterr().err


def test_cli_without_action_prints_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lazy"]) == 2


def test_verify_reads_attach_stub_targets_from_the_pyi(modgen: ModuleFactory) -> None:
    init = "from codomyrmex.performance.lazy import attach_stub\n__getattr__, __dir__, __all__ = attach_stub(__name__, __file__)\n"
    pkg = modgen.package("stubapp", {"__init__.py": init, "io.py": "", "models.py": "M = 1\n"})
    modgen.write(f"{pkg}/__init__.pyi", "from . import io, ghost\nfrom .models import M\n")
    results = verify([pkg])
    assert sorted((r.target, r.ok) for r in results) == [
        (f"{pkg}.ghost", False), (f"{pkg}.io", True), (f"{pkg}.models", True),
    ]  # fmt: skip
    assert modgen.executions(pkg) == 0


def test_verify_reports_an_unusable_stub(modgen: ModuleFactory, capsys: pytest.CaptureFixture[str]) -> None:
    init = "from codomyrmex.performance.lazy import attach_stub\n__getattr__, __dir__, __all__ = attach_stub(__name__, __file__)\n"
    pkg = modgen.package("nostub", {"__init__.py": init})
    assert main(["lazy", "verify", pkg]) == 1
    err = capsys.readouterr().err
    assert f"BROKEN  module {pkg}" in err and "non-existent stub" in err and "__init__.pyi" in err


@pytest.mark.parametrize("module", ["", ".relative", "a b", "pkg..mod"])
def test_cli_rejects_a_malformed_module_name_with_usage_exit_2(module: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lazy", "verify", "json", module]) == 2
    err = capsys.readouterr().err
    assert f"MODULE must be an absolute dotted module name like 'myapp.models', got {module!r}" in err


def test_verify_rejects_a_bare_string_instead_of_iterating_its_characters() -> None:
    with pytest.raises(TypeError, match=r"modules must be a list of module names .* got 'json'"):
        verify("json")
    with pytest.raises(TypeError, match=r"modules must hold module names \(str\), got 3"):
        verify(["json", 3])  # type: ignore[list-item]
