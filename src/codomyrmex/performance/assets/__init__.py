"""The files that ship with the library besides its code: Grafana dashboards, the deploy stack
(Prometheus rules, compose file, collector and Grafana provisioning) and the examples.

A wheel carries them as package data (``assets/files/``, copied at build time); an editable
install or a checkout reads them from the repository. ``codomyrmex-perf assets export DIR`` writes
them out with the repository's layout, so ``DIR/deploy/docker-compose.yml`` finds
``DIR/dashboards``::

    from codomyrmex.performance.assets import asset_files, export_assets

    sorted(asset_files())[:1]            # ['dashboards/codomyrmex-learn.json']
    export_assets("perf-assets")         # -> the paths written
"""

from __future__ import annotations

import os
from pathlib import Path

from .. import errors as _errors

__all__ = ["ASSET_GLOBS", "AssetError", "asset_files", "asset_root", "export_assets"]

#: (directory, glob) of every asset; setup.py copies the same set into the wheel
ASSET_GLOBS: tuple[tuple[str, str], ...] = (
    ("dashboards", "*.json"),
    ("deploy", "**/*"),
    ("examples", "*.py"),
)


class AssetError(_errors.PerformanceError):
    """The assets cannot be found or written (names the path and what to do)."""


def asset_root() -> Path:
    """The directory holding ``dashboards/``, ``deploy/`` and ``examples/``: the packaged copy in
    a wheel, else the source checkout this package is imported from."""
    packaged = Path(__file__).resolve().parent / "files"
    if (packaged / "dashboards").is_dir():
        return packaged
    # src/codomyrmex/performance/assets/__init__.py -> the repository root
    checkout = Path(__file__).resolve().parents[4]
    if (checkout / "dashboards").is_dir() and (checkout / "deploy").is_dir():
        return checkout
    raise AssetError(
        f"no assets in {packaged} nor in a source checkout at {checkout}; "
        "reinstall codomyrmex-performance from a wheel or sdist built by `python -m build`"
    )


def asset_files() -> dict[str, Path]:
    """Every asset: its relative path (POSIX form, e.g. ``deploy/prometheus.yml``) -> its file."""
    root = asset_root()
    found: dict[str, Path] = {}
    for directory, pattern in ASSET_GLOBS:
        for path in sorted((root / directory).glob(pattern)):
            if path.is_file() and "__pycache__" not in path.parts:
                found[path.relative_to(root).as_posix()] = path
    return found


def export_assets(directory: str | os.PathLike[str], *, overwrite: bool = False) -> list[Path]:
    """Write every asset under ``directory`` (created if missing); returns the files written.

    A file that exists with different content raises :class:`AssetError` naming it, and nothing
    is written, unless ``overwrite`` is true (identical files are left as they are).
    """
    if not isinstance(directory, str | os.PathLike):
        raise TypeError(f"directory must be a path, got {directory!r} ({type(directory).__name__})")
    target = Path(directory).expanduser()
    if target.exists() and not target.is_dir():
        raise AssetError(f"{str(target)!r} exists and is not a directory")
    files = {rel: (src, src.read_bytes()) for rel, src in asset_files().items()}
    conflicts = [
        rel for rel, (_, data) in files.items()
        if (target / rel).is_file() and (target / rel).read_bytes() != data
    ]  # fmt: skip
    if conflicts and not overwrite:
        shown = ", ".join(conflicts[:3]) + (f" and {len(conflicts) - 3} more" if len(conflicts) > 3 else "")
        raise AssetError(
            f"{len(conflicts)} file(s) in {str(target)!r} differ from the library's assets "
            f"({shown}); pass overwrite=True (--force) to replace them"
        )
    written: list[Path] = []
    try:
        for rel, (_, data) in files.items():
            dest = target / rel
            if dest.is_file() and dest.read_bytes() == data:
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
            written.append(dest)
    except OSError as exc:
        raise AssetError(f"cannot write the assets to {str(target)!r}: {exc.strerror or exc}") from exc
    return written
