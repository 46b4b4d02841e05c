"""``codomyrmex-perf version``."""

from __future__ import annotations

import argparse
import platform

from .._version import __version__


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--verbose", "-v", action="store_true", help="also print Python's version")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    line = f"codomyrmex-performance {__version__}"
    if args.verbose:
        line += f" (Python {platform.python_version()}, {platform.platform()})"
    print(line)
    return 0
