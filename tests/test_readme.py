"""The README gives exactly two set-up commands, and CI runs the README's test command."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _setup_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Set-up: two commands", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", section, re.S)]


def test_readme_gives_exactly_two_commands() -> None:
    commands = _setup_commands()
    assert len(commands) == 2
    assert all("\n" not in c for c in commands)
    assert "codomyrmex-perf bench run examples/agent_suite.py" in commands[0]
    assert "pip install -e '.[test]'" in commands[1]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    test_command = _setup_commands()[1].split("&&")[-1].strip()
    ci_lines = [line.strip() for line in ci.splitlines()]
    assert test_command in ci_lines
    # ... in the loop over every supported interpreter, after installing at least the README's
    # extras into the fresh .venv that command uses
    loop = ci.split('for py in "${pythons[@]}"; do', 1)[1].split("\ndone\n", 1)[0]
    assert test_command in [line.strip() for line in loop.splitlines()]
    assert 'rm -rf .venv' in loop and '"$py" -m venv .venv' in loop
    readme_extras = set(re.search(r"pip install -e '\.\[([^\]]+)\]'", _setup_commands()[1]).group(1).split(","))  # type: ignore[union-attr]
    ci_extras = set(re.search(r"pip install -q (?:--no-compile )?-e '\.\[([^\]]+)\]'", loop).group(1).split(","))  # type: ignore[union-attr]
    assert readme_extras <= ci_extras
    assert re.search(r"^versions=\(3\.11 3\.12 3\.13\)$", ci, flags=re.M)


def test_classifiers_name_every_python_ci_tests() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    ci = (ROOT / ".ci" / "run").read_text()
    tested = re.search(r"^versions=\((.*)\)$", ci, flags=re.M).group(1).split()  # type: ignore[union-attr]
    classified = [c.rsplit(":: ", 1)[1] for c in project["classifiers"]
                  if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)]  # fmt: skip
    assert classified == tested == ["3.11", "3.12", "3.13"]
    assert project["requires-python"] == ">=3.11"
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")


def test_example_suite_exists() -> None:
    assert (ROOT / "examples" / "agent_suite.py").is_file()


def test_typed_usage_example_runs(tmp_path: Path) -> None:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "typed_usage.py")],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "cached: 42 {'lines': 2, 'chars': 11}" in out.stdout
    assert "rejected: metrics_port must be a TCP port number 0-65535, got 99999" in out.stdout
