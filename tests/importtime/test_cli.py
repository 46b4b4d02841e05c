"""`codomyrmex-perf importtime` and `python -m codomyrmex.performance.importtime`."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import codomyrmex.performance.importtime as importtime
from codomyrmex.performance.cli import main
from tests.importtime.test_parse import SAMPLE
from tests.lazy._modgen import ModuleFactory


@pytest.fixture
def pythonpath(modgen: ModuleFactory, monkeypatch: pytest.MonkeyPatch) -> ModuleFactory:
    """Generated modules visible to child interpreters too."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(modgen.root), os.environ.get("PYTHONPATH", "")]))
    return modgen


def _pkg(modgen: ModuleFactory) -> str:
    return modgen.package("cli", {"__init__.py": "from . import part\n", "part.py": "X = 1\n"})


def test_cli_runs_a_program_and_prints_slowest_and_tree(pythonpath: ModuleFactory, capsys: pytest.CaptureFixture[str]) -> None:
    pkg = _pkg(pythonpath)
    assert main(["importtime", "--top", "3", "--tree", "--", "-c", f"import {pkg}"]) == 0
    out = capsys.readouterr().out
    assert "Slowest 3 by cumulative time:" in out and "Import tree" in out
    tree = out.split("Import tree")[1]
    assert f"  {pkg}\n" in tree and f"    {pkg}.part" in tree


def test_cli_json_output_is_a_loadable_profile(pythonpath: ModuleFactory, capsys: pytest.CaptureFixture[str]) -> None:
    pkg = _pkg(pythonpath)
    assert main(["importtime", "--json", "--", "-c", f"import {pkg}"]) == 0
    prof = importtime.ImportProfile.from_json(capsys.readouterr().out)
    part = prof.find(f"{pkg}.part")
    assert part is not None and part.parent is prof.find(pkg)


def test_cli_propagates_the_program_exit_code(pythonpath: ModuleFactory, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["importtime", "--", "-c", "import sys; sys.exit(3)"]) == 3


def test_cli_reads_x_importtime_output_from_a_file_and_stdin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    f = tmp_path / "it.txt"
    f.write_text(SAMPLE)
    assert main(["importtime", "--from-file", str(f), "--top", "1"]) == 0
    from_file = capsys.readouterr().out
    assert "7 imports" in from_file and "re\n" in from_file
    monkeypatch.setattr(sys, "stdin", io.StringIO(SAMPLE))
    assert main(["importtime", "--from-file", "-", "--top", "1"]) == 0
    assert capsys.readouterr().out == from_file


