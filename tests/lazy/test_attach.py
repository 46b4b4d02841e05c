"""attach(): PEP 562 lazy submodules and attributes for a package's own __init__.py."""

from __future__ import annotations

import importlib
import sys

import pytest

from codomyrmex.performance import LazyImportError, attach
from codomyrmex.performance.errors import LazyDeclarationError
from codomyrmex.performance.lazy import attach_stub
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


def test_lazy_loader_style_arguments_none_submodules_and_a_nested_submodule_key(modgen: ModuleFactory) -> None:
    name = modgen.package("attnest", {
        "__init__.py": "from codomyrmex.performance.lazy import attach\n"
                       "__getattr__, __dir__, __all__ = attach(__name__, submodules=None, "
                       "submod_attrs={'io.formats': ['read_csv']})\n",
        "io/__init__.py": "",
        "io/formats.py": "def read_csv():\n    return 'csv'\n",
    })  # fmt: skip
    pkg = importlib.import_module(name)
    assert pkg.__all__ == ["read_csv"]
    assert modgen.executions(f"{name}.io.formats") == 0
    assert pkg.read_csv() == "csv"
    assert pkg.__dict__["read_csv"] is sys.modules[f"{name}.io.formats"].read_csv


STUB_INIT = """
from codomyrmex.performance.lazy import attach_stub
__getattr__, __dir__, __all__ = attach_stub(__name__, __file__)
"""


def test_attach_stub_takes_the_lazy_names_from_the_packages_pyi(modgen: ModuleFactory) -> None:
    name = modgen.package("stub", {
        "__init__.py": STUB_INIT,
        "io.py": "def read():\n    return 'read'\n",
        "models.py": "class Model:\n    pass\ndef fit():\n    return 'fitted'\n",
    })  # fmt: skip
    modgen.write(f"{name}/__init__.pyi", "from typing import Any\nimport numpy\nfrom . import io\n"
                                         "from .models import Model as Model, fit\nx: Any\n")  # fmt: skip
    pkg = importlib.import_module(name)
    assert pkg.__all__ == ["Model", "fit", "io"]
    assert modgen.executions(f"{name}.io") == 0 and modgen.executions(f"{name}.models") == 0
    assert pkg.fit() == "fitted" and pkg.io.read() == "read"
    assert modgen.executions(f"{name}.models") == 1
    with pytest.raises(AttributeError, match="Any"):
        pkg.Any  # noqa: B018  (a name the stub imports for its annotations is not lazy)


@pytest.mark.parametrize(("stub", "message"), [
    ("from .. import other\n", "not '..' imports"),
    ("from .models import *\n", "does not support star import 'from .models import \\*'"),
    ("from .models import fit as train\n", "cannot rename 'fit' to 'train'"),
    ("from {name}.models import fit\n", "write 'from .models import ...' \\(relative\\)"),
    ("from . import (\n", "cannot read the stub"),
])  # fmt: skip
def test_attach_stub_rejects_what_it_cannot_make_lazy_naming_the_line(
    stub: str, message: str, modgen: ModuleFactory
) -> None:
    name = modgen.package("badstub", {"__init__.py": "", "models.py": "def fit():\n    pass\n"})
    path = modgen.write(f"{name}/__init__.pyi", stub.format(name=name))
    with pytest.raises(LazyImportError, match=message) as info:
        attach_stub(name, str(path.with_suffix(".py")))
    assert str(path) in str(info.value)
    # a ValueError as well, as lazy_loader raises for the same stubs (ported code catches that)
    assert isinstance(info.value, ValueError) and isinstance(info.value, LazyDeclarationError)


def test_attach_stub_without_a_stub_names_the_missing_file(tmp_path: object) -> None:
    with pytest.raises(LazyDeclarationError, match=r"non-existent stub '.*nowhere/__init__.pyi'") as info:
        attach_stub("nowhere", "/nowhere/__init__.py")
    assert isinstance(info.value, ValueError)
