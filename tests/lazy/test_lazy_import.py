"""lazy_import: real modules generated on disk, real threads, real stdlib packages."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
import threading
import types
from collections.abc import Callable
from typing import Any

import pytest

from codomyrmex.performance import LazyImportError, lazy_import
from codomyrmex.performance.lazy import LazyModule
from tests.lazy._modgen import ModuleFactory


class _CountingFinder:
    """A real meta-path finder that only counts lookups (and finds nothing itself)."""

    def __init__(self) -> None:
        self.lookups: list[str] = []

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        self.lookups.append(name)
        return None


def test_seed_form_torch_does_not_fail_until_used() -> None:
    assert importlib.util.find_spec("torch") is None  # the environment has no torch
    from codomyrmex.performance import LazyLoader, lazy_import

    torch = lazy_import("torch")  # only loaded when accessed
    assert isinstance(LazyLoader("torch"), LazyLoader)
    with pytest.raises(LazyImportError, match="torch"):
        torch.zeros(3)


def test_declaration_is_a_module_outside_sys_modules_and_looks_nothing_up(modgen: ModuleFactory) -> None:
    name = modgen.module("decl", "VALUE = 1\n")
    finder = _CountingFinder()
    sys.meta_path.insert(0, finder)
    try:
        proxy = lazy_import(name)
    finally:
        sys.meta_path.remove(finder)
    assert isinstance(proxy, types.ModuleType)
    assert name not in sys.modules
    assert finder.lookups == []
    assert modgen.executions(name) == 0


def test_first_attribute_access_imports_once_and_the_proxy_becomes_the_module(modgen: ModuleFactory) -> None:
    name = modgen.module("first", "VALUE = 41 + 1\n")
    proxy = lazy_import(name)
    assert proxy.VALUE == 42
    assert proxy.VALUE == 42
    assert modgen.executions(name) == 1
    assert sys.modules[name] is proxy
    assert type(proxy) is types.ModuleType
    assert proxy.__file__.endswith(f"{name}.py")


def test_no_module_level_getattr_or_state_left_in_the_real_module(modgen: ModuleFactory) -> None:
    name = modgen.module("clean", "VALUE = 1\n")
    proxy = lazy_import(name)
    assert proxy.VALUE == 1
    real = sys.modules[name]
    assert "__getattr__" not in real.__dict__
    assert "__lazy_state__" not in real.__dict__


def test_module_own_pep562_getattr_keeps_working(modgen: ModuleFactory) -> None:
    name = modgen.module("pep562", "def __getattr__(name):\n    return 'dyn:' + name\n")
    proxy = lazy_import(name)
    assert proxy.anything == "dyn:anything"


def test_racing_threads_run_the_body_once_and_all_get_the_attribute(modgen: ModuleFactory) -> None:
    name = modgen.module("slow", "import time\ntime.sleep(0.3)\nVALUE = 'ready'\n")
    proxy = lazy_import(name)
    n = 100  # the issue: thread-safe first access under 100 racing threads
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def worker(i: int) -> None:
        barrier.wait()
        try:
            results[i] = proxy.VALUE
        except BaseException as exc:  # report, don't hide, a failure in a thread
            results[i] = exc

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["ready"] * n
    assert modgen.executions(name) == 1


def _load_and_read_meanwhile(
    gate: Any, load: Callable[[], Any], read: Callable[[], Any], while_in_body: Callable[[], None] = lambda: None
) -> dict[str, Any]:
    """Run ``load`` in a thread until the module body stops at ``gate.in_body``, call
    ``while_in_body``, run ``read`` in a second thread, let the body finish (``gate.release``);
    each thread's outcome: its value, or the exception it raised (reported, not hidden)."""
    results: dict[str, Any] = {}

    def run(key: str, fn: Callable[[], Any]) -> None:
        try:
            results[key] = fn()
        except BaseException as exc:
            results[key] = exc

    loader = threading.Thread(target=run, args=("loader", load))
    loader.start()
    gate.in_body.wait()
    try:
        while_in_body()
        reader = threading.Thread(target=run, args=("reader", read))
        reader.start()
    finally:
        gate.release.set()  # never leave the loader blocked in the body
    loader.join()
    reader.join()
    return results


