"""The import recorder on generated modules, real threads and a real heavy package."""

from __future__ import annotations

import importlib
import importlib._bootstrap as bootstrap
import json
import subprocess
import sys
import threading
import time
from typing import Any

import pytest

from codomyrmex.performance import profile_imports
from codomyrmex.performance.errors import ConfigurationError
from codomyrmex.performance.importtime import (
    ImportProfile,
    export_spans,
    install,
    is_active,
    package_times,
    parse_importtime,
    record_metrics,
    render_text,
)
from tests.lazy._modgen import ModuleFactory


def _tree_package(modgen: ModuleFactory) -> str:
    return modgen.package("tree", {
        "__init__.py": "from . import a\n",
        "a.py": "from . import b\nimport time\n_t = time.perf_counter()\nwhile time.perf_counter() - _t < 0.005:\n    pass\n",
        "b.py": "VALUE = 1\n",
    })  # fmt: skip


def test_records_nest_like_the_import_tree_with_self_and_cumulative_times(modgen: ModuleFactory) -> None:
    pkg = _tree_package(modgen)
    before = time.time_ns()
    with profile_imports() as prof:
        importlib.import_module(pkg)
    after = time.time_ns()
    root, a, b = (prof.find(n) for n in (pkg, f"{pkg}.a", f"{pkg}.b"))
    assert root is not None and a is not None and b is not None
    assert root.parent is None and a.parent is root and b.parent is a
    assert root.children == [a] and a.children == [b]
    assert [r.module for r in prof.walk([root])] == [pkg, f"{pkg}.a", f"{pkg}.b"]
    for rec in (root, a, b):
        assert rec.ok and rec.complete and rec.trigger == "startup"
        assert rec.thread_id == threading.get_ident() and rec.thread_name == "MainThread"
        assert 0 <= rec.self_ns <= rec.cumulative_ns
        assert before <= (rec.start_time_ns or 0) <= (rec.end_time_ns or 0) <= after
        assert (rec.end_time_ns or 0) - (rec.start_time_ns or 0) == rec.cumulative_ns
    # nested intervals on the one monotonic clock: each import lies inside its parent's
    assert (root.start_ns or 0) <= (a.start_ns or 0) <= (b.start_ns or 0)
    assert (b.end_ns or 0) <= (a.end_ns or 0) <= (root.end_ns or 0)
    assert a.self_ns == a.cumulative_ns - b.cumulative_ns
    assert a.self_ns >= 5_000_000  # the busy loop runs in a's own body
    assert root.cumulative_ns >= a.cumulative_ns + root.self_ns - 1
    # ranked by self time, whichever is largest: on a loaded machine a preemption in root's or
    # b's own part can outlast a's 5 ms loop, so which one is first is not asserted
    assert prof.slowest(3, by="self") == sorted((root, a, b), key=lambda r: r.self_ns, reverse=True)


def test_imports_in_other_threads_are_recorded_with_their_thread(modgen: ModuleFactory) -> None:
    name = modgen.module("thr", "VALUE = 1\n")
    with profile_imports() as prof:
        t = threading.Thread(target=importlib.import_module, args=(name,), name="importer-thread")
        t.start()
        t.join()
    rec = prof.find(name)
    assert rec is not None and rec.thread_name == "importer-thread" and rec.thread_id == t.ident
    assert rec.parent is None


def test_failed_import_is_recorded_as_a_failure(modgen: ModuleFactory) -> None:
    name = modgen.module("broken", "raise RuntimeError('broken body')\n")
    with profile_imports() as prof, pytest.raises(RuntimeError):
        importlib.import_module(name)
    rec = prof.find(name)
    assert rec is not None and not rec.ok and "broken body" in (rec.error or "")
    missing = "definitely_not_a_module_rec"
    with profile_imports() as prof2, pytest.raises(ModuleNotFoundError):
        importlib.import_module(missing)
    rec2 = prof2.find(missing)
    assert rec2 is not None and rec2.error is not None and rec2.error.startswith("ModuleNotFoundError")


def test_import_module_of_an_already_imported_module_is_not_an_import(modgen: ModuleFactory) -> None:
    name = modgen.module("already", "X = 1\n")
    importlib.import_module(name)
    with profile_imports() as prof:
        importlib.import_module(name)
        importlib.import_module("json")
    assert prof.records == []


