"""Run a program (``-m module``, ``-c code`` or a script) under the import profiler.

Used by ``python -m codomyrmex.performance.importtime`` and ``codomyrmex-perf importtime``. The
program runs in a child interpreter started as ``python .../_bootstrap.py ...``: the recorder
(:mod:`._bootstrap`) is installed there before anything the program imports, using
only modules the interpreter loaded at start-up, so nothing the launcher imports (this package,
argparse, runpy) hides a module from the profile. What the interpreter imported at start-up,
before any program code (``site``, ``encodings``, ``os``, ...), is taken from ``python -X
importtime`` of an empty program launched the same way (``-c`` or a script) with the same
interpreter flags, so the module set of the profile is the set ``python -X importtime`` reports
for the same program. The modules the
profiler itself loaded in the child are listed in the report (normally none).
"""

from __future__ import annotations

import os
import sys

from ..errors import ConfigurationError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ._model import ImportProfile

__all__ = ["NoRecordsError", "Options", "build_profile", "main", "parse_args", "profile_program"]


class NoRecordsError(ConfigurationError):
    """The profiled program ended without its records being written (``os._exit``, a signal);
    ``exit_code`` is the program's exit status, which the launcher still returns."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code

# Run as the child's script (not with -c: Python 3.13 imports linecache at start-up for -c,
# which a script or -m program would then miss from its profile).
BOOTSTRAP_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_bootstrap.py")
_MODULES_PROBE = "import sys; print(repr(sorted(sys.modules)))"

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


def _interpreter_flags() -> list[str]:
    """This interpreter's -X/-W/-E/... options for the child, without -X importtime (the child
    records imports itself; its rows on stderr would only be noise)."""
    import subprocess

    flags: list[str] = subprocess._args_from_interpreter_flags()  # type: ignore[attr-defined]
    out: list[str] = []
    for i, flag in enumerate(flags):
        if flag == "-X" and i + 1 < len(flags) and flags[i + 1].startswith("importtime"):
            continue
        if flag.startswith("importtime") and i > 0 and flags[i - 1] == "-X":
            continue
        out.append(flag)
    return out


def _wait(argv: list[str]) -> int:
    """Run ``argv`` with this process's stdin/stdout/stderr and return its exit status (a
    signal N as 128 + N, as a shell reports it)."""
    import subprocess

    proc = subprocess.Popen(argv)
    while True:
        try:
            code = proc.wait()
            break
        except KeyboardInterrupt:  # the child got the same Ctrl-C: let it decide, then report
            continue
    return code if code >= 0 else 128 - code


def _startup(flags: list[str], kind: str, tmp: str) -> tuple[Any, list[str] | None]:
    """(-X importtime profile of interpreter start-up, modules a plain interpreter has when the
    program's first line runs), launched as the program is: ``-c`` for code, a script file for
    scripts and modules (``python -m`` imports runpy after start-up, and the bootstrap records
    that). The launch kind matters: Python 3.13 imports ``linecache`` at start-up for ``-c``."""
    import ast
    import subprocess

    from ._parse import parse_importtime

    if kind == "code":
        launch = ["-c", _MODULES_PROBE]
    else:
        probe = os.path.join(tmp, "startup_probe.py")
        with open(probe, "w", encoding="utf-8") as f:
            f.write(_MODULES_PROBE + "\n")
        launch = [probe]
    out = subprocess.run(
        [sys.executable, *flags, "-X", "importtime", *launch], capture_output=True, text=True, check=False
    )
    try:
        modules: list[str] | None = list(ast.literal_eval(out.stdout.strip().splitlines()[-1]))
    except (IndexError, SyntaxError, ValueError):
        modules = None  # no comparison: the report then lists nothing as the profiler's own
    return parse_importtime(out.stderr), modules


def build_profile(raw: dict[str, Any], startup: Any = None, plain_modules: list[str] | None = None) -> ImportProfile:
    """The profile of a program run by :mod:`._bootstrap` (``raw`` is what it wrote), with the
    interpreter's start-up imports (``startup``, a parsed ``-X importtime`` profile) first."""
    from ._model import ImportProfile, ImportRecord

    records: list[ImportRecord] = []
    if startup is not None:
        for rec in startup.records:
            rec.thread_name = "MainThread"
            records.append(rec)
    wall0, perf0 = raw["anchor"]
    program: list[ImportRecord] = []
    for name, parent_index, tid, thread, trigger, site, start, end, error, complete in raw["records"]:
        parent = program[parent_index] if parent_index is not None else None
        rec = ImportRecord(
            name, parent=parent, cumulative_ns=end - start, start_ns=start, end_ns=end,
            start_time_ns=wall0 + (start - perf0), end_time_ns=wall0 + (end - perf0),
            thread_id=tid, thread_name=thread, error=error,
            trigger="first_use" if trigger == "first_use" else "startup", site=site, complete=complete,
        )  # fmt: skip
        if parent is not None:
            parent.children.append(rec)
        program.append(rec)
    for rec in program:
        rec.self_ns = max(0, rec.cumulative_ns - sum(c.cumulative_ns for c in rec.children))
    profile = ImportProfile(records + program, source="recorder")
    if startup is not None:
        profile.notes.append(
            f"{len(records)} of them at interpreter start-up, before the program (timed by "
            "`python -X importtime` of an empty program run alongside)"
        )
    # Modules the child had before the recorder started that the same interpreter launched the
    # same way does not have: what the profiler itself loaded (the program cannot show them).
    if plain_modules is not None:
        profile.profiler_modules = sorted(set(raw["before"]) - set(plain_modules) - {"__main__"})
    return profile


def profile_program(opts: Options) -> tuple[ImportProfile, int]:
    """Run the program of ``opts`` in a child interpreter under the bootstrap recorder and return
    ``(profile, exit status)``. Raises :class:`NoRecordsError` when the child wrote no records
    (it ended through ``os._exit`` or a signal before it could)."""
    import ast
    import tempfile

    flags = _interpreter_flags()
    with tempfile.TemporaryDirectory(prefix="codomyrmex-importtime-") as tmp:
        raw_path = os.path.join(tmp, "records.txt")
        argv = [sys.executable, *flags, BOOTSTRAP_FILE, raw_path, opts.kind, opts.target, *opts.args]
        code = _wait(argv)
        if not os.path.exists(raw_path):
            raise NoRecordsError(
                f"the profiled program ended without writing its import records (exit status {code}; "
                "os._exit() or a signal skip the recorder's end)",
                code,
            )
        with open(raw_path, encoding="utf-8") as f:
            raw = ast.literal_eval(f.read())
        startup, plain_modules = _startup(flags, opts.kind, tmp)
    return build_profile(raw, startup, plain_modules), code


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
    try:
        profile, code = profile_program(opts)
    except NoRecordsError as exc:
        print(f"codomyrmex.performance.importtime: {exc}", file=sys.stderr)
        return exc.exit_code or 1  # the program's status; 1 when it was 0 but nothing was profiled
    text = profile.to_json() if opts.json else profile.report(top=opts.top, tree=opts.tree, min_ms=opts.min_ms)
    if opts.output:
        with open(opts.output, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    else:
        print(text, file=sys.stderr)
    return code