def test_another_thread_waits_for_a_load_in_progress_instead_of_reading_a_half_filled_module(
    modgen: ModuleFactory,
) -> None:
    gate = modgen.module("gate", "import threading\nin_body = threading.Event()\nrelease = threading.Event()\n")
    name = modgen.module("halfway", (
        f"import {gate} as gate\n"
        "def get():\n    return READY\n"  # defined before the global it returns
        "gate.in_body.set()\ngate.release.wait()\nREADY = 'ready'\n"
    ))  # fmt: skip
    g = importlib.import_module(gate)
    proxy = lazy_import(name)
    introspected: list[bool] = []

    def while_in_body() -> None:  # the body has defined get() but not READY
        introspected.append("not loaded" in repr(proxy) and "get" in dir(proxy))

    results = _load_and_read_meanwhile(g, lambda: proxy.READY, lambda: proxy.get(), while_in_body)
    assert introspected == [True]  # introspection never waits
    assert results == {"loader": "ready", "reader": "ready"}
    assert modgen.executions(name) == 1


def test_a_thread_waiting_for_a_failed_load_retries_it(modgen: ModuleFactory) -> None:
    gate = modgen.module("gate2", "import threading\nin_body = threading.Event()\nrelease = threading.Event()\nruns = []\n")
    name = modgen.module("failonce", (
        f"import {gate} as gate\ngate.runs.append(1)\nEARLY = 'early'\n"
        "if len(gate.runs) == 1:\n    gate.in_body.set()\n    gate.release.wait()\n    raise RuntimeError('first run fails')\n"
        "LATE = 'late'\n"
    ))  # fmt: skip
    g = importlib.import_module(gate)
    proxy = lazy_import(name)
    results = _load_and_read_meanwhile(g, lambda: proxy.LATE, lambda: proxy.EARLY)
    assert isinstance(results["loader"], LazyImportError) and "first run fails" in str(results["loader"])
    assert results["reader"] == "early"
    assert g.runs == [1, 1]  # the reader ran the body again: its value is from a complete load
    assert proxy.LATE == "late" and g.runs == [1, 1]


def test_repr_inspect_stack_and_isinstance_do_not_import(modgen: ModuleFactory) -> None:
    name = modgen.module("introspect", "VALUE = 1\n")
    proxy = lazy_import(name)

    def look(local_proxy: types.ModuleType) -> None:
        inspect.stack()
        assert isinstance(local_proxy, types.ModuleType)
        assert name in repr(local_proxy)
        assert not hasattr(local_proxy, "__wrapped__")
        assert local_proxy.__name__ == name
        assert local_proxy.__class__ is LazyModule

    look(proxy)
    assert modgen.executions(name) == 0
    assert name not in sys.modules
    assert "not loaded" in repr(proxy)


def test_copying_an_unloaded_proxy_fails_like_a_module_without_importing_it(modgen: ModuleFactory) -> None:
    import copy
    import pickle

    name = modgen.module("copied", "VALUE = 1\n")
    proxy = lazy_import(name)
    for attempt in (copy.copy, copy.deepcopy, pickle.dumps, lambda m: copy.deepcopy({"module": m})):
        with pytest.raises(TypeError, match="pickle"):  # as for any module object
            attempt(proxy)
    assert modgen.executions(name) == 0
    assert name not in sys.modules


def test_submodule_chain_of_a_real_package_is_bound_on_its_parent() -> None:
    minidom = lazy_import("xml.dom.minidom")
    doc = minidom.parseString("<root><a/></root>")
    assert doc.documentElement.tagName == "root"
    real = sys.modules["xml.dom.minidom"]
    assert sys.modules["xml.dom"].minidom is real
    assert minidom.parseString is real.parseString


def test_generated_package_submodule_is_bound_on_its_parent_and_parents_run_once(modgen: ModuleFactory) -> None:
    pkg = modgen.package("pkg", {"__init__.py": "", "sub/__init__.py": "", "sub/leaf.py": "VALUE = 'leaf'\n"})
    leaf = lazy_import(f"{pkg}.sub.leaf")
    assert pkg not in sys.modules
    assert leaf.VALUE == "leaf"
    assert sys.modules[f"{pkg}.sub"].leaf is leaf
    assert sys.modules[f"{pkg}.sub.leaf"] is leaf
    assert [modgen.executions(n) for n in (pkg, f"{pkg}.sub", f"{pkg}.sub.leaf")] == [1, 1, 1]


