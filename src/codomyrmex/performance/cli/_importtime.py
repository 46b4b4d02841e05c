"""``codomyrmex-perf importtime``: profile the imports of a Python program, or read
``python -X importtime`` output.

    codomyrmex-perf importtime --top 15 --tree --min-ms 1 -- -c "import numpy"
    codomyrmex-perf importtime -- -m mypkg.cli --help
    python -X importtime -c "import numpy" 2> it.txt && codomyrmex-perf importtime --from-file it.txt
    python -X importtime -c "import numpy" 2>&1 | codomyrmex-perf importtime --from-file -
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--top", type=int, default=10, help="how many of the slowest imports to list (default 10)")
    parser.add_argument("--tree", action="store_true", help="also print the import tree")
    parser.add_argument("--min-ms", type=float, default=0.0, metavar="X",
                        help="fold imports faster than X ms into their parent in the tree")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the profile as JSON instead")
    parser.add_argument("--from-file", metavar="F", help="read `python -X importtime` output from F ('-': stdin)")
    parser.add_argument("python_args", nargs=argparse.REMAINDER,
                        help="after --: what to run, as for python (-m module | -c code | script) [args]")  # fmt: skip
    parser.set_defaults(func=run)


def _fail(message: str) -> int:
    print(f"codomyrmex-perf importtime: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    from ..errors import ConfigurationError
    from ..importtime import parse_importtime

    python_args = list(args.python_args)
    if python_args[:1] == ["--"]:
        python_args = python_args[1:]
    if args.top < 1:
        return _fail(f"--top must be an integer >= 1, got {args.top}")
    if not math.isfinite(args.min_ms) or args.min_ms < 0:  # checked before the program runs
        return _fail(f"--min-ms must be a finite number >= 0, got {args.min_ms}")
    if args.from_file and python_args:
        return _fail("give either --from-file or a program after --, not both")
    code = 0
    if args.from_file:
        try:
            text = sys.stdin.read() if args.from_file == "-" else Path(args.from_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            return _fail(f"cannot read --from-file {args.from_file!r}: {exc}")
        try:
            profile = parse_importtime(text)
        except ConfigurationError as exc:
            return _fail(f"--from-file {args.from_file!r}: {exc}")
        if not len(profile):
            return _fail(f"--from-file {args.from_file!r} holds no `python -X importtime` rows "
                         "(was the program run with -X importtime, and its stderr captured?)")  # fmt: skip
    elif python_args:
        from ..importtime._run import NoRecordsError, parse_args, profile_program

        try:
            opts = parse_args(python_args)
        except ConfigurationError as exc:
            return _fail(str(exc))
        if opts.kind == "script" and not Path(opts.target).exists():
            return _fail(f"can't open file {str(Path(opts.target).absolute())!r}: no such file or directory")
        try:
            profile, code = profile_program(opts)
        except NoRecordsError as exc:
            _fail(f"{exc}: {python_args}")
            return exc.exit_code or 1  # the program's status; 1 when it was 0 but nothing was profiled
    else:
        return _fail("nothing to profile: give a program after -- (e.g. -- -c 'import numpy') or --from-file F")
    if args.json:
        print(profile.to_json())
    else:
        print(profile.report(top=args.top, tree=args.tree, min_ms=args.min_ms))
    return code
