"""The ``codomyrmex-perf`` command line skeleton: help, version, serve."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from codomyrmex.performance import __version__
from codomyrmex.performance.cli import main


def test_help_lists_every_available_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "usage: codomyrmex-perf" in out
    for command in ("version", "serve"):
        assert command in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["version"]) == 0
    assert capsys.readouterr().out.strip() == f"codomyrmex-performance {__version__}"


def test_unknown_command_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["frobnicate"])
    assert exc.value.code == 2
    assert "invalid choice: 'frobnicate'" in capsys.readouterr().err


def test_console_script_is_installed() -> None:
    script = shutil.which("codomyrmex-perf", path=str(Path(sys.executable).parent))
    assert script is not None
    out = subprocess.run([script, "version"], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == f"codomyrmex-performance {__version__}"


def test_serve_exposes_metrics_and_stops_on_sigterm() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "codomyrmex.performance.cli", "serve", "--port", "0"],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "OTEL_EXPORTER_OTLP_ENDPOINT": ""},
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("serving /metrics on http://127.0.0.1:")
        url = line.split()[-1]
        body = urllib.request.urlopen(url, timeout=10).read().decode()
        assert "# TYPE codomyrmex_benchmark_regression gauge" in body
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_serve_rejects_a_bad_port(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--port", "99999"]) == 2
    assert "metrics_port must be a TCP port number 0-65535, got 99999" in capsys.readouterr().out
