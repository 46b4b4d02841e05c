"""The shipped assets (dashboards, deploy stack, examples) and ``codomyrmex-perf assets``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from codomyrmex.performance.assets import AssetError, asset_files, asset_root, export_assets
from codomyrmex.performance.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _repo_assets() -> set[str]:
    found = {p.relative_to(ROOT).as_posix() for p in (ROOT / "dashboards").glob("*.json")}
    found |= {p.relative_to(ROOT).as_posix() for p in (ROOT / "deploy").rglob("*") if p.is_file()}
    found |= {p.relative_to(ROOT).as_posix() for p in (ROOT / "examples").glob("*.py")}
    return {f for f in found if "__pycache__" not in f}


def test_asset_files_are_every_dashboard_deploy_file_and_example() -> None:
    files = asset_files()
    assert set(files) == _repo_assets()
    for rel in ("dashboards/codomyrmex-learn.json", "dashboards/codomyrmex-observe.json",
                "deploy/docker-compose.yml", "deploy/rules/codomyrmex-alerts.yml",
                "deploy/grafana/provisioning/dashboards/codomyrmex.yml", "examples/agent_suite.py"):  # fmt: skip
        assert rel in files
    assert (asset_root() / "dashboards").is_dir()


def test_export_writes_the_layout_compose_expects(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "assets"
    assert main(["assets", "export", str(out)]) == 0
    n = len(_repo_assets())
    assert capsys.readouterr().out.strip() == f"wrote {n} files to {out}"
    for rel in _repo_assets():
        assert (out / rel).read_bytes() == (ROOT / rel).read_bytes(), rel
    # deploy/docker-compose.yml mounts ../dashboards: it is there next to deploy/
    assert "../dashboards:" in (out / "deploy" / "docker-compose.yml").read_text()
    assert (out / "dashboards" / "codomyrmex-learn.json").is_file()
    # a second export changes nothing
    assert main(["assets", "export", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"wrote 0 files to {out} ({n} already up to date)"


def test_export_refuses_to_replace_a_changed_file_without_force(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "assets"
    export_assets(out)
    edited = out / "deploy" / "prometheus.yml"
    edited.write_text("# my local edit\n")
    assert main(["assets", "export", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("codomyrmex-perf assets: error: 1 file(s) in ")
    assert "(deploy/prometheus.yml); pass overwrite=True (--force) to replace them" in err
    assert edited.read_text() == "# my local edit\n"  # nothing written
    assert main(["assets", "export", str(out), "--force"]) == 0
    assert capsys.readouterr().out.strip() == f"wrote 1 file to {out} ({len(_repo_assets()) - 1} already up to date)"
    assert edited.read_bytes() == (ROOT / "deploy" / "prometheus.yml").read_bytes()


def test_export_into_a_file_is_an_asset_error(tmp_path: Path) -> None:
    target = tmp_path / "plain.txt"
    target.write_text("x")
    with pytest.raises(AssetError, match=r"plain.txt' exists and is not a directory"):
        export_assets(target)
    with pytest.raises(TypeError, match="directory must be a path, got 3"):
        export_assets(3)  # type: ignore[arg-type]


def test_assets_list_prints_every_relative_path(capsys: Any) -> None:
    assert main(["assets", "list"]) == 0
    assert set(capsys.readouterr().out.split()) == _repo_assets()
