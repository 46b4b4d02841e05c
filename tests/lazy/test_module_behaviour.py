"""Issue 12: before the load, anything that reads or writes the module's namespace loads it
first, so the proxy behaves as the module would after a plain ``import``.

Each reproducer runs against numpy (a real heavy package, in a fresh interpreter so that it is
not imported yet) and against small generated modules (in this process).
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap
import types
from unittest import mock

import pytest

from codomyrmex.performance import LazyImportError, attach, lazy_import
from codomyrmex.performance.errors import LazyDeclarationError, LazyModuleNotFoundError
from codomyrmex.performance.lazy import LazyModule
from tests.lazy._modgen import ModuleFactory


def _run(code: str) -> str:
    """Run ``code`` in a fresh interpreter and return its stdout (fails on a non-zero exit)."""
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


# -- numpy, in a fresh interpreter ------------------------------------------------------------


def test_numpy_mock_patch_object_sets_then_restores_numpy_sum() -> None:
    out = _run(
        """
        import sys
        from unittest import mock
        from codomyrmex.performance import lazy_import
        assert "numpy" not in sys.modules
        np = lazy_import("numpy")
        with mock.patch.object(np, "sum", return_value=99):
            inside = np.sum([1, 2])
        import numpy
        print(inside, np.sum([1, 2]), "sum" in vars(numpy), isinstance(numpy.sum, mock.Mock))
        """
    )
    assert out == "99 3 True False"


def test_json_placed_in_sys_modules_works_and_import_json_gets_it() -> None:
    out = _run(
        """
        import sys
        from codomyrmex.performance import lazy_import
        assert "json" not in sys.modules
        sys.modules["json"] = j = lazy_import("json")
        print(j.dumps([1]))
        import json
        print(json is j, json.loads("[2]"), type(j).__name__)
        """
    )
    assert out.splitlines() == ["[1]", "True [2] module"]


def test_numpy_dir_spec_dict_and_reload_before_first_use() -> None:
    out = _run(
        """
        import importlib, sys
        from codomyrmex.performance import lazy_import
        np = lazy_import("numpy")
        print("sum" in dir(np))
        print(np.__spec__.name, "ndarray" in np.__dict__)
        la = lazy_import("numpy.fft")
        print(importlib.reload(la) is la, la.__spec__.name)
        """
    )
    assert out.splitlines() == ["True", "numpy True", "True numpy.fft"]


def test_missing_module_is_a_module_not_found_error_with_name_and_both_sites() -> None:
    out = _run(
        """
        from codomyrmex.performance import LazyImportError, lazy_import
        torch = lazy_import("torch_is_not_installed_here")
        try:
            torch.zeros(3)
        except ModuleNotFoundError as exc:
            print(type(exc).__name__, isinstance(exc, LazyImportError), exc.name)
            print("declared at <string>:3" in str(exc), "first used at <string>:5" in str(exc))
        """
    )
    assert out.splitlines() == ["LazyModuleNotFoundError True torch_is_not_installed_here", "True True"]


# -- generated modules, in this process -------------------------------------------------------


def test_dir_loads_and_lists_the_module_names(modgen: ModuleFactory) -> None:
    name = modgen.module("dir", "VALUE = 1\ndef fn():\n    pass\n")
    proxy = lazy_import(name)
    names = dir(proxy)
    assert "VALUE" in names and "fn" in names and "__lazy_state__" not in names
    assert modgen.executions(name) == 1
    assert sys.modules[name] is proxy and type(proxy) is types.ModuleType


def test_spec_and_dict_load_first(modgen: ModuleFactory) -> None:
    name = modgen.module("spec", "VALUE = 1\n")
    proxy = lazy_import(name)
    assert proxy.__spec__ is not None and proxy.__spec__.name == name
    assert modgen.executions(name) == 1
    other = modgen.module("dict", "VALUE = 2\n")
    proxy2 = lazy_import(other)
    assert vars(proxy2)["VALUE"] == 2
    assert proxy2.__dict__ is vars(sys.modules[other])
    assert modgen.executions(other) == 1


def test_setattr_before_the_load_is_kept_and_delattr_deletes_from_the_module(modgen: ModuleFactory) -> None:
    name = modgen.module("set", "VALUE = 'from the body'\nOTHER = 1\n")
    proxy = lazy_import(name)
    proxy.VALUE = "set before the first use"
    assert modgen.executions(name) == 1
    assert proxy.VALUE == "set before the first use"
    assert sys.modules[name].VALUE == "set before the first use"
    name2 = modgen.module("del", "VALUE = 1\nOTHER = 2\n")
    proxy2 = lazy_import(name2)
    del proxy2.OTHER
    assert not hasattr(sys.modules[name2], "OTHER") and sys.modules[name2].VALUE == 1


def test_mock_patch_object_on_an_unloaded_proxy_restores_the_attribute(modgen: ModuleFactory) -> None:
    name = modgen.module("patched", "def total(xs):\n    return sum(xs)\n")
    proxy = lazy_import(name)
    with mock.patch.object(proxy, "total", return_value=99):
        assert proxy.total([1, 2]) == 99
    assert proxy.total([1, 2]) == 3
    assert sys.modules[name].total([1, 2]) == 3
    assert modgen.executions(name) == 1


def test_reload_before_the_first_use_imports_then_reloads(modgen: ModuleFactory) -> None:
    name = modgen.module("reload", "VALUE = 1\n")
    proxy = lazy_import(name)
    assert importlib.reload(proxy) is proxy
    assert proxy.VALUE == 1
    assert modgen.executions(name) == 2  # the load, then the reload (as import + reload)


def test_placed_in_sys_modules_loads_in_place_and_import_returns_it(modgen: ModuleFactory) -> None:
    name = modgen.module("placed", "VALUE = 'v'\n")
    sys.modules[name] = proxy = lazy_import(name)
    assert modgen.executions(name) == 0
    # `import` reads the module's __spec__ (is it still initialising?), which loads it
    imported = importlib.import_module(name)
    assert imported is proxy and modgen.executions(name) == 1
    assert proxy.VALUE == "v"
    assert sys.modules[name] is proxy and type(proxy) is types.ModuleType
    assert modgen.executions(name) == 1


def test_placed_proxy_that_fails_stays_placed_for_the_retry(modgen: ModuleFactory) -> None:
    name = modgen.module("placed_fail", "import gen_missing_dependency_xyz\n", marked=False)
    sys.modules[name] = proxy = lazy_import(name)
    with pytest.raises(ModuleNotFoundError) as info:
        proxy.VALUE  # noqa: B018
    assert info.value.name == "gen_missing_dependency_xyz"  # the missing module, as import says
    assert isinstance(info.value, LazyModuleNotFoundError)
    assert sys.modules[name] is proxy and isinstance(proxy, LazyModule)
    modgen.write(f"{name}.py", "VALUE = 'fixed'\n")
    assert proxy.VALUE == "fixed"
    assert sys.modules[name] is proxy


def test_name_and_class_and_repr_do_not_load(modgen: ModuleFactory) -> None:
    name = modgen.module("quiet", "VALUE = 1\n")
    proxy = lazy_import(name)
    assert proxy.__name__ == name and proxy.__class__ is LazyModule and "not loaded" in repr(proxy)
    assert proxy == proxy and hash(proxy) == hash(proxy)
    assert modgen.executions(name) == 0


def test_missing_generated_module_caught_as_module_not_found(modgen: ModuleFactory) -> None:
    proxy = lazy_import(f"{modgen.prefix}_never_written")
    with pytest.raises(ModuleNotFoundError) as info:
        proxy.VALUE  # noqa: B018
    assert isinstance(info.value, LazyImportError)
    assert info.value.name == f"{modgen.prefix}_never_written"
    with pytest.raises(LazyModuleNotFoundError):
        lazy_import(f"{modgen.prefix}_never_written", check=True)


def test_attach_missing_submodule_is_a_module_not_found_error(modgen: ModuleFactory) -> None:
    getattr_, dir_, all_ = attach("gen_pkg_without_modules", submodules=["nothere"])
    with pytest.raises(ModuleNotFoundError) as info:
        getattr_("nothere")
    assert isinstance(info.value, LazyImportError)
    assert dir_() == all_ == ["nothere"] and dir_() is not all_


def test_attach_function_named_like_its_submodule_stays_the_function(modgen: ModuleFactory) -> None:
    init = (
        "from codomyrmex.performance import attach\n"
        "__getattr__, __dir__, __all__ = attach(__name__, submod_attrs={'some_func': ['some_func', 'aux_func']})\n"
    )
    body = "def some_func():\n    return 'f'\ndef aux_func():\n    return 'aux'\n"
    pkg = modgen.package("shadow", {"__init__.py": init, "some_func.py": body})
    package = importlib.import_module(pkg)
    assert package.aux_func() == "aux"  # imports the submodule, which import binds on the package
    assert isinstance(package.some_func, types.FunctionType)
    assert package.some_func() == "f"
    assert dir(package) == ["aux_func", "some_func"]


# -- require= ---------------------------------------------------------------------------------


def test_require_met_loads_as_usual() -> None:
    np = lazy_import("numpy", require="numpy>=1.26")
    assert np.add(1, 2) == 3


def test_require_not_met_fails_on_use_or_at_once_with_check() -> None:
    proxy = lazy_import("numpy", require="numpy>=999")
    with pytest.raises(ModuleNotFoundError) as info:
        proxy.add  # noqa: B018
    message = str(info.value)
    assert "requirement 'numpy>=999' is not met: numpy " in message and "is installed" in message
    assert "declared at " in message and "first used at " in message
    with pytest.raises(LazyModuleNotFoundError, match="numpy>=999"):
        lazy_import("numpy", require="numpy>=999", check=True)


def test_require_uses_importlib_metadata_version_like_lazy_loader() -> None:
    with mock.patch("importlib.metadata.version", return_value="1.0.0"):
        assert isinstance(lazy_import("json", require="somepkg >= 2.0"), LazyModule)
        assert lazy_import("json", require="somepkg >= 1.0").dumps(1) == "1"


@pytest.mark.parametrize(
    ("require", "message"),
    [
        ("no-such-distribution-xyz>=1", "no distribution named 'no-such-distribution-xyz' is installed"),
        ("numpy >= one", "'one' is not a PEP 440 version"),
        ("numpy >=", "'>=' is not a clause like '>=1.26'"),
        ("numpy; python_version>'3'", "markers and URLs are not supported"),
    ],
)
def test_require_that_cannot_be_checked_is_a_value_error(require: str, message: str) -> None:
    with pytest.raises(LazyDeclarationError, match=message) as info:
        lazy_import("json", require=require)
    assert isinstance(info.value, ValueError)


def test_version_comparison_agrees_with_packaging() -> None:
    from packaging.specifiers import SpecifierSet

    from codomyrmex.performance.lazy._require import satisfies

    versions = ["0.9", "1.0.dev0", "1.0a1", "1.0b2.dev3", "1.0rc1", "1.0", "1.0.0", "1.0.post1",
                "1.0.post1.dev2", "1.0.1", "1.1", "1.4.5", "1.4.7", "1.5", "2.0rc1", "2.0", "2.0.5",
                "2.1", "10.0", "1!0.5", "1.0+abc"]  # fmt: skip
    specs = ["==1.0", "!=1.0", ">=1.4.5", "<=2.0", ">1.0", "<2.0", "<1.0.post1", ">1.0rc1", "~=1.4.5",
             "~=1.4", "==2.0.*", "!=1.*", "<1.0.dev0", ">=1.0,<2.0"]  # fmt: skip
    checked = 0
    for v in versions:
        for spec in specs:
            assert satisfies(v, spec) is SpecifierSet(spec).contains(v, prereleases=True), (v, spec)
            checked += 1
    assert checked == len(versions) * len(specs)


def test_first_use_of_numpy_from_100_racing_threads() -> None:
    out = _run(
        """
        import threading
        from codomyrmex.performance import lazy_import
        np = lazy_import("numpy")
        barrier = threading.Barrier(100)
        results = []
        def use():
            barrier.wait()
            results.append(int(np.add(1, 2)))
        threads = [threading.Thread(target=use) for _ in range(100)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        print(len(results), set(results))
        """
    )
    assert out == "100 {3}"
