"""A fresh venv with ``pip install .`` (no extras): the package imports, caches and serves
/metrics, and neither the OTel SDK nor grpc nor protobuf is installed (issue 10)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

USER = """
    import importlib.util, json, urllib.request
    from codomyrmex.performance import cached_function, telemetry
    from codomyrmex.performance.errors import ConfigurationError

    def missing(name):
        try:
            return importlib.util.find_spec(name) is None
        except ModuleNotFoundError:  # its parent package (google) is missing too
            return True

    @cached_function(name="fresh")
    def f(x):
        return x + 1

    assert [f(1), f(1)] == [2, 2]
    try:
        telemetry.configure(otlp_endpoint="http://127.0.0.1:4318")
        error = None
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
    t = telemetry.configure(metrics_port=0)
    body = urllib.request.urlopen(f"http://127.0.0.1:{t.metrics_port}/metrics", timeout=10).read().decode()
    print(json.dumps({
        "hits": 'codomyrmex_cache_gets_total{cache="fresh",result="hit",tier="memory"} 1.0' in body,
        "missing": {m: missing(m) for m in ("opentelemetry.sdk", "grpc", "google.protobuf")},
        "error": error,
    }))
"""


@pytest.mark.slow
def test_pip_install_without_extras_imports_caches_and_serves_metrics(tmp_path: Path) -> None:
    # Build from a copy: an in-tree build would leave build/ and *.egg-info in the checkout.
    project = tmp_path / "project"
    project.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE", "MANIFEST.in"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, project / name)
    shutil.copytree(ROOT / "src", project / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    pip = subprocess.run(
        [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", str(project)],
        capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert pip.returncode == 0, pip.stdout + pip.stderr
    run = subprocess.run([str(python), "-c", textwrap.dedent(USER)], capture_output=True, text=True,
                         timeout=120, check=False, cwd=tmp_path)  # fmt: skip
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["hits"] is True
    assert out["missing"] == {"opentelemetry.sdk": True, "grpc": True, "google.protobuf": True}
    assert out["error"] == (
        "ConfigurationError: exporting telemetry (traces: otlp, metrics: otlp) needs the "
        "OpenTelemetry SDK and exporters, which are not installed; install them with: "
        "pip install 'codomyrmex-performance[otlp]'"
    )