def test_relative_name_is_resolved_against_package(modgen: ModuleFactory) -> None:
    pkg = modgen.package("rel", {"__init__.py": "", "child.py": "VALUE = 7\n"})
    child = lazy_import(".child", package=pkg)
    assert child.VALUE == 7
    assert child.__name__ == f"{pkg}.child"


def test_failed_import_names_module_declaration_and_first_use_then_retries(modgen: ModuleFactory) -> None:
    name = modgen.module("fails", "raise RuntimeError('boom at import')\n")
    here = inspect.currentframe()
    base = here.f_lineno if here is not None else 0
    proxy = lazy_import(name)  # base + 1
    with pytest.raises(LazyImportError) as info:
        proxy.VALUE  # base + 3  # noqa: B018
    declared_line, used_line = base + 1, base + 3
    message = str(info.value)
    assert isinstance(info.value, ImportError)
    assert name in message and "boom at import" in message
    assert f"{__file__}:{declared_line}" in message
    assert f"{__file__}:{used_line}" in message
    assert isinstance(info.value.__cause__, RuntimeError)
    assert name not in sys.modules
    # Fix the module on disk: the next use retries and succeeds.
    modgen.write(f"{name}.py", modgen.mark(name) + "VALUE = 'fixed and longer than before'\n")
    assert proxy.VALUE == "fixed and longer than before"
    assert modgen.executions(name) == 2


def test_module_blocked_with_none_in_sys_modules_fails_like_import_then_loads_once_unblocked(
    modgen: ModuleFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = modgen.module("blocked", "VALUE = 1\n")
    proxy = lazy_import(name)
    monkeypatch.setitem(sys.modules, name, None)  # the usual way to simulate a missing module
    with pytest.raises(LazyImportError, match=f"import of {name} halted; None in sys.modules"):
        proxy.VALUE  # noqa: B018
    assert modgen.executions(name) == 0
    monkeypatch.delitem(sys.modules, name)
    assert proxy.VALUE == 1  # the failure was not remembered: the next use retries


def test_submodule_of_a_parent_blocked_with_none_fails_like_import(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "xml.dom", None)
    monkeypatch.delitem(sys.modules, "xml.dom.minidom", raising=False)
    with pytest.raises(LazyImportError, match="xml.dom"):
        lazy_import("xml.dom.minidom").parseString  # noqa: B018


def test_check_true_raises_at_declaration_for_a_missing_module() -> None:
    with pytest.raises(LazyImportError, match="definitely_missing_mod_xyz"):
        lazy_import("definitely_missing_mod_xyz", check=True)


def test_check_true_finds_a_submodule_without_executing_anything(modgen: ModuleFactory) -> None:
    pkg = modgen.package("chk", {"__init__.py": "", "leaf.py": "VALUE = 1\n"})
    proxy = lazy_import(f"{pkg}.leaf", check=True)
    assert modgen.executions(pkg) == 0 and modgen.executions(f"{pkg}.leaf") == 0
    with pytest.raises(LazyImportError, match="nope"):
        lazy_import(f"{pkg}.nope", check=True)
    assert modgen.executions(pkg) == 0
    assert proxy.VALUE == 1


def test_a_module_imported_before_the_declaration_is_returned_as_it_is(modgen: ModuleFactory) -> None:
    dep = modgen.module("early", "VALUE = 'dep'\n")
    real = importlib.import_module(dep)
    assert lazy_import(dep) is real  # nothing to defer (lazy_loader.load does the same)
    assert modgen.executions(dep) == 1


def test_module_imported_after_the_declaration_is_aliased_and_the_declaring_global_rebound(
    modgen: ModuleFactory,
) -> None:
    dep = modgen.module("dep", "VALUE = 'dep'\n")
    user = modgen.module(
        "user",
        f"from codomyrmex.performance import lazy_import\ndep = lazy_import({dep!r})\n"
        "def use():\n    return dep.VALUE\n",
    )
    user_module = importlib.import_module(user)
    proxy = user_module.dep
    importlib.import_module(dep)
    assert proxy is not sys.modules[dep]
    assert user_module.use() == "dep"
    assert user_module.dep is sys.modules[dep]  # rebound to the real module
    assert proxy.VALUE == "dep"  # other references to the proxy keep working
    proxy.EXTRA = 1  # writes go through to the real module
    assert sys.modules[dep].EXTRA == 1
    sys.modules[dep].LATER = 5  # names the real module gains later are seen through the proxy
    assert proxy.LATER == 5
    assert "__getattr__" not in sys.modules[dep].__dict__
    assert modgen.executions(dep) == 1


@pytest.mark.parametrize(
    ("args", "kwargs", "error"),
    [
        (("",), {}, LazyImportError),
        ((3,), {}, TypeError),
        ((".child",), {}, LazyImportError),
        (("a..b",), {}, LazyImportError),
        (("has space",), {}, LazyImportError),
        (("x",), {"package": ""}, LazyImportError),
        (("json",), {"check": "no"}, TypeError),
    ],
)
def test_bad_arguments_are_rejected_with_a_clear_error(args: tuple[Any, ...], kwargs: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error) as info:
        lazy_import(*args, **kwargs)
    assert repr(args[0]) in str(info.value) or any(f"{k} must" in str(info.value) for k in kwargs)


def test_lazy_module_class_is_exported_and_unloaded_proxy_is_one() -> None:
    proxy = lazy_import("json")
    assert isinstance(proxy, LazyModule) or type(proxy) is types.ModuleType


def test_pytest_collecting_a_module_with_a_lazy_global_does_not_import_it(modgen: ModuleFactory) -> None:
    import os
    import subprocess

    target = modgen.module("collected", "VALUE = 1\n")
    test_file = modgen.write(
        f"test_{modgen.prefix}.py",
        f"from codomyrmex.performance import lazy_import\nheavy = lazy_import({target!r})\n"
        "def test_passes():\n    assert True\n",
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(modgen.root), os.environ.get("PYTHONPATH", "")]))
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
        capture_output=True, text=True, env=env, cwd=modgen.root,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert modgen.executions(target) == 0


