"""Build hook: the wheel ships the dashboards, deploy files and examples as package data.

They live at the top of the repository (``dashboards/generate.py`` writes the JSON there and
``deploy/docker-compose.yml`` mounts ``../dashboards``), so they are copied into
``codomyrmex/performance/assets/files/`` when the wheel is built rather than moved. An editable
install reads them from the checkout instead (see ``codomyrmex.performance.assets``). All other
metadata is in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
#: (directory, glob) pairs copied into the wheel; keep in step with assets.ASSET_GLOBS and MANIFEST.in
ASSETS = (("dashboards", "*.json"), ("deploy", "**/*"), ("examples", "*.py"))


class BuildPyWithAssets(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the assets from the checkout
        target = Path(self.build_lib) / "codomyrmex" / "performance" / "assets" / "files"
        copied = 0
        for directory, pattern in ASSETS:
            for src in sorted((ROOT / directory).glob(pattern)):
                if src.is_file() and "__pycache__" not in src.parts:
                    dest = target / src.relative_to(ROOT)
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(src, dest)
                    copied += 1
        if not copied:  # building from a tree without them would ship an empty asset set
            raise SystemExit(f"no assets found under {ROOT}: dashboards/, deploy/ and examples/ are missing")


setup(cmdclass={"build_py": BuildPyWithAssets})
