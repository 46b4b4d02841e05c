"""Speed of lazy imports and of the import recorder, as ratios against references, in one run.

    .venv/bin/python benchmarks/bench_lazy.py [--quick]

Rows (medians of interleaved repeats; ratio = ours / reference):

- declaration: ``lazy_import(name)`` vs the ``importlib.util.LazyLoader`` recipe (target: ours
  <= 5 us);
- attribute access after load through the lazy proxy vs a plainly imported module (target
  <= 1.1x), vs an ``importlib.util.LazyLoader`` module after load, and vs the ``lazy_loader``
  package if it is installed; plus the alias case (module already imported by someone else):
  through the declaring module's global, which the first use rebinds to the real module, and
  through a reference held elsewhere, which forwards every access;
- recorder overhead: CPU time of ``import numpy`` in fresh processes with and without the
  recorder, >= 15 interleaved pairs (target <= 3 %);
- span conversion: exporting a recorded import as a span, per import, vs one bare SDK span;
- accuracy: the recorder's top-10 numpy modules by cumulative time vs ``-X importtime``'s.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

from codomyrmex.performance import lazy_import

QUICK = "--quick" in sys.argv
REPEATS = 5 if QUICK else 11
PROCESS_PAIRS = 15 if QUICK else 21


def _interleaved(fns: dict[str, Callable[[], float]], repeats: int = REPEATS) -> dict[str, float]:
    """Median of ``repeats`` rounds; each round runs every function once, in turn."""
    samples: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeats):
        for key, fn in fns.items():
            samples[key].append(fn())
    return {k: statistics.median(v) for k, v in samples.items()}


def _per_call(stmt: str, env: dict[str, Any], number: int) -> Callable[[], float]:
    timer = timeit.Timer(stmt, globals=env)
    return lambda: timer.timeit(number) / number


def _write_modules(root: Path, names: list[str]) -> None:
    for name in names:
        (root / f"{name}.py").write_text("VALUE = 1\n\ndef fn():\n    return 1\n")
    importlib.invalidate_caches()


def _importlib_lazy(name: str) -> Any:
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.loader is not None
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def bench_declaration(rows: list[tuple[str, ...]]) -> None:
    number = 2_000 if QUICK else 20_000
    times = _interleaved({
        "ours": _per_call("lazy_import('bench_decl_target')", {"lazy_import": lazy_import}, number),
        "importlib": _per_call("f('json')", {"f": _importlib_lazy}, number // 10),
    })  # fmt: skip
    rows.append(("declaration: lazy_import vs importlib.util.LazyLoader recipe",
                 f"{times['ours'] * 1e6:.2f} us", f"{times['importlib'] * 1e6:.2f} us",
                 f"{times['ours'] / times['importlib']:.2f}x", "ours <= 5 us"))  # fmt: skip


def bench_attribute_access(rows: list[tuple[str, ...]], root: Path) -> None:
    names = ["bench_plain", "bench_ours", "bench_importlib", "bench_alias", "bench_lazyloader"]
    _write_modules(root, names)
    plain = importlib.import_module("bench_plain")
    ours = lazy_import("bench_ours")
    ours.VALUE  # noqa: B018 - load it
    reference = _importlib_lazy("bench_importlib")
    sys.modules["bench_importlib"] = reference
    reference.VALUE  # noqa: B018
    (root / "bench_alias_user.py").write_text(
        "from codomyrmex.performance import lazy_import\nm = lazy_import('bench_alias')\nheld = [m]\n"
    )
    importlib.invalidate_caches()
    user = importlib.import_module("bench_alias_user")
    # imported elsewhere between the declaration and the first use (a module imported before
    # the declaration is returned by lazy_import as it is: no alias)
    importlib.import_module("bench_alias")
    alias = user.held[0]
    timeit.Timer("m.VALUE", globals=user.__dict__).timeit(1)  # first use: loads, rebinds user.m
    assert user.m is sys.modules["bench_alias"] and alias is not user.m
    targets: dict[str, Any] = {"plain": plain, "ours": ours, "importlib": reference, "alias": alias}
    if importlib.util.find_spec("lazy_loader") is not None:
        import lazy_loader

        other = lazy_loader.load("bench_lazyloader")
        other.VALUE  # noqa: B018
        targets["lazy_loader"] = other
    number = 200_000 if QUICK else 2_000_000
    fns = {k: _per_call("m.VALUE", {"m": v}, number) for k, v in targets.items()}
    fns["alias_global"] = _per_call("m.VALUE", user.__dict__, number)
    times = _interleaved(fns)
    base = times["plain"]
    rows.append(("attribute after load: lazy proxy vs plain module", f"{times['ours'] * 1e9:.1f} ns",
                 f"{base * 1e9:.1f} ns", f"{times['ours'] / base:.2f}x", "<= 1.1x"))  # fmt: skip
    rows.append(("attribute after load: lazy proxy vs importlib.util.LazyLoader", f"{times['ours'] * 1e9:.1f} ns",
                 f"{times['importlib'] * 1e9:.1f} ns", f"{times['ours'] / times['importlib']:.2f}x", "report"))  # fmt: skip
    if "lazy_loader" in times:
        rows.append(("attribute after load: lazy proxy vs lazy_loader.load", f"{times['ours'] * 1e9:.1f} ns",
                     f"{times['lazy_loader'] * 1e9:.1f} ns", f"{times['ours'] / times['lazy_loader']:.2f}x", "report"))  # fmt: skip
    else:
        rows.append(("attribute after load: lazy proxy vs lazy_loader.load", "-", "not installed", "-", "report"))
    rows.append(("attribute after load: alias (imported elsewhere first), declaring global vs plain",
                 f"{times['alias_global'] * 1e9:.1f} ns", f"{base * 1e9:.1f} ns",
                 f"{times['alias_global'] / base:.2f}x", "<= 1.1x"))  # fmt: skip
    rows.append(("attribute after load: alias held elsewhere (forwarded) vs plain", f"{times['alias'] * 1e9:.1f} ns",
                 f"{base * 1e9:.1f} ns", f"{times['alias'] / base:.2f}x", "report"))  # fmt: skip


CHILD = """
import sys, time
from codomyrmex.performance.importtime import _recorder
prof = _recorder.install() if sys.argv[1] == "1" else None
t0 = time.process_time()
import numpy
t1 = time.process_time()
print(t1 - t0)
"""


def bench_recorder_overhead(rows: list[tuple[str, ...]]) -> None:
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    samples: dict[str, list[float]] = {"0": [], "1": []}
    for i in range(PROCESS_PAIRS):
        order = ("0", "1") if i % 2 == 0 else ("1", "0")
        for mode in order:
            out = subprocess.run([sys.executable, "-c", CHILD, mode], capture_output=True, text=True,
                                 check=True, env=env)  # fmt: skip
            samples[mode].append(float(out.stdout.strip()))
    off, on = statistics.median(samples["0"]), statistics.median(samples["1"])
    rows.append((f"recorder overhead: CPU time of `import numpy`, {PROCESS_PAIRS} interleaved process pairs",
                 f"{on * 1e3:.1f} ms", f"{off * 1e3:.1f} ms", f"{(on / off - 1) * 100:+.1f} %", "<= +3 %"))  # fmt: skip


def bench_span_conversion(rows: list[tuple[str, ...]], root: Path) -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from codomyrmex.performance import telemetry
    from codomyrmex.performance.importtime import profile_imports

    pkg = root / "bench_spans"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("".join(f"from . import m{i}\n" for i in range(299)))
    for i in range(299):
        (pkg / f"m{i}.py").write_text("X = 1\n")
    importlib.invalidate_caches()
    with profile_imports() as prof:
        importlib.import_module("bench_spans")
    n = len(prof.records)
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    telemetry.use_providers(tracer_provider=provider)
    tracer = provider.get_tracer("bench")
    try:
        def convert() -> float:
            start = timeit.default_timer()
            prof.export_spans(under_current_span=True)
            elapsed = timeit.default_timer() - start
            exporter.clear()
            return elapsed / n

        def bare() -> float:
            start = timeit.default_timer()
            for _ in range(n):
                tracer.start_span("x").end()
            elapsed = timeit.default_timer() - start
            exporter.clear()
            return elapsed / n

        times = _interleaved({"ours": convert, "bare": bare})
    finally:
        telemetry.use_providers()
        provider.shutdown()
    rows.append((f"span conversion per recorded import ({n} imports) vs one bare SDK span",
                 f"{times['ours'] * 1e6:.1f} us", f"{times['bare'] * 1e6:.1f} us",
                 f"{times['ours'] / times['bare']:.2f}x", "report"))  # fmt: skip


ACCURACY = """
import json
from codomyrmex.performance.importtime import profile_imports
with profile_imports() as prof:
    import numpy