def test_hook_is_removed_when_the_last_profile_stops(modgen: ModuleFactory) -> None:
    original = bootstrap._find_and_load
    with profile_imports() as outer:
        with profile_imports() as inner:
            importlib.import_module(modgen.module("inner", "X = 1\n"))
        assert is_active()
        importlib.import_module(modgen.module("outer", "X = 1\n"))
    assert not is_active()
    assert bootstrap._find_and_load is original
    assert [r.module for r in inner.records] == [f"{modgen.prefix}_inner"]
    assert [r.module for r in outer.records] == [f"{modgen.prefix}_inner", f"{modgen.prefix}_outer"]


def test_profile_started_again_while_another_tool_still_wraps_the_hook_records_without_recursion(
    modgen: ModuleFactory,
) -> None:
    original = bootstrap._find_and_load
    with profile_imports():
        ours = bootstrap._find_and_load

        def other_tool(name: str, import_: object, _wrapped: object = ours) -> object:
            return _wrapped(name, import_)  # type: ignore[operator]

        bootstrap._find_and_load = other_tool  # installed after us: we cannot unhook at stop
    try:
        assert bootstrap._find_and_load is other_tool
        with profile_imports() as again:
            importlib.import_module(modgen.module("again", "X = 1\n"))
        assert [r.module for r in again.records] == [f"{modgen.prefix}_again"]
    finally:
        bootstrap._find_and_load = ours  # the other tool unwraps itself
    with profile_imports():
        pass
    assert bootstrap._find_and_load is original  # and the next stop removes our hook for good


def test_install_records_until_stopped(modgen: ModuleFactory) -> None:
    prof = install()
    try:
        importlib.import_module(modgen.module("inst", "X = 1\n"))
        assert prof.recording and prof.find(f"{modgen.prefix}_inst") is not None
    finally:
        prof.stop()
    importlib.import_module(modgen.module("after", "X = 1\n"))
    assert not prof.recording
    assert prof.find(f"{modgen.prefix}_after") is None


def test_json_round_trip_keeps_the_tree(modgen: ModuleFactory) -> None:
    pkg = _tree_package(modgen)
    with profile_imports() as prof:
        importlib.import_module(pkg)
    again = ImportProfile.from_json(prof.to_json())
    assert [(r.module, r.depth, r.self_ns, r.cumulative_ns, r.start_time_ns) for r in again.records] == [
        (r.module, r.depth, r.self_ns, r.cumulative_ns, r.start_time_ns) for r in prof.records
    ]
    with pytest.raises(ValueError, match="format"):
        ImportProfile.from_dict({"records": []})


def test_bad_arguments_are_rejected() -> None:
    prof = ImportProfile([])
    with pytest.raises(TypeError):
        prof.slowest("3")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'wall'"):
        prof.slowest(3, by="wall")
    with pytest.raises(ValueError, match="min_ms"):
        prof.report(min_ms=-1)


@pytest.mark.parametrize(("text", "message"), [
    ("garbage", "not a codomyrmex-importtime JSON document: Expecting value"),
    ('{"format": "codomyrmex-importtime", "records": [{"module": "a", "parent": 5}]}',
     "record 0 \\('a'\\) names parent 5, which is not an earlier record"),
    ('{"format": "codomyrmex-importtime", "records": [{"module": "a"}]}', "malformed .*KeyError: 'cumulative_ns'"),
])  # fmt: skip
def test_from_json_of_something_else_is_a_configuration_error_saying_what(text: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        ImportProfile.from_json(text)


@pytest.mark.parametrize("call", [export_spans, package_times, record_metrics, render_text])
def test_export_functions_name_a_profile_of_the_wrong_type(call: Any) -> None:
    with pytest.raises(TypeError, match=r"profile must be an ImportProfile .* got 'prof.json' \(str\)"):
        call("prof.json")


ACCURACY = """
import json
from codomyrmex.performance.importtime import profile_imports
with profile_imports() as prof:
    import numpy
print(json.dumps(prof.top_modules(10, under="numpy")))
"""


def test_top10_by_cumulative_time_agrees_with_python_x_importtime_on_numpy() -> None:
    """The same numpy import, measured by -X importtime and by the recorder in one process."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", ACCURACY],
                         capture_output=True, text=True, check=True)  # fmt: skip
    ours = json.loads(out.stdout)
    reference = parse_importtime(out.stderr)
    theirs = reference.top_modules(10, under="numpy")
    assert len(ours) == len(theirs) == 10
    shared = len(set(ours) & set(theirs))
    assert shared >= 8, (ours, theirs)
