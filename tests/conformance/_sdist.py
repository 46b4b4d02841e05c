"""Fetch a peer's source distribution at test time (nothing third-party is committed).

``pip download --no-binary :all: --no-deps NAME==<installed version>`` into a cache directory
(``CODOMYRMEX_PERF_CONFORMANCE_CACHE`` or ``~/.cache/codomyrmex-perf/conformance``), then
unpacked into the test's own temporary directory. Without network access the test is skipped
locally and fails under ``CI=true``, like the other real components.
"""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest


def _cache_dir() -> Path:
    configured = os.environ.get("CODOMYRMEX_PERF_CONFORMANCE_CACHE")
    path = Path(configured) if configured else Path.home() / ".cache" / "codomyrmex-perf" / "conformance"
    path.mkdir(parents=True, exist_ok=True)
    return path


def fetch_sdist(distribution: str, dest: Path) -> Path:
    """Unpack the sdist of the *installed* version of ``distribution`` under ``dest``; return
    its top directory (``dest/<name>-<version>``)."""
    version = importlib.metadata.version(distribution)
    cache = _cache_dir()
    normalized = distribution.replace("-", "_").lower()
    found = sorted(p for p in cache.glob("*.tar.gz") if p.name.lower().startswith(f"{normalized}-{version}."))
    if not found:
        cmd = [sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps",
               "--quiet", "-d", str(cache), f"{distribution}=={version}"]  # fmt: skip
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        found = sorted(p for p in cache.glob("*.tar.gz") if p.name.lower().startswith(f"{normalized}-{version}."))
        if out.returncode != 0 or not found:
            message = f"cannot fetch the {distribution}=={version} sdist: {out.stderr.strip()[-500:]}"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
    with tarfile.open(found[0]) as tar:
        if hasattr(tarfile, "data_filter"):  # 3.11.4+: refuse links and paths out of dest
            tar.extractall(dest, filter="data")
        else:  # pragma: no cover
            tar.extractall(dest)  # an sdist just fetched from the package index
    tops = [p for p in dest.iterdir() if p.is_dir() and p.name.lower().startswith(f"{normalized}-{version}")]
    assert len(tops) == 1, f"unexpected layout of {found[0].name}: {sorted(p.name for p in dest.iterdir())}"
    return tops[0]
