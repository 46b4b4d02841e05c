"""Issue 12: the whole-program profile is complete. The recorder goes in before anything the
program imports (importtime/_bootstrap.py), interpreter start-up comes from ``-X importtime``,
so for the same program the module set equals the one ``python -X importtime`` reports."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from codomyrmex.performance.importtime import ImportProfile, parse_importtime
from tests.lazy._modgen import ModuleFactory

# ~12 standard-library modules, typing, re and enum among them (the missing three)
STDLIB_SCRIPT = """\
import argparse, collections, dataclasses, datetime, decimal, enum, functools, json, pathlib, re
import textwrap, typing
print("ran", len(typing.__all__) > 0)
"""


def _ours(args: list[str], tmp_path: Path) -> tuple[ImportProfile, subprocess.CompletedProcess[str]]:
    out = tmp_path / "profile.json"
    run = subprocess.run(
        [sys.executable, "-m", "codomyrmex.performance.importtime", "--json", "--output", str(out), *args],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    return ImportProfile.from_json(out.read_text()), run


def _x_importtime(args: list[str]) -> set[str]:
    run = subprocess.run([sys.executable, "-X", "importtime", *args], capture_output=True, text=True, timeout=300)
    return {r.module for r in parse_importtime(run.stderr).records}


def test_numpy_module_set_equals_python_x_importtime(tmp_path: Path) -> None:
    prof, run = _ours(["-c", "import numpy"], tmp_path)
    assert run.returncode == 0, run.stderr
    ours = {r.module for r in prof.records}
    reference = _x_importtime(["-c", "import numpy"])
    assert sorted(ours - reference) == [] and sorted(reference - ours) == []
    assert len(ours) > 100 and "numpy" in ours
    assert prof.profiler_modules == []


def test_stdlib_script_module_set_equals_python_x_importtime_typing_re_enum_included(tmp_path: Path) -> None:
    script = tmp_path / "stdlib_script.py"
    script.write_text(STDLIB_SCRIPT)
    prof, run = _ours([str(script)], tmp_path)
    assert run.stdout == "ran True\n"
    ours = {r.module for r in prof.records}
    assert sorted(ours ^ _x_importtime([str(script)])) == []
    assert {"typing", "re", "enum", "json", "argparse", "dataclasses"} <= ours
    typing_rec = prof.find("typing")
    assert typing_rec is not None and typing_rec.start_ns is not None  # recorded by the program run
    assert typing_rec.cumulative_ns > 0


def test_python_m_module_set_equals_python_x_importtime(tmp_path: Path) -> None:
    data = tmp_path / "one.json"
    data.write_text("[1]")
    args = ["-m", "json.tool", str(data)]
    prof, run = _ours(args, tmp_path)
    assert run.returncode == 0 and run.stdout.split() == ["[", "1", "]"]
    ours = {r.module for r in prof.records}
    assert sorted(ours ^ _x_importtime(args)) == []
    assert "runpy" in ours  # python -m imports it for the program too
    assert prof.profiler_modules == []


def test_cli_top_3_of_import_typing_reports_typing(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "codomyrmex.performance.cli", "importtime", "--top", "3", "--", "-c", "import typing"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    header = run.stdout.splitlines()[0]
    assert not header.startswith("0 imports")
    cumulative = run.stdout.split("Slowest 3 by cumulative time:")[1].split("\n\n")[0]
    assert "  typing\n" in cumulative + "\n"
    assert "the profiler itself loaded no module the program could import" in run.stdout


def test_report_lists_start_up_separately_and_program_records_carry_timestamps(tmp_path: Path) -> None:
    prof, _ = _ours(["-c", "import colorsys"], tmp_path)
    startup = [r for r in prof.records if r.start_ns is None]
    program = [r for r in prof.records if r.start_ns is not None]
    assert [r.module for r in program] == ["colorsys"]
    assert "site" in {r.module for r in startup}
    assert any("interpreter start-up" in note for note in prof.notes)


def test_lazy_first_use_in_a_profiled_program_is_marked_with_its_site(
    modgen: ModuleFactory, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import os

    target = modgen.module("lazytarget", "VALUE = 1\n", marked=False)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(modgen.root), os.environ.get("PYTHONPATH", "")]))
    code = textwrap.dedent(
        f"""
        from codomyrmex.performance import lazy_import
        t = lazy_import({target!r})
        t.VALUE
        """
    )
    prof, run = _ours(["-c", code], tmp_path)
    assert run.returncode == 0, run.stderr
    rec = prof.find(target)
    assert rec is not None and rec.trigger == "first_use" and rec.site == "<string>:4"


def test_the_one_difference_imports_through_importlib_import_module(tmp_path: Path) -> None:
    # -X importtime times only the import statement's C path; importlib.import_module goes
    # through importlib's Python code, which the recorder hooks too (README says so)
    args = ["-c", "import importlib; importlib.import_module('colorsys')"]
    prof, run = _ours(args, tmp_path)
    assert run.returncode == 0, run.stderr
    ours = {r.module for r in prof.records}
    assert sorted(ours - _x_importtime(args)) == ["colorsys"]
    assert sorted(_x_importtime(args) - ours) == []


def test_a_program_ending_with_os_exit_keeps_its_status_and_says_nothing_was_profiled(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "codomyrmex.performance.importtime", "-c", "import os; os._exit(3)"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 3
    assert "ended without writing its import records (exit status 3" in run.stderr
