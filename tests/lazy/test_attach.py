"""attach(): PEP 562 lazy submodules and attributes for a package's own __init__.py."""

from __future__ import annotations

import importlib
import sys

import pytest

from codomyrmex.performance import LazyImportError, attach
from tests.lazy._modgen import ModuleFactory

INIT = """
from codomyrmex.performance.lazy import attach
__getattr__, __dir__, __all__ = attach(
    __name__, submodules=["io", "broken"], submod_attrs={"models": ["Model", "fit"]}
)
"""


def _package(modgen: ModuleFactory) -> str:
    return modgen.package("att", {
        "__init__.py": INIT,
        "io.py": "def read():\n    return 'read'\n",
        "models.py": "class Model:\n    pass\ndef fit():\n    return 'fitted'\n",
        "broken.py": "raise KeyError('broken submodule')\n",
    })  # fmt: skip


def test_submodules_and_attributes_load_on_first_access_and_are_cached(modgen: ModuleFactory) -> None:
    name = _package(modgen)
    pkg = importlib.import_module(name)
    assert modgen.executions(f"{name}.io") == 0 and modgen.executions(f"{name}.models") == 0
    assert pkg.io.read() == "read"
    assert pkg.fit() == "fitted"
    assert pkg.Model.__module__ == f"{name}.models"
    # cached in the package namespace: later lookups never reach __getattr__
    assert pkg.__dict__["fit"] is sys.modules[f"{name}.models"].fit
    assert pkg.__dict__["io"] is sys.modules[f"{name}.io"]
    assert modgen.executions(f"{name}.models") == 1


def test_dir_and_all_list_the_lazy_names(modgen: ModuleFactory) -> None:
    pkg = importlib.import_module(_package(modgen))
    assert pkg.__all__ == ["Model", "broken", "fit", "io"]
    assert {"Model", "fit", "io"} <= set(dir(pkg))


def test_unknown_name_is_an_attribute_error(modgen: ModuleFactory) -> None:
    pkg = importlib.import_module(_package(modgen))
    with pytest.raises(AttributeError, match="nothing"):
        pkg.nothing  # noqa: B018


def test_failing_submodule_raises_lazy_import_error_and_retries(modgen: ModuleFactory) -> None:
    name = _package(modgen)
    pkg = importlib.import_module(name)
    with pytest.raises(LazyImportError, match=f"{name}.broken") as info:
        pkg.broken  # noqa: B018
    assert "declared at" in str(info.value) and "first used at" in str(info.value)
    modgen.write(f"{name}/broken.py", "VALUE = 'repaired, with a different length'\n")
    assert pkg.broken.VALUE == "repaired, with a different length"


def test_bad_arguments() -> None:
    with pytest.raises(LazyImportError):
        attach("")
    with pytest.raises(TypeError, match="submodules"):
        attach("x", submodules="abc")
    with pytest.raises(LazyImportError, match="'1x'"):
        attach("x", submodules=["1x"])
    with pytest.raises(TypeError, match="submod_attrs"):
        attach("x", submod_attrs=["a"])  # type: ignore[arg-type]


def test_declared_attribute_missing_from_an_importable_submodule_is_an_attribute_error(modgen: ModuleFactory) -> None:
    name = modgen.package("attmiss", {
        "__init__.py": "from codomyrmex.performance.lazy import attach\n"
                       "__getattr__, __dir__, __all__ = attach(__name__, submod_attrs={'models': ['Model', 'gone']})\n",
        "models.py": "class Model:\n    pass\n",
    })  # fmt: skip
    pkg = importlib.import_module(name)
    assert hasattr(pkg, "gone") is False
    assert getattr(pkg, "gone", "default") == "default"
    with pytest.raises(AttributeError, match=f"{name}.models") as info:
        pkg.gone  # noqa: B018
    assert not isinstance(info.value, LazyImportError)
    assert info.value.name == "gone" and info.value.obj is pkg
    assert pkg.Model.__name__ == "Model"  # the submodule itself imported fine, once
    assert modgen.executions(f"{name}.models") == 1


def test_failing_submodule_is_not_swallowed_by_hasattr(modgen: ModuleFactory) -> None:
    pkg = importlib.import_module(_package(modgen))
    with pytest.raises(LazyImportError, match="broken submodule"):
        hasattr(pkg, "broken")