def test_cross_thread_import_cycle_through_a_proxy_ends_without_hanging(modgen: ModuleFactory) -> None:
    """A loads X lazily, X imports Y; B imports Y, Y needs a name X defines after importing Y.
    importlib's deadlock detection sees the cycle because the lazy load holds the module's
    own import lock: one side fails with an error instead of both waiting forever."""
    holder = modgen.module("holder", "import threading\nstarted = threading.Event()\nin_y = threading.Event()\npx = None\n")
    x = modgen.module(
        "cx", f"import {holder} as h\nh.started.set()\nh.in_y.wait()\nimport {modgen.prefix}_cy\nLATER = 'x'\n"
    )
    modgen.module("cy", f"import {holder} as h\nh.started.wait()\nh.in_y.set()\nRESULT = h.px.LATER\n")
    h = importlib.import_module(holder)
    h.px = lazy_import(x)
    outcomes: dict[str, Any] = {}

    def run(key: str, fn: Any) -> None:
        try:
            outcomes[key] = fn()
        except Exception as exc:
            outcomes[key] = exc

    a = threading.Thread(target=run, args=("a", lambda: h.px.LATER))
    b = threading.Thread(target=run, args=("b", lambda: importlib.import_module(f"{modgen.prefix}_cy").RESULT))
    a.start()
    h.started.wait()
    b.start()
    a.join()
    b.join()
    # Both threads came back. Usually both get the value (the import system hands the
    # importing thread the unfinished module); if the scheduler lets the other side detect the
    # cycle first, that side sees X unfinished, as with import (next test) - never a hang.
    assert set(outcomes) == {"a", "b"}
    for value in outcomes.values():
        assert value == "x" or isinstance(value, ImportError) or "circular import" in str(value), value


