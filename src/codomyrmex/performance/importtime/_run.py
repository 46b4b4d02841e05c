"""Run a program (``-m module``, ``-c code`` or a script) under the import profiler.

Used by ``python -m codomyrmex.performance.importtime`` and ``codomyrmex-perf importtime``.
Argument parsing is done by hand (no argparse, dataclasses or pathlib) so that the profiler
imports as little as possible before the program starts: a module imported here is already in
``sys.modules`` when the program imports it, and so would be missing from its profile.
"""

from __future__ import annotations

import os
import sys

from ..errors import ConfigurationError
from ._recorder import install

__all__ = ["Options", "main", "parse_args"]

USAGE = (
    "usage: python -m codomyrmex.performance.importtime [--top N] [--tree] [--min-ms X] "
    "[--json] [--output FILE] (-m module | -c code | script) [args...]"
)


class Options:
    """What to run and how to report it."""

    def __init__(self) -> None:
        self.top = 10
        self.tree = False
        self.min_ms = 0.0
        self.json = False
        self.output: str | None = None
        self.kind = ""  # "module" | "code" | "script"
        self.target = ""
        self.args: list[str] = []


def parse_args(argv: list[str]) -> Options:
    """Parse profiler options up to the program (``-m``/``-c``/script); the rest are its args."""
    opts = Options()
    i = 0
    while i < len(argv):
        arg = argv[i]
        value = argv[i + 1] if i + 1 < len(argv) else None
        if arg in ("-m", "-c"):
            if value is None:
                raise ConfigurationError(f"{arg} needs a value; {USAGE}")
            opts.kind, opts.target, opts.args = ("module" if arg == "-m" else "code"), value, argv[i + 2 :]
            return opts
        if arg.startswith("--") and "=" in arg:  # --top=5, as argparse accepts it
            arg, value = arg.split("=", 1)
            if arg not in ("--top", "--min-ms", "--output"):
                raise ConfigurationError(f"option {arg!r} takes no value; {USAGE}")
            argv = [*argv[:i], arg, value, *argv[i + 1 :]]
        if arg == "--tree":
            opts.tree = True
        elif arg == "--json":
            opts.json = True
        elif arg in ("--top", "--min-ms", "--output"):
            if value is None:
                raise ConfigurationError(f"{arg} needs a value; {USAGE}")
            if arg == "--output":
                # Absolute now: the program may change the working directory before we write.
                opts.output = os.path.abspath(value)
                if not os.path.isdir(os.path.dirname(opts.output)):
                    raise ConfigurationError(f"--output {value!r}: no such directory")
            try:
                if arg == "--top":
                    opts.top = int(value)
                elif arg == "--min-ms":
                    opts.min_ms = float(value)
            except ValueError:
                raise ConfigurationError(f"{arg} must be a number, got {value!r}") from None
            if opts.top < 1:  # checked now: the report is written after the program has run
                raise ConfigurationError(f"--top must be an integer >= 1, got {opts.top}")
            if not opts.min_ms >= 0 or opts.min_ms == float("inf"):  # also rejects nan
                raise ConfigurationError(f"--min-ms must be a finite number >= 0, got {value!r}")
            i += 1
        elif arg == "--":
            pass
        elif arg.startswith("-"):
            raise ConfigurationError(f"unknown option {arg!r}; {USAGE}")
        else:
            opts.kind, opts.target, opts.args = "script", arg, argv[i + 1 :]
            return opts
        i += 1
    raise ConfigurationError(f"no program given; {USAGE}")


def _set_path0(entry: str, replace: bool) -> None:
    """Put what python puts first on ``sys.path`` for this kind of program: the script's
    directory, or ``""`` for ``-c``. Under ``python -m`` (``replace``) the entry python put there
    for *us* is the working directory, which a script run directly would not see."""
    if replace and sys.path:
        sys.path[0] = entry
    else:
        sys.path.insert(0, entry)


def _run(opts: Options, replace_path0: bool = False) -> None:
    import runpy

    if opts.kind == "module":
        sys.argv = [opts.target, *opts.args]
        runpy.run_module(opts.target, run_name="__main__", alter_sys=True)
    elif opts.kind == "script":
        sys.argv = [opts.target, *opts.args]
        _set_path0(os.path.dirname(os.path.abspath(opts.target)), replace_path0)
        runpy.run_path(opts.target, run_name="__main__")
    else:
        sys.argv = ["-c", *opts.args]
        _set_path0("", replace_path0)
        code = compile(opts.target, "<string>", "exec")
        # A real __main__ module, as runpy gives -m and scripts: pickle, multiprocessing and
        # `import __main__` look the program's globals up there.
        main_module = type(sys)("__main__")
        main_module.__dict__["__builtins__"] = __builtins__
        saved = sys.modules.get("__main__")
        sys.modules["__main__"] = main_module
        try:
            exec(code, main_module.__dict__)
        finally:
            if saved is not None:
                sys.modules["__main__"] = saved


def _exit_code(exc: SystemExit) -> int:
    """The process exit status for ``exc``, printing a message as the interpreter does."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    print(exc.code, file=sys.stderr)  # sys.exit("message"): the message, then status 1
    return 1


def main(argv: list[str] | None = None) -> int:
    """Run the program under the profiler and write the report (stderr) or JSON (``--output``)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] in (["-h"], ["--help"]):  # only before the program: after it, they are its own
        print(USAGE)
        return 0
    try:
        opts = parse_args(args)
    except ConfigurationError as exc:
        print(exc, file=sys.stderr)
        return 2
    if opts.kind == "script" and not os.path.exists(opts.target):
        print(f"can't open file {os.path.abspath(opts.target)!r}: no such file or directory", file=sys.stderr)
        return 2  # what python says and returns for a missing script
    # What running the program needs is imported before recording starts, so that the profile
    # shows the program's imports and not the runner's (run_path imports pkgutil).
    import pkgutil  # noqa: F401
    import runpy  # noqa: F401

    profile = install()
    code = 0
    try:
        _run(opts, replace_path0=argv is None)  # argv None: this process is `python -m` us
    except SystemExit as exc:
        code = _exit_code(exc)
    finally:
        profile.stop()
        text = profile.to_json() if opts.json else profile.report(top=opts.top, tree=opts.tree, min_ms=opts.min_ms)
        if opts.output:
            with open(opts.output, "w", encoding="utf-8") as f:
                f.write(text + "\n")
        else:
            print(text, file=sys.stderr)
    return code
