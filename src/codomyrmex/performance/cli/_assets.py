"""``codomyrmex-perf assets export DIR``: write the shipped dashboards, deploy stack and examples.

    codomyrmex-perf assets export perf-assets          # perf-assets/{dashboards,deploy,examples}/
    codomyrmex-perf assets list                        # what a wheel carries

Exit codes: 0 written; 2 a file in DIR differs (give --force) or DIR cannot be written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="assets_command", metavar="SUBCOMMAND", required=True)
    exp = sub.add_parser("export", help="write the dashboards, deploy files and examples to DIR")
    exp.add_argument("directory", type=Path, metavar="DIR")
    exp.add_argument("--force", action="store_true", help="replace files in DIR that differ")
    exp.set_defaults(func=_export)
    lst = sub.add_parser("list", help="list the shipped assets")
    lst.set_defaults(func=_list)


def _export(args: argparse.Namespace) -> int:
    from ..assets import asset_files, export_assets
    from ..errors import PerformanceError

    try:
        total = len(asset_files())
        written = export_assets(args.directory, overwrite=args.force)
    except PerformanceError as exc:
        print(f"codomyrmex-perf assets: error: {exc}", file=sys.stderr)
        return 2
    same = total - len(written)
    print(f"wrote {len(written)} file{'' if len(written) == 1 else 's'} to {args.directory}"
          + (f" ({same} already up to date)" if same else ""))  # fmt: skip
    return 0


def _list(args: argparse.Namespace) -> int:
    from ..assets import asset_files
    from ..errors import PerformanceError

    try:
        files = asset_files()
    except PerformanceError as exc:
        print(f"codomyrmex-perf assets: error: {exc}", file=sys.stderr)
        return 2
    for rel in files:
        print(rel)
    return 0
