"""LazyLoader (module and callable forms), get_lazy_loader and lazy_function."""

from __future__ import annotations

import sys
import threading
import types
from typing import Any

import pytest

from codomyrmex.performance import LazyImportError, LazyLoader, get_lazy_loader, lazy_function
from codomyrmex.performance.lazy import LazyFunction
from tests.lazy._modgen import ModuleFactory


def test_module_loader_loads_on_demand_and_reports_it(modgen: ModuleFactory) -> None:
    name = modgen.module("ldr", "VALUE = 5\n")
    loader = LazyLoader(name)
    assert not loader.is_loaded()
    assert modgen.executions(name) == 0
    module = loader.load()
    assert isinstance(module, types.ModuleType) and module.VALUE == 5
    assert loader.is_loaded()
    assert loader.load() is module is sys.modules[name]
    assert modgen.executions(name) == 1


def test_module_loader_forwards_attributes_like_the_seed(modgen: ModuleFactory) -> None:
    name = modgen.module("fwd", "def twice(x):\n    return 2 * x\n")
    loader = LazyLoader(name)
    assert loader.twice(4) == 8
    assert loader.is_loaded()


def test_module_loader_relative_name_with_package(modgen: ModuleFactory) -> None:
    pkg = modgen.package("lp", {"__init__.py": "", "inner.py": "VALUE = 'inner'\n"})
    assert LazyLoader(".inner", pkg).load().VALUE == "inner"


def test_module_loader_failure_is_a_lazy_import_error_and_retries(modgen: ModuleFactory) -> None:
    name = modgen.module("lfail", "raise ValueError('bad')\n")
    loader = LazyLoader(name)
    with pytest.raises(LazyImportError, match=name):
        loader.load()
    assert not loader.is_loaded()
    modgen.write(f"{name}.py", "VALUE = 'now it works, with a longer body'\n")
    assert loader.load().VALUE == "now it works, with a longer body"


def test_callable_loader_runs_once_across_racing_threads() -> None:
    calls: list[int] = []
    gate = threading.Event()

    def build() -> dict[str, int]:
        calls.append(1)
        gate.wait(5)
        return {"answer": 42}

    loader = LazyLoader(loader=build)
    results: list[Any] = []
    threads = [threading.Thread(target=lambda: results.append(loader.load()["answer"])) for _ in range(6)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join()
    assert results == [42] * 6
    assert calls == [1]
    assert loader.is_loaded()


def test_callable_loader_propagates_errors_and_retries() -> None:
    attempts: list[int] = []

    def flaky() -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("first attempt fails")
        return "resource"

    loader = LazyLoader(loader=flaky)
    with pytest.raises(OSError, match="first attempt"):
        loader.load()
    assert not loader.is_loaded()
    assert loader.load() == "resource"
    assert len(attempts) == 2


def test_loader_arguments_are_validated() -> None:
    with pytest.raises(LazyImportError, match="neither"):
        LazyLoader()  # type: ignore[call-overload]
    with pytest.raises(LazyImportError, match="both"):
        LazyLoader("json", loader=dict)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="loader must be callable"):
        LazyLoader(loader=5)  # type: ignore[arg-type]
    with pytest.raises(LazyImportError, match="'not a name'"):
        LazyLoader("not a name")


def test_get_lazy_loader_returns_one_shared_loader_per_name(modgen: ModuleFactory) -> None:
    name = modgen.module("shared", "VALUE = 1\n")
    first = get_lazy_loader(name)
    assert get_lazy_loader(name) is first
    assert get_lazy_loader("json") is not first
    assert first.load().VALUE == 1
    assert get_lazy_loader(name).is_loaded()


def test_lazy_function_imports_on_first_call(modgen: ModuleFactory) -> None:
    name = modgen.module("fn", "def add(a, b):\n    return a + b\n")
    add = lazy_function(name, "add")
    assert modgen.executions(name) == 0
    assert "not resolved" in repr(add)
    assert add(2, 3) == 5
    assert add(4, b=5) == 9
    assert modgen.executions(name) == 1


def test_lazy_function_missing_attribute_names_it(modgen: ModuleFactory) -> None:
    name = modgen.module("fnmiss", "VALUE = 1\n")
    missing = lazy_function(name, "nothing_here")
    with pytest.raises(LazyImportError, match=f"{name}.nothing_here"):
        missing()


def test_lazy_function_arguments_are_validated() -> None:
    with pytest.raises(LazyImportError, match="'1abc'"):
        lazy_function("json", "1abc")
    with pytest.raises(TypeError):
        lazy_function(None, "dumps")  # type: ignore[arg-type]


def _factory() -> dict[str, str]:
    return {"built": "here"}


def test_lazy_function_and_loaders_pickle_and_deepcopy_as_what_they_stand_for(modgen: ModuleFactory) -> None:
    import copy
    import pickle

    name = modgen.module("pick", "def add(a, b):\n    return a + b\n")
    add = lazy_function(name, "add")
    for clone in (pickle.loads(pickle.dumps(add)), copy.deepcopy(add)):
        assert isinstance(clone, LazyFunction) and clone(2, 3) == 5
    assert modgen.executions(name) == 1  # the clones resolve the same module, imported once
    assert add(1, 1) == 2 and pickle.loads(pickle.dumps(add))(2, 2) == 4  # resolved ones too
    module_loader = pickle.loads(pickle.dumps(LazyLoader(name)))
    assert module_loader.name == name and module_loader.load().add(1, 2) == 3
    resource = copy.deepcopy(LazyLoader(loader=_factory))
    assert not resource.is_loaded() and resource.load() == {"built": "here"}
