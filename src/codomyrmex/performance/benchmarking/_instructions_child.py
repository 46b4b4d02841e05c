"""The program that instruction mode runs under Valgrind (``python _instructions_child.py SPEC TAG``).

Every process of one measurement does exactly the same work: load the benchmarks, run each
one's setup and warm it up for its own loop count, in suite order. Then, depending on ``TAG``:

* ``B000000`` (the baseline) runs every benchmark for its loop count once more;
* ``L000007`` does the same, but benchmark 7 for twice its loop count;
* ``S000007`` / ``C000007`` (a ``setup_per_round`` benchmark) run its setup ``loops`` times,
  without / with the call after each setup.

So ``(count(L k) - count(B)) / loops_k``, two processes taking the same code path with
benchmark ``k`` called ``2 loops_k`` and ``3 loops_k`` times, is the cost of one warmed-up call of benchmark ``k``:
interpreter start, imports, every setup and every warmup cancel out. Tags have a fixed width so
that the command line, and with it the start of the stack, is the same in every process.

This file is run by path, not imported as part of the package: only a benchmark loaded from a
suite file pulls in ``codomyrmex.performance``, and then in every process alike. It writes what
failed to ``<SPEC>.<TAG>.json`` (a failure is deterministic, so it fails in every process).
"""

from __future__ import annotations

import gc
import json
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


def main() -> int:
    spec_path, tag = sys.argv[1], sys.argv[2]
    with open(spec_path, encoding="utf-8") as fh:
        spec = json.load(fh)
    # the parent's import path, so that the benchmarks' modules are found as they were there
    sys.path[:] = list(spec["sys_path"])
    errors: dict[str, str] = {}
    benches = _load(spec)
    loops: list[int] = spec["loops"]
    use_gc: bool = spec["gc"]
    calls: list[Any] = []
    # the collector stays off while benchmarks run (as in time mode) unless gc=True
    if not use_gc:
        gc.disable()
    for bench, n in zip(benches, loops, strict=True):
        try:
            if bench.setup_per_round:
                for _ in range(spec["warmup"]):
                    bench.prepare()()
                calls.append(bench.prepare)
            else:
                call = bench.prepare()
                _loop(call, n)
                calls.append(call)
        except (Exception, SystemExit) as exc:
            errors[bench.name] = f"{type(exc).__name__}: {exc}"
            calls.append(None)
    kind, index = tag[0], int(tag[1:])
    if kind in "BL":
        # every process loops every benchmark once more, the one being measured twice as often:
        # both counts then take exactly the same code path, and only the loop count differs
        for k, (bench, call, n) in enumerate(zip(benches, calls, loops, strict=True)):
            if call is None or bench.setup_per_round:
                continue
            try:
                _loop(call, 2 * n if kind == "L" and k == index else n)
            except (Exception, SystemExit) as exc:
                errors[bench.name] = f"{type(exc).__name__}: {exc}"
    elif calls[index] is not None:
        bench, call, n = benches[index], calls[index], loops[index]
        try:
            if kind == "S":
                for _ in repeat(None, n):
                    call()
            else:  # "C": setup, then the call it prepared
                for _ in repeat(None, n):
                    call()()
        except (Exception, SystemExit) as exc:
            errors[bench.name] = f"{type(exc).__name__}: {exc}"
    with open(f"{spec_path}.{tag}.json", "w", encoding="utf-8") as fh:
        json.dump({"errors": errors}, fh)
    return 0


if __name__ == "__main__":
    try:
        status = main()
    except BaseException:  # the parent reads the traceback from stderr
        traceback.print_exc()
        status = 3
    sys.exit(status)