@pytest.mark.parametrize("argv", [
    ["importtime"], ["importtime", "--top", "0", "--", "-c", "pass"],
    ["importtime", "--min-ms", "-1", "--from-file", "x"],
    ["importtime", "--min-ms", "nan", "--", "-c", "pass"], ["importtime", "--min-ms", "inf", "--", "-c", "pass"],
    ["importtime", "--from-file", "x", "--", "-c", "pass"],
    ["importtime", "--from-file", "/nonexistent/file"],
])  # fmt: skip
def test_cli_bad_usage_exits_2_with_a_message(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert "codomyrmex-perf importtime:" in capsys.readouterr().err


def test_cli_from_file_that_is_not_text_exits_2_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "it.bin"
    f.write_bytes(b"\xff\xfe\x00binary")
    assert main(["importtime", "--from-file", str(f)]) == 2
    assert f"cannot read --from-file {str(f)!r}: 'utf-8' codec can't decode" in capsys.readouterr().err


@pytest.mark.parametrize(("content", "message"), [
    ("hello\nno rows here\n", "holds no `python -X importtime` rows"),
    ("import time:   12 | 12 | a\nimport time: oops\n", "line 2 of the -X importtime output"),
])  # fmt: skip
def test_cli_from_file_without_valid_rows_exits_2_saying_why(
    content: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "it.txt"
    f.write_text(content)
    assert main(["importtime", "--from-file", str(f)]) == 2
    err = capsys.readouterr().err
    assert "codomyrmex-perf importtime: --from-file" in err and message in err


def test_python_m_runs_a_module_and_a_script(pythonpath: ModuleFactory, tmp_path: Path) -> None:
    pkg = _pkg(pythonpath)
    main_mod = pythonpath.module("main", f"import {pkg}\nimport sys\nprint('args', sys.argv[1:])\n")
    out = tmp_path / "p.json"
    run = subprocess.run(
        [sys.executable, "-m", "codomyrmex.performance.importtime", "--json", "--output", str(out),
         "-m", main_mod, "a1", "a2"], capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "args ['a1', 'a2']" in run.stdout
    prof = importtime.ImportProfile.from_json(out.read_text())
    assert prof.find(pkg) is not None and prof.find(f"{pkg}.part") is not None
    script = tmp_path / "script.py"
    script.write_text(f"import {pkg}\nraise SystemExit(4)\n")
    run = subprocess.run([sys.executable, "-m", "codomyrmex.performance.importtime", "--top", "40", str(script)],
                         capture_output=True, text=True)  # fmt: skip
    assert run.returncode == 4
    assert "of them at interpreter start-up" in run.stderr
    assert f"  {pkg}\n" in run.stderr and f"  {pkg}.part\n" in run.stderr
    run = subprocess.run([sys.executable, "-m", "codomyrmex.performance.importtime", "--json", "--output",
                          str(out), str(script)], capture_output=True, text=True)  # fmt: skip
    prof = importtime.ImportProfile.from_json(out.read_text())
    # the program's own imports (timestamped; start-up rows come from -X importtime): the
    # package and its submodule, nothing of the runner's
    assert [r.module for r in prof.records if r.start_ns is not None] == [pkg, f"{pkg}.part"]
    assert prof.profiler_modules == []  # the profiler loads nothing the program could import


def test_python_m_rejects_bad_usage() -> None:
    run = subprocess.run([sys.executable, "-m", "codomyrmex.performance.importtime", "--bogus"],
                         capture_output=True, text=True)  # fmt: skip
    assert run.returncode == 2 and "--bogus" in run.stderr


def _runner(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "codomyrmex.performance.importtime", *args],
                          capture_output=True, text=True)  # fmt: skip


def test_python_m_prints_a_string_exit_message_and_exits_1_as_python_does() -> None:
    run = _runner("-c", "import sys; sys.exit('stopped: no config')")
    assert run.returncode == 1
    assert "stopped: no config\n" in run.stderr


@pytest.mark.parametrize(("options", "message"), [
    (["--top", "0"], "--top must be an integer >= 1, got 0"),
    (["--min-ms", "nan"], "--min-ms must be a finite number >= 0, got 'nan'"),
    (["--tree=yes"], "option '--tree' takes no value"),
])  # fmt: skip
def test_python_m_rejects_bad_report_options_before_running_the_program(options: list[str], message: str) -> None:
    run = _runner(*options, "-c", "print('program ran')")
    assert run.returncode == 2
    assert message in run.stderr
    assert "program ran" not in run.stdout


def test_python_m_accepts_option_equals_value() -> None:
    run = _runner("--top=1", "-c", "import colorsys")
    assert run.returncode == 0, run.stderr
    assert "Slowest 1 by cumulative time:" in run.stderr


def test_python_m_c_code_runs_in_a_real_main_module() -> None:
    code = "import pickle, sys\ndef f(): pass\nprint(pickle.loads(pickle.dumps(f)) is f, sys.modules['__main__'].f is f)"
    run = _runner("-c", code)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "True True\n"


def test_python_m_missing_script_exits_2_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.py"
    run = _runner(str(missing))
    assert run.returncode == 2
    assert f"can't open file {str(missing)!r}" in run.stderr


def test_python_m_gives_a_script_the_sys_path_python_gives_it(tmp_path: Path) -> None:
    script_dir = tmp_path / "scripts"
    script_dir.mkdir()
    script = script_dir / "where.py"
    script.write_text("import os, sys\nprint(sys.path[0], os.getcwd() in sys.path)\n")
    direct = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, check=True)
    profiled = subprocess.run([sys.executable, "-m", "codomyrmex.performance.importtime", str(script)],
                              capture_output=True, text=True, cwd=tmp_path, check=True)  # fmt: skip
    assert direct.stdout == f"{script_dir} False\n"
    assert profiled.stdout == direct.stdout


def test_python_m_relative_output_is_written_where_it_was_named_even_if_the_program_chdirs(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run = subprocess.run(
        [sys.executable, "-m", "codomyrmex.performance.importtime", "--json", "--output", "prof.json",
         "-c", f"import os; os.chdir({str(elsewhere)!r}); import colorsys"],
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert not (elsewhere / "prof.json").exists()
    assert isinstance(importtime.ImportProfile.from_json((tmp_path / "prof.json").read_text()), importtime.ImportProfile)


def test_python_m_output_in_a_missing_directory_exits_2_before_running(tmp_path: Path) -> None:
    run = _runner("--output", str(tmp_path / "missing" / "p.json"), "-c", "print('program ran')")
    assert run.returncode == 2
    assert "no such directory" in run.stderr and "program ran" not in run.stdout


def test_python_m_help_prints_usage_and_exits_0_but_a_programs_help_is_its_own() -> None:
    run = _runner("--help")
    assert run.returncode == 0 and run.stdout.startswith("usage: python -m codomyrmex.performance.importtime")
    run = _runner("-c", "import sys; print(sys.argv)", "--help")
    assert run.returncode == 0 and run.stdout == "['-c', '--help']\n"


def test_all_lists_exactly_the_public_names() -> None:
    # (isidentifier: pytest's assertion rewriting adds '@py_builtins' to modules of a
    # distribution that registers a pytest11 plugin, as this one does)
    public = {n for n in dir(importtime) if not n.startswith("_") and n != "annotations" and n.isidentifier()}
    assert set(importtime.__all__) == public


def test_profile_imports_is_exported_from_the_package() -> None:
    from codomyrmex.performance import profile_imports

    assert profile_imports is importtime.profile_imports


def test_startup_path_imports_no_telemetry_backend() -> None:
    code = (
        "import sys\n"
        "from codomyrmex.performance.importtime import install\n"
        "prof = install()\n"
        "import json\n"
        "prof.stop()\n"
        "print(sorted({'opentelemetry', 'prometheus_client', 'numpy'} & set(sys.modules)))\n"
        "print(json.dumps([r.module for r in prof.records]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    lines = out.stdout.splitlines()
    assert lines[0] == "[]"
    assert "json" in json.loads(lines[1])
