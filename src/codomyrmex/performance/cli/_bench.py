"""``codomyrmex-perf bench``: run suites, read their recorded history, export/import runs.

    codomyrmex-perf bench run examples/agent_suite.py            # default store, report table
    codomyrmex-perf bench run suite.py --fail-on-regression      # exit 1 on a regression (CI)
    codomyrmex-perf bench history agent_performance tokenize     # one benchmark's series
    codomyrmex-perf bench export -o runs.json && codomyrmex-perf bench import runs.json
    codomyrmex-perf bench compare 3f9c2a 8be01d                  # two recorded runs, per benchmark
    codomyrmex-perf bench accept agent_performance tokenize --note "slower by design"

Exit codes (the same for every subcommand, see :data:`EXIT_CODES`): 0 fine; 1 a regression
(or a comparison that could not be judged) with ``--fail-on-regression``; 2 a usage error (bad
option, unknown file or suite, a store that does not exist for a read-only command) or a
benchmark that raised (its traceback is printed, and is in ``--json``).
Read-only subcommands (history, export, compare) never create a store.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from ..errors import PerformanceError
from ..series._records import json_safe

#: the exit codes of ``codomyrmex-perf bench``, shown in ``--help``
EXIT_CODES = """exit codes:
  0  ok (no failed benchmark; without --fail-on-regression also when something regressed)
  1  a regression, or a comparison that could not be judged (with --fail-on-regression)
  2  usage error (bad option, unknown file/suite/run, missing store) or a benchmark that raised"""


def register(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EXIT_CODES
    sub = parser.add_subparsers(dest="bench_command", metavar="SUBCOMMAND", required=True)

    run = sub.add_parser("run", help="run the suites of a Python file and compare with history",
                         epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("file", help="Python file defining one or more BenchmarkSuite objects")
    run.add_argument("--store", help="SQLite store path (default: CODOMYRMEX_PERF_STORE or "
                                     "~/.local/share/codomyrmex-perf/series.sqlite3)")  # fmt: skip
    run.add_argument("--no-store", action="store_true", help="do not record or compare")
    run.add_argument("--fail-on-regression", action="store_true", help="exit 1 on a regression")
    run.add_argument("--pushgateway", help="push results to this Pushgateway URL")
    run.add_argument("--prometheus", metavar="URL",
                     help="judge against the history in this Prometheus and record the run by pushing "
                          "it to --pushgateway (or CODOMYRMEX_PERF_PUSHGATEWAY) instead of SQLite")  # fmt: skip
    run.add_argument("--lookback", type=float, default=30 * 86400.0,
                     help="with --prometheus: seconds of history to read (default 30 days)")  # fmt: skip
    run.add_argument("--json", action="store_true", help="print the runs as JSON, not a table")
    run.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                     help="a progress line on stderr (default: only when stderr is a terminal)")
    run.add_argument("--suite", action="append", help="only the suite(s) with this name")
    run.add_argument("--rounds", type=int, default=20, help="samples per benchmark (default 20)")
    run.add_argument("--warmup", type=int, default=1, help="discarded samples first (default 1)")
    run.add_argument("--min-time", type=float, default=0.005,
                     help="minimum seconds per sample (default 0.005)")  # fmt: skip
    run.add_argument("--isolate", type=int, default=0, help="take samples in N worker processes")
    run.add_argument("--measure", choices=("time", "instructions"), default="time",
                     help="time: seconds per call; instructions: CPU instructions per call under "
                          "Valgrind (deterministic on a busy machine; needs the valgrind package)")  # fmt: skip
    run.add_argument("--normalize", action="store_true",
                     help="judge canary-normalised samples (less sensitive to machine drift)")  # fmt: skip
    run.set_defaults(func=_run)

    hist = sub.add_parser("history", help="print the recorded series of a suite or benchmark")
    hist.add_argument("suite")
    hist.add_argument("benchmark", nargs="?")
    hist.add_argument("--store", help="SQLite store path")
    hist.add_argument("--prometheus", help="read from this Prometheus instead of SQLite")
    hist.add_argument("--lookback", type=float, default=30 * 86400.0,
                      help="seconds of Prometheus history to read (default 30 days)")  # fmt: skip
    hist.add_argument("--host", default=None,
                      help="only the runs recorded on this host (default: every host)")  # fmt: skip
    hist.add_argument("--json", action="store_true")
    hist.add_argument("--limit", type=int, default=50, help="last N runs (default 50)")
    hist.set_defaults(func=_history)

    exp = sub.add_parser("export", help="write recorded runs as JSON (ours, pyperf or pytest-benchmark)")
    exp.add_argument("--store", help="SQLite store path")
    exp.add_argument("--suite", help="only this suite")
    exp.add_argument("--run", metavar="ID", help="only the run whose id starts with ID")
    exp.add_argument("--format", choices=("codomyrmex", "pyperf", "pytest-benchmark"), default="codomyrmex",
                     help="codomyrmex (default: every run, with verdicts); pyperf (one run: --run, or "
                          "the latest of --suite); pytest-benchmark (--run, or the latest run of each "
                          "suite)")  # fmt: skip
    exp.add_argument("-o", "--output", help="file to write (default: stdout)")
    exp.set_defaults(func=_export)

    cmp = sub.add_parser("compare", help="compare two recorded runs benchmark by benchmark")
    cmp.add_argument("baseline", help="run id (or a unique prefix) in the store, or a JSON export of one run")
    cmp.add_argument("current", help="run id (or a unique prefix) in the store, or a JSON export of one run")
    cmp.add_argument("--store", help="SQLite store path")
    cmp.add_argument("--alpha", type=float, default=0.01, help="significance level (default 0.01)")
    cmp.add_argument("--min-effect", type=float, default=None,
                     help="smallest relative change reported (default 0.02 for seconds, 0.005 for instructions)")
    cmp.add_argument("--fail-on-regression", action="store_true", help="exit 1 on a regression")
    cmp.add_argument("--json", action="store_true")
    cmp.set_defaults(func=_compare)

    from ._accept import register_accept

    register_accept(sub)

    imp = sub.add_parser("import", help="append runs from a JSON export, a pyperf or a pytest-benchmark "
                                        "JSON file (known runs skipped)")  # fmt: skip
    imp.add_argument("file")
    imp.add_argument("--store", help="SQLite store path")
    imp.add_argument("--format", choices=("auto", "codomyrmex", "pyperf", "pytest-benchmark"), default="auto",
                     help="the file's format (default: detected)")
    imp.add_argument("--suite", help="pyperf: the suite to record the run under (default: the file name "
                                     "without .json); other formats: only this suite's runs")  # fmt: skip
    imp.set_defaults(func=_import)


def run(args: argparse.Namespace) -> int:  # the CLI contract; the subcommand sets func itself
    return int(args.func(args))


def _error(message: str) -> int:
    print(f"codomyrmex-perf bench: error: {message}", file=sys.stderr)
    return 2


class _Progress:
    """A one-line progress bar on stderr (a line per benchmark when stderr is not a terminal,
    which happens only with ``--progress``: a CI log gets no progress lines by default)."""

    def __init__(self, suite: str, stream: TextIO) -> None:
        self.suite, self.stream = suite, stream
        self.tty = stream.isatty()

    def __call__(self, done: int, total: int, name: str) -> None:
        width = 24
        filled = width * done // max(total, 1)
        bar = "#" * filled + "." * (width - filled)
        line = f"[{bar}] {done}/{total} {self.suite}" + (f" {name}" if name else " done")
        if self.tty:
            end = "\n" if done == total else ""
            self.stream.write("\r" + line.ljust(79)[:79] + end)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def _run(args: argparse.Namespace) -> int:
    from ..benchmarking import load_suites, open_store, run_benchmark

    try:
        suites = load_suites(args.file)
        if args.suite:
            unknown = set(args.suite) - {s.name for s in suites}
            if unknown:
                return _error(f"no suite named {sorted(unknown)} in {args.file}; "
                              f"found {[s.name for s in suites]}")  # fmt: skip
            suites = [s for s in suites if s.name in args.suite]
        empty = [s.name for s in suites if len(s) == 0]
        if empty:
            return _error(f"suite(s) {empty} in {args.file} have no benchmarks")
        # --store wins; otherwise a suite's own store (BenchmarkSuite(..., store=...)); otherwise
        # the default store
        if args.prometheus and (args.store or args.no_store):
            return _error("--prometheus replaces the SQLite store: drop --store/--no-store")
        store: Any
        if args.prometheus:
            from ..series import PrometheusStore

            store = PrometheusStore(pushgateway=args.pushgateway, prometheus=args.prometheus,
                                    lookback=args.lookback)
            if store.pushgateway is None:
                return _error("--prometheus records runs through a Pushgateway: "
                              "give --pushgateway URL or set CODOMYRMEX_PERF_PUSHGATEWAY")  # fmt: skip
        else:
            store = None if args.no_store or not args.store else open_store(args.store)
    except (PerformanceError, OSError) as exc:
        return _error(str(exc))
    runs = []
    recorded_in: list[str] = []
    show_progress = sys.stderr.isatty() if args.progress is None else args.progress
    for suite in suites:
        target: Any = False if args.no_store else store if store is not None else (
            suite.store if suite.store is not None else True)  # fmt: skip
        try:
            opened = open_store(target)
        except (PerformanceError, OSError) as exc:
            return _error(str(exc))
        try:
            result = run_benchmark(
                suite, rounds=args.rounds, warmup=args.warmup, min_time=args.min_time,
                isolate=args.isolate or False, store=opened if opened is not None else False,
                pushgateway=args.pushgateway, normalize=args.normalize, measure=args.measure,
                progress=_Progress(suite.name, sys.stderr) if show_progress else None,
            )  # fmt: skip
        except (PerformanceError, TypeError) as exc:
            return _error(str(exc))
        finally:
            if opened is not None and opened is not target and opened is not store:
                close = getattr(opened, "close", None)
                if close is not None:
                    close()
        runs.append(result)
        if opened is not None:
            where = str(getattr(opened, "path", None) or getattr(opened, "prometheus", opened))
            if where not in recorded_in:
                recorded_in.append(where)
        if not args.json:
            print(result.report())
            print()
    if args.json:
        print(json.dumps(json_safe([r.to_dict() for r in runs]), indent=2, default=str, allow_nan=False))
    elif recorded_in:
        print(f"recorded in {', '.join(recorded_in)}")
    failed = [f"{r.suite}/{name}" for r in runs for name in r.failed]
    regressed = any(r.regressions or r.check_errors for r in runs)
    if failed:  # a benchmark that raised is an error of the input (2), never a regression (1)
        return _error(f"{len(failed)} benchmark{'' if len(failed) == 1 else 's'} raised: "
                      f"{', '.join(failed)} (traceback above)")  # fmt: skip
    return 1 if args.fail_on_regression and regressed else 0


def _existing_store(path: str | None) -> Any:
    """The SQLite store at ``path`` (default: the configured one) for a read-only command: a path
    that does not exist is an error naming it, never a new empty store (a typo would otherwise
    leave a file behind and report "no runs")."""
    from .. import env
    from ..errors import SeriesStoreError
    from ..series import SQLiteStore

    where = Path(path).expanduser() if path else env.default_store_path()
    if not where.is_file():
        hint = "" if path else " (the default store; give --store PATH or set CODOMYRMEX_PERF_STORE)"
        raise SeriesStoreError(f"store {str(where)!r} does not exist{hint}; nothing was created")
    return SQLiteStore(where)


def _fmt_time(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))


def _history(args: argparse.Namespace) -> int:
    from ..benchmarking import format_seconds
    from ..regression import find_change_points
    from ..series import PrometheusStore

    if args.limit < 1:
        return _error(f"--limit must be a number of runs >= 1, got {args.limit}")
    try:
        if args.prometheus:
            store: Any = PrometheusStore(prometheus=args.prometheus, lookback=args.lookback, host=args.host)
            benchmarks = [args.benchmark] if args.benchmark else []
            if not benchmarks:
                return _error("--prometheus needs a BENCHMARK name")
        else:
            store = _existing_store(args.store)
            if args.suite not in store.suites():
                known = ", ".join(store.suites()) or "none"
                return _error(f"no runs of suite {args.suite!r} in {store.path} (suites: {known})")
            benchmarks = [args.benchmark] if args.benchmark else store.benchmarks(args.suite)
        out: dict[str, Any] = {}
        for bench in benchmarks:
            points = store.history(args.suite, bench, limit=args.limit, host=args.host)
            if not points and args.benchmark:
                return _error(f"no successful runs of {args.suite}/{bench}")
            changes = set(find_change_points([p.median for p in points])) if points else set()
            out[bench] = (points, changes)
    except PerformanceError as exc:
        return _error(str(exc))
    if args.json:
        print(json.dumps({b: [{"timestamp": p.timestamp, "run_id": p.run_id, "median": p.median,
                               "normalized_median": p.normalized_median, "change_point": i in ch}
                              for i, p in enumerate(pts)]
                          for b, (pts, ch) in out.items()}, indent=2))  # fmt: skip
        return 0
    from ._accept import acceptance_lines

    try:
        accepted = [] if args.prometheus else acceptance_lines(store, args.suite, args.benchmark)
    except PerformanceError as exc:
        return _error(str(exc))
    for bench, (points, changes) in out.items():
        where = f", change point{'' if len(changes) == 1 else 's'} at {', '.join(map(str, sorted(changes)))}" if changes else ", no change point"
        if not points:  # every recorded run of it failed
            print(f"{args.suite}/{bench}: no successful run")
            continue
        print(f"{args.suite}/{bench}: {len(points)} run{'' if len(points) == 1 else 's'}{where}")
        print(f"  {'#':>3}  {'time':19}  {'run':12}  {'median':>10}  {'normalised':>10}")
        for i, p in enumerate(points):
            mark = ("  <- new level" if i in changes else "") + ("  (noisy: not a baseline)" if p.noisy else "")
            norm = f"{p.normalized_median:.4f}" if p.normalized_median is not None else "-"
            print(f"  {i:>3}  {_fmt_time(p.timestamp)}  {(p.run_id or '-')[:12]:12}  "
                  f"{format_seconds(p.median):>10}  {norm:>10}{mark}")  # fmt: skip
    if accepted:
        print(f"accepted changes of {args.suite}:")
        print("\n".join(accepted))
    elif args.prometheus:  # no line here would read as "nothing was accepted"
        print("accepted changes: not kept in Prometheus (a Pushgateway keeps only the last value)")
    return 0


def _carried(accepted: list[Any], runs: list[Any], whole_store: bool) -> list[Any]:
    """The acceptances that belong with the exported ``runs``: all of them when the whole store
    (or a whole suite) is exported; otherwise those of the exported suites that apply to an
    exported benchmark (or to the whole suite)."""
    if whole_store:
        return accepted
    names = {(r.suite, b.name) for r in runs for b in r.benchmarks}
    suites = {r.suite for r in runs}
    return [a for a in accepted
            if a.suite in suites and (a.benchmark is None or (a.suite, a.benchmark) in names)]  # fmt: skip


def _export(args: argparse.Namespace) -> int:
    from ..series import dumps_format, dumps_runs

    try:
        with _existing_store(args.store) as store:
            runs = store.runs(args.suite)
            accepted = store.acceptances(args.suite)
        if args.run:
            runs = [r for r in runs if r.run_id.startswith(args.run)]
            if len(runs) != 1:
                what = "no run" if not runs else f"{len(runs)} runs"
                return _error(f"{what} with an id starting with {args.run!r}"
                              + (f" in suite {args.suite!r}" if args.suite else ""))  # fmt: skip
        elif args.format != "codomyrmex":
            # a foreign file is one session: the latest run of each suite (runs are oldest first)
            runs = list({r.suite: r for r in runs}.values())
            if not runs:
                return _error("no recorded runs to export" + (f" of suite {args.suite!r}" if args.suite else ""))
            if args.format == "pyperf" and len(runs) > 1:
                return _error(f"a pyperf file holds one run; the store has {len(runs)} suites "
                              f"({', '.join(r.suite for r in runs)}): give --suite or --run")  # fmt: skip
        # the recorded acceptances go with the runs: without them an accepted level would be a
        # regression again in the store the file is imported into
        carried = _carried(accepted, runs, whole_store=not args.run and args.format == "codomyrmex")
        if args.format == "codomyrmex":
            text = dumps_runs(runs, acceptances=carried)
        else:
            text = dumps_format(runs, args.format)
    except PerformanceError as exc:
        return _error(str(exc))
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    if carried and args.format != "codomyrmex":
        # pyperf and pytest-benchmark files have no place for them: the file is still useful to
        # those tools, so it is written, but what it leaves behind is said
        n, of = len(carried), ", ".join(sorted({a.suite for a in carried}))
        print(f"codomyrmex-perf bench export: warning: {n} acceptance{'' if n == 1 else 's'} (of {of}) "
              f"not carried: a {args.format} file cannot hold acceptances; --format codomyrmex keeps "
              "them", file=sys.stderr)  # fmt: skip
    return 0


def _import(args: argparse.Namespace) -> int:
    from ..series import SQLiteStore, detect_format, loads_acceptances, loads_format

    try:
        text = Path(args.file).read_text(encoding="utf-8")
    except OSError as exc:
        return _error(f"cannot read {args.file!r}: {exc.strerror or exc}")
    try:
        fmt = detect_format(text) if args.format == "auto" else args.format
        # a pyperf file names no suite: by default the file's name (timeit.json -> "timeit")
        suite = args.suite or (Path(args.file).stem if fmt == "pyperf" else None)
        runs = loads_format(text, fmt, suite=suite)
        accepted = loads_acceptances(text) if fmt == "codomyrmex" else []
        if suite:
            accepted = [a for a in accepted if a.suite == suite]
        with SQLiteStore(args.store) if args.store else SQLiteStore() as store:
            # one transaction: all new runs and acceptances of the file are appended, or none
            added, added_acc = store.merge(runs, accepted)
    except PerformanceError as exc:
        return _error(str(exc))
    line = f"imported {added} run(s), skipped {len(runs) - added} already recorded"
    if fmt == "codomyrmex":
        line += f"; {added_acc} acceptance(s), skipped {len(accepted) - added_acc}"
    print(line)
    return 0


def _find_run(ref: str, store: Any) -> Any:
    from ..errors import SeriesStoreError
    from ..series import detect_format, loads_format

    path = Path(ref)
    if path.suffix == ".json" or path.is_file():
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise SeriesStoreError(f"cannot read {ref!r}: {exc.strerror or exc}") from exc
        # our export, a pyperf file (as `pyperf compare_to` takes) or a pytest-benchmark file
        fmt = detect_format(text)
        runs = loads_format(text, fmt, suite=path.stem if fmt == "pyperf" else None)
        if len(runs) != 1:
            raise SeriesStoreError(f"{ref!r} holds {len(runs)} runs; export one run, or give a run id")
        return runs[0]
    if store is None:
        raise SeriesStoreError(f"{ref!r} is not a file and no store is open")
    matches = [r for r in store.runs() if r.run_id.startswith(ref)]
    if len(matches) != 1:
        what = "no run" if not matches else f"{len(matches)} runs"
        raise SeriesStoreError(f"{what} in {store.path} with an id starting with {ref!r}")
    return matches[0]


def _compare(args: argparse.Namespace) -> int:
    """Two recorded runs benchmark by benchmark, judged with the run-to-run spread of the
    recorded history (see :mod:`._compare_runs`)."""
    from ._compare_runs import run_compare

    return run_compare(args)
