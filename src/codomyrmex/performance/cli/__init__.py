"""The ``codomyrmex-perf`` command line.

Each subcommand lives in its own module under this package and is imported only when it runs,
so ``codomyrmex-perf --help`` stays fast. To add one, create ``cli/_<name>.py`` with::

    def register(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(...)
        parser.set_defaults(func=run)   # run(args) -> int exit code

and add the name, module and one-line help to :data:`COMMANDS` (the only place the help
line is written, so ``--help`` needs no subcommand import).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from .._version import __version__

__all__ = ["COMMANDS", "EXIT_CODES", "main"]

#: subcommand -> (module, one-line help). Modules are imported only for the command that runs.
COMMANDS: dict[str, tuple[str, str]] = {
    "version": ("_version_cmd", "print the library version"),
    "serve": ("_serve", "expose /metrics with the library's collector"),
    "bench": ("_bench", "run benchmark suites and read their recorded history"),
    "importtime": ("_importtime", "profile the imports of a Python program"),
    "lazy": ("_lazy", "check lazy-import targets"),
    "report": ("_report", "write an HTML trend report of recorded benchmarks"),
    "assets": ("_assets", "write the shipped dashboards, deploy files and examples to a directory"),
}


#: shown by ``codomyrmex-perf --help``; every command keeps to it
EXIT_CODES = """exit codes:
  0  ok
  1  a regression (bench run/compare with --fail-on-regression)
  2  usage error (bad option, unknown file, suite or run, missing store) or a benchmark that raised
  130 interrupted (Ctrl-C)
A closed pipe (codomyrmex-perf bench history ... | head) ends the output quietly, same exit code."""


class _ClosedPipeGuard:
    """stdout that turns a closed pipe into the end of the output: once the reader has gone
    (``... | head``), further writes are dropped and stdout's descriptor points at /dev/null, so
    neither the command nor the interpreter's final flush prints a BrokenPipeError traceback,
    and the command still finishes (a ``bench run`` keeps recording and returns its exit code)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.broken = False

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self._closed()
        return len(text)

    def flush(self) -> None:
        if not self.broken:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._closed()

    def _closed(self) -> None:
        self.broken = True
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, self._stream.fileno())
            finally:
                os.close(devnull)
        except (OSError, ValueError, AttributeError):
            pass  # not a real file (captured in tests): dropping the writes is enough

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _available() -> dict[str, tuple[str, str]]:
    # A command whose module has not been written yet is not offered (no placeholder commands).
    from importlib.util import find_spec

    return {
        name: entry for name, entry in COMMANDS.items() if find_spec(f"{__name__}.{entry[0]}")
    }


def build_parser(selected: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="codomyrmex-perf",
        description="Caching, lazy imports, import profiling and benchmarks for agent processes.",
        epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in _available().items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == selected:
            importlib.import_module(f"{__name__}.{module}").register(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``codomyrmex-perf``; returns the exit code."""
    # from the start: ``codomyrmex-perf --help | head -1`` closes the pipe too
    guard = _ClosedPipeGuard(sys.stdout)
    sys.stdout = guard  # duck-typed TextIO: write/flush here, everything else delegated
    try:
        return _main(list(sys.argv[1:] if argv is None else argv))
    except KeyboardInterrupt:
        return 130
    finally:
        guard.flush()
        if sys.stdout is guard:
            sys.stdout = guard._stream


def _main(args_list: list[str]) -> int:
    selected = next((a for a in args_list if not a.startswith("-")), None)
    parser = build_parser(selected)
    args = parser.parse_args(args_list)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2 if args.command is None and args_list else 0
    return int(func(args))


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