def test_other_side_of_a_cross_thread_cycle_gets_the_unfinished_module_as_with_import(modgen: ModuleFactory) -> None:
    """As above, but B reaches the proxy only once A is blocked on B's import of Y: waiting
    would deadlock, so B sees X unfinished (an AttributeError naming the circular import, as a
    plain `import X` in B would give), not an error from importlib's internals."""
    holder = modgen.module("holder2", (
        "import importlib._bootstrap as bootstrap, threading, time\n"
        "started = threading.Event()\nin_y = threading.Event()\npx = None\na_thread = None\n"
        "def wait_until_a_blocks():\n"
        "    while not bootstrap._blocking_on.get(a_thread):\n        time.sleep(0.001)\n"
    ))  # fmt: skip
    x = modgen.module(
        "cx2", f"import {holder} as h\nh.started.set()\nh.in_y.wait()\nimport {modgen.prefix}_cy2\nLATER = 'x'\n"
    )
    modgen.module("cy2", f"import {holder} as h\nh.started.wait()\nh.in_y.set()\nh.wait_until_a_blocks()\nRESULT = h.px.LATER\n")
    h = importlib.import_module(holder)
    h.px = lazy_import(x)
    outcomes: dict[str, Any] = {}

    def run(key: str, fn: Any) -> None:
        if key == "a":
            h.a_thread = threading.get_ident()
        try:
            outcomes[key] = fn()
        except Exception as exc:
            outcomes[key] = exc

    a = threading.Thread(target=run, args=("a", lambda: h.px.LATER))
    b = threading.Thread(target=run, args=("b", lambda: importlib.import_module(f"{modgen.prefix}_cy2").RESULT))
    a.start()
    h.started.wait()
    b.start()
    a.join()
    b.join()
    assert outcomes["a"] == "x"
    assert type(outcomes["b"]) is AttributeError, outcomes["b"]
    assert f"partially initialized module {x!r} has no attribute 'LATER'" in str(outcomes["b"])


def _alias_of_imported(modgen: ModuleFactory, suffix: str) -> tuple[types.ModuleType, types.ModuleType]:
    """(real module, loaded proxy held only by the caller) for a module imported before."""
    name = modgen.module(suffix, "VALUE = 'original'\ndef fn():\n    return 'original fn'\n")
    proxy = lazy_import(name)
    real = importlib.import_module(name)  # imported elsewhere between declaration and first use
    assert proxy.VALUE == "original"  # loads: the proxy becomes an alias of `real`
    assert proxy is not real
    return real, proxy


def test_held_alias_proxy_sees_later_monkeypatching_of_the_real_module(
    modgen: ModuleFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from unittest import mock

    real, proxy = _alias_of_imported(modgen, "held_patch")
    holder = {"mod": proxy}

    class Holder:
        mod = proxy

    monkeypatch.setattr(real, "VALUE", "patched")
    assert holder["mod"].VALUE == "patched"
    assert Holder.mod.VALUE == "patched"
    with mock.patch(f"{real.__name__}.fn", return_value="mocked"):
        assert holder["mod"].fn() == "mocked"
    assert holder["mod"].fn() == "original fn"
    real.ADDED_LATER = 3
    assert holder["mod"].ADDED_LATER == 3
    del real.ADDED_LATER
    assert not hasattr(holder["mod"], "ADDED_LATER")


def test_from_import_of_a_loaded_alias_proxy_follows_the_real_module(modgen: ModuleFactory) -> None:
    dep = modgen.module("fromdep", "VALUE = 'before'\n")
    utils = modgen.module("fromutils", f"from codomyrmex.performance import lazy_import\ndep = lazy_import({dep!r})\n")
    user = modgen.module("fromuser", f"from {utils} import dep\ndef read():\n    return dep.VALUE\n")
    user_module = importlib.import_module(user)  # holds the proxy, declared in another module
    importlib.import_module(dep)  # imported elsewhere before the first use
    # First use from here: neither the declaring module nor this test names the proxy in its
    # globals, so the user module keeps holding the proxy itself.
    assert user_module.dep.VALUE == "before"
    assert type(user_module.dep) is not types.ModuleType
    sys.modules[dep].VALUE = "after"
    assert user_module.read() == "after"


def test_writes_and_deletes_through_a_held_alias_proxy_reach_the_real_module(modgen: ModuleFactory) -> None:
    real, proxy = _alias_of_imported(modgen, "held_write")
    proxy.VALUE = "written through the proxy"
    proxy.NEW = 1
    assert real.VALUE == "written through the proxy" and real.NEW == 1
    del proxy.NEW
    assert not hasattr(real, "NEW")
    with pytest.raises(AttributeError):
        del proxy.NEVER_THERE


def test_alias_proxy_shows_the_real_namespace_without_a_copy(modgen: ModuleFactory) -> None:
    real, proxy = _alias_of_imported(modgen, "held_ns")
    assert vars(proxy) is vars(real)
    assert "fn" in dir(proxy)
    assert repr(proxy) == repr(real)
    assert isinstance(proxy, types.ModuleType)
    assert "__getattr__" not in vars(real) and "__lazy_state__" not in vars(real)
    with pytest.raises(AttributeError, match="MISSING"):
        proxy.MISSING  # noqa: B018
