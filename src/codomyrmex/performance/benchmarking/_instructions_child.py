"""The program that instruction mode runs under Valgrind (``python _instructions_child.py SPEC``).

It loads the benchmarks, runs each one's setup and warms it up (8 times its loop count, see
``_warmup_calls``), in suite order. Then, for every benchmark ``k`` that did not fail, it runs
``1 + 2 * pairs`` segments (``pairs`` from the spec), each ended by ``os.sched_yield()``, where callgrind
(``--dump-before=sched_yield``) writes the instructions counted since the previous marker:

    marker | loops_k | marker | loops_k | marker | 2 * loops_k | marker | loops_k | ... (pairs pairs)

The first segment absorbs the bookkeeping between benchmarks; in each pair the two segments are
reached by the same code and differ only in the loop count, so ``(count(2 * loops) -
count(loops)) / loops_k`` is the cost of one warmed-up call: interpreter start, imports, setup,
warmup and the markers are not in it. The parent takes the median over the pairs, so that a
one-off event inside one segment (once 0.6 % of a small segment in a CI run, cause not pinned
down) cannot move the result. A ``setup_per_round`` benchmark's pairs are ``loops`` setups
without, and with the call after each setup.

This file is run by path, not imported as part of the package: only a benchmark loaded from a
suite file pulls in ``codomyrmex.performance``. It writes which benchmarks were measured (in
order) and what failed to ``<SPEC>.json``.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import traceback
from itertools import repeat
from typing import Any


def _load(spec: dict[str, Any]) -> list[Any]:
    names: list[str] = spec["benchmarks"]
    if spec.get("source"):
        from codomyrmex.performance.benchmarking._suite import load_suites

        for suite in load_suites(spec["source"]):
            if suite.name == spec["suite"]:
                found = {b.name: b for b in suite.benchmarks}
                return [found[n] for n in names]
        raise LookupError(f"suite {spec['suite']!r} is not in {spec['source']!r} any more")
    import base64
    import pickle

    benches: list[Any] = pickle.loads(base64.b64decode(spec["pickle"]))  # our own spec file
    return benches


def _loop(call: Any, loops: int) -> None:
    # repeat(), not range(): range yields cached small ints below 257 and new ones above, so the
    # loop's own cost per call would depend on the loop count (timeit loops the same way)
    for _ in repeat(None, loops):
        call()


def _per_round(prepare: Any, loops: int, with_call: bool) -> None:
    for _ in repeat(None, loops):
        call = prepare()
        if with_call:
            call()


def _segment(run: Any, call: Any, segment: tuple[int, bool | None], done: list[int]) -> None:
    """One segment: ``run`` ``call`` for ``segment`` = (calls, with_call), then the marker."""
    n, with_call = segment
    try:
        if with_call is None:
            run(call, n)
        else:
            run(call, n, with_call)
    finally:
        done[0] += 1
        os.sched_yield()  # callgrind dumps the segment's count here (--dump-before=sched_yield)


#: the adaptive interpreter (3.12+) retries an instruction it failed to specialise after 2, 4,
#: 8, ... 4096 executions; until each instruction has run ~8,000 times those retries thin out,
#: so a segment measured earlier costs more per call than one measured later and the difference
#: of the two is off (3.13: reps ~0.5 %, a per-round pop ~1.5 %). Warming up with 8 times the
#: loop count (at most the calls that take 8,192 executions of a once-per-call instruction)
#: brings both measured segments into the steady state.
_WARMUP_FACTOR, _WARMUP_CALLS = 8, 8_192


def _warmup_calls(loops: int) -> int:
    return max(loops, min(_WARMUP_CALLS, _WARMUP_FACTOR * loops))


def main() -> int:
    spec_path = sys.argv[1]
    with open(spec_path, encoding="utf-8") as fh:
        spec = json.load(fh)
    # the parent's import path, so that the benchmarks' modules are found as they were there
    sys.path[:] = list(spec["sys_path"])
    errors: dict[str, str] = {}
    benches = _load(spec)
    loops: list[int] = spec["loops"]
    # measured (loops, 2 * loops) pairs per benchmark (the parent takes their median), and the
    # segments (markers) per measured benchmark, the first absorbing the bookkeeping
    pairs: int = spec["pairs"]
    segments = 1 + 2 * pairs
    calls: list[Any] = []
    # the collector stays off while benchmarks run (as in time mode) unless gc=True
    if not spec["gc"]:
        gc.disable()
    for bench, n in zip(benches, loops, strict=True):
        warm = _warmup_calls(n)
        try:
            if bench.setup_per_round:
                _per_round(bench.prepare, warm, False)
                _per_round(bench.prepare, warm, True)
                calls.append(bench.prepare)
            else:
                call = bench.prepare()
                _loop(call, warm)
                calls.append(call)
        except (Exception, SystemExit) as exc:
            errors[bench.name] = f"{type(exc).__name__}: {exc}"
            calls.append(None)
    measured: list[str] = []
    os.sched_yield()  # the first marker: everything before it is start-up
    for bench, call, n in zip(benches, calls, loops, strict=True):
        if call is None:
            continue
        measured.append(bench.name)
        # (calls, with_call) of a pair's two segments: they differ only in the loop count, or,
        # per round, in whether the call is made after each setup
        run: Any
        low: tuple[int, bool | None]
        high: tuple[int, bool | None]
        if bench.setup_per_round:
            run, low, high = _per_round, (n, False), (n, True)
        else:
            run, low, high = _loop, (n, None), (2 * n, None)
        done = [0]
        try:
            # segments, each ending in a marker; the first absorbs this loop's own
            # bookkeeping, so the two of each pair are reached by exactly the same code
            _segment(run, call, low, done)
            for _ in range(pairs):
                _segment(run, call, low, done)
                _segment(run, call, high, done)
        except (Exception, SystemExit) as exc:
            errors[bench.name] = f"{type(exc).__name__}: {exc}"
            for _ in range(segments - done[0]):  # keep the markers in step with the parent
                os.sched_yield()
    with open(f"{spec_path}.json", "w", encoding="utf-8") as fh:
        json.dump({"errors": errors, "measured": measured}, fh)
    return 0


if __name__ == "__main__":
    try:
        status = main()
    except BaseException:  # the parent reads the traceback from stderr
        traceback.print_exc()
        status = 3
    sys.exit(status)
