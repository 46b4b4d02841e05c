"""``codomyrmex-perf lazy verify MODULE...``: check every lazy-import target the modules declare.

The modules are read, not executed (their source is scanned for ``lazy_import``,
``LazyLoader``, ``get_lazy_loader``, ``lazy_function`` and ``attach`` calls) and each target is
looked up with ``find_spec``, also without executing it. Exit code 0 when every target
resolves, 1 when any is broken (they are named on stderr), 2 on bad usage.

    codomyrmex-perf lazy verify myapp.models myapp.cli
"""

from __future__ import annotations

import argparse
import sys


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="lazy_command", metavar="ACTION")
    verify = sub.add_parser("verify", help="check that every declared lazy target can be imported")
    verify.add_argument("modules", nargs="+", metavar="MODULE", help="dotted module names to scan")
    verify.add_argument("--quiet", "-q", action="store_true", help="print only the broken targets")
    verify.set_defaults(func=run_verify)

    def usage(_args: argparse.Namespace) -> int:
        parser.print_help()
        return 2

    parser.set_defaults(func=usage)


def run_verify(args: argparse.Namespace) -> int:
    from ..lazy._verify import verify

    for module in args.modules:
        if not all(part.isidentifier() for part in module.split(".")):
            print(f"codomyrmex-perf lazy verify: MODULE must be an absolute dotted module name like "
                  f"'myapp.models', got {module!r}", file=sys.stderr)  # fmt: skip
            return 2
    results = verify(args.modules)
    broken = [r for r in results if not r.ok]
    for r in results:
        if r.ok and not args.quiet:
            print(f"ok      {r.target}  ({r.module}, {r.declared_at})")
    for r in broken:
        what = r.target if r.target is not None else f"module {r.module}"
        print(f"BROKEN  {what}  ({r.module}, {r.declared_at}): {r.reason}", file=sys.stderr)
    checked = len(results) - sum(1 for r in results if r.target is None)
    print(f"{checked} lazy target(s) checked in {len(args.modules)} module(s), {len(broken)} broken"
          + (": " + ", ".join(r.target or r.module for r in broken) if broken else ""),
          file=sys.stderr if broken else sys.stdout)  # fmt: skip
    return 1 if broken else 0
