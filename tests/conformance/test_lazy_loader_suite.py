"""lazy_loader's own test suite (tests/test_lazy_loader.py from its sdist, fetched at test time)
run against lazy_import/attach/attach_stub through tests/conformance/lazy_loader_adapter.py.

Everything passes except the entries of ``SKIPS["lazy_loader"]`` (tests/conformance/skips.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.conformance._sdist import fetch_sdist
from tests.conformance.skips import SKIPS

HERE = Path(__file__).parent

# Applies the skip table inside the suite's own pytest run (written next to the fetched tests).
CONFTEST = '''
import json, os
import pytest

import lazy_loader

# the suite must exercise the adapter, not the installed lazy_loader
assert lazy_loader.__version__ == "adapter", lazy_loader.__file__
SKIPS = json.loads(os.environ["CONFORMANCE_SKIPS"])

def pytest_collection_modifyitems(items):
    for item in items:
        reason = SKIPS.get(item.name) or SKIPS.get(item.originalname)
        if reason:
            item.add_marker(pytest.mark.skip(reason="conformance skip table: " + reason))
'''


def _outcomes(junit: Path) -> dict[str, str]:
    outcomes: dict[str, str] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        kinds = {child.tag for child in case} & {"failure", "error", "skipped"}
        outcomes[case.attrib["name"]] = kinds.pop() if kinds else "passed"
    return outcomes


def test_lazy_loader_suite_passes_apart_from_the_skip_table(tmp_path: Path) -> None:
    top = fetch_sdist("lazy_loader", tmp_path / "sdist")
    suite = tmp_path / "suite"
    shutil.copytree(top / "tests", suite / "tests")
    shutil.copy(HERE / "lazy_loader_adapter.py", suite / "lazy_loader.py")
    (suite / "conftest.py").write_text(CONFTEST)
    (suite / "pytest.ini").write_text("[pytest]\n")  # the suite's own defaults, not ours
    skips = SKIPS["lazy_loader"]
    # the adapter first; the rest of PYTHONPATH kept (an uninstalled checkout runs from it)
    pythonpath = os.pathsep.join(p for p in (str(suite), os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "PYTHONPATH": pythonpath, "CONFORMANCE_SKIPS": json.dumps(skips)}
    env.pop("CODOMYRMEX_PERF_EAGER_IMPORTS", None)
    junit = tmp_path / "junit.xml"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rs",
         "tests/test_lazy_loader.py", f"--junitxml={junit}"],
        cwd=suite, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    outcomes = _outcomes(junit)
    print(run.stdout[-3000:])
    failed = {name: kind for name, kind in outcomes.items() if kind in ("failure", "error")}
    assert failed == {}, run.stdout[-5000:]
    skipped = {name for name, kind in outcomes.items() if kind == "skipped"}
    expected = {name for name in outcomes if name in skips or name.split("[")[0] in skips}
    assert skipped == expected
    # a stale entry (a test the suite no longer has) is an error in the table
    assert {key for key in skips if not any(n == key or n.split("[")[0] == key for n in outcomes)} == set()
    passed = sum(kind == "passed" for kind in outcomes.values())
    assert passed == len(outcomes) - len(skipped) and passed >= 17
    print(f"lazy_loader suite: {len(outcomes)} run, {passed} passed, {len(skipped)} skipped")
    assert run.returncode == 0