print(json.dumps(prof.top_modules(10, under="numpy")))
"""


def bench_accuracy(rows: list[tuple[str, ...]]) -> None:
    """Top-10 modules by cumulative time under numpy: the recorder vs ``-X importtime``, in the
    same process (same import events) and in separate processes (different runs)."""
    import json

    from codomyrmex.performance.importtime import parse_importtime

    def top10(text: str) -> set[str]:
        prof = parse_importtime(text)
        return set(prof.top_modules(10, under="numpy"))

    same = subprocess.run([sys.executable, "-X", "importtime", "-c", ACCURACY], capture_output=True,
                          text=True, check=True)  # fmt: skip
    ours = set(json.loads(same.stdout))
    other = subprocess.run([sys.executable, "-X", "importtime", "-c", "import numpy"], capture_output=True,
                           text=True, check=True)  # fmt: skip
    rows.append(("accuracy: numpy top-10 by cumulative shared with -X importtime (same process)",
                 f"{len(ours & top10(same.stderr))}/10", "-", "-", ">= 8/10"))  # fmt: skip
    rows.append(("accuracy: numpy top-10 by cumulative shared with -X importtime (other process)",
                 f"{len(ours & top10(other.stderr))}/10", "-", "-", ">= 8/10"))  # fmt: skip


def main() -> None:
    rows: list[tuple[str, ...]] = []
    with tempfile.TemporaryDirectory() as tmp:
        sys.path.insert(0, tmp)
        root = Path(tmp)
        bench_declaration(rows)
        bench_attribute_access(rows, root)
        bench_span_conversion(rows, root)
        bench_recorder_overhead(rows)
        bench_accuracy(rows)
    header = ("measurement", "ours", "reference", "ratio", "target")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"
    print(f"bench_lazy (Python {sys.version.split()[0]}, repeats={REPEATS}, process pairs={PROCESS_PAIRS})")
    print(line)
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")


if __name__ == "__main__":
    main()
