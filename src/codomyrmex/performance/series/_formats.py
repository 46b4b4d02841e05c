"""One entry point for every file format runs can be imported from and exported to.

    >>> from codomyrmex.performance.series import FILE_FORMATS, detect_format
    >>> FILE_FORMATS
    ('codomyrmex', 'pyperf', 'pytest-benchmark')
    >>> detect_format('{"format": "codomyrmex-perf-runs", "version": 1, "runs": []}')
    'codomyrmex'

``codomyrmex`` is this library's own export (every run, samples, verdicts); ``pyperf`` a pyperf
suite file (one run); ``pytest-benchmark`` a ``--benchmark-json`` file (one session: one run
per test module).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import SeriesStoreError
from ._json import FORMAT, dumps_runs, loads_runs, parse_document
from ._pyperf import dumps_pyperf, is_pyperf, loads_pyperf
from ._pytest_benchmark import dumps_pytest_benchmark, is_pytest_benchmark, loads_pytest_benchmark
from ._records import RunRecord

__all__ = ["FILE_FORMATS", "detect_format", "dumps_format", "loads_format"]

FILE_FORMATS = ("codomyrmex", "pyperf", "pytest-benchmark")


def _check(fmt: str) -> None:
    if fmt not in FILE_FORMATS:
        raise SeriesStoreError(f"unknown format {fmt!r}; accepted: {', '.join(FILE_FORMATS)}")


def detect_format(text: str | bytes) -> str:
    """Which of :data:`FILE_FORMATS` the JSON document ``text`` is; SeriesStoreError if none."""
    doc = parse_document(text)
    if isinstance(doc, dict) and doc.get("format") == FORMAT:
        return "codomyrmex"
    if is_pytest_benchmark(doc):
        return "pytest-benchmark"
    if is_pyperf(doc):
        return "pyperf"
    raise SeriesStoreError(
        f"not a known benchmark file: expected a {FORMAT!r} export, a pyperf JSON file or a "
        "pytest-benchmark JSON file"
    )


def loads_format(text: str | bytes, fmt: str = "auto", *, suite: str | None = None) -> list[RunRecord]:
    """Runs from a document in ``fmt`` (``auto`` detects it). ``suite`` names the run of a pyperf
    file (required for it: pyperf files carry no suite name); for the other formats it keeps
    only that suite's runs (a pytest-benchmark suite is a test module, ``tests/test_x.py``)."""
    if fmt == "auto":
        fmt = detect_format(text)
    _check(fmt)
    if fmt == "pyperf":
        if not suite:
            raise SeriesStoreError("a pyperf file names no suite: give one (bench import --suite NAME)")
        return loads_pyperf(text, suite=suite)
    runs = loads_pytest_benchmark(text) if fmt == "pytest-benchmark" else loads_runs(text)
    return [r for r in runs if r.suite == suite] if suite else runs


def dumps_format(runs: Sequence[RunRecord], fmt: str) -> str:
    """``runs`` in ``fmt``. pyperf holds one run: give exactly one."""
    _check(fmt)
    if fmt == "pyperf":
        if len(runs) != 1:
            raise SeriesStoreError(f"a pyperf file holds one run, got {len(runs)}: select one run")
        return dumps_pyperf(runs[0], indent=None)
    if fmt == "pytest-benchmark":
        return dumps_pytest_benchmark(runs)
    return dumps_runs(runs)
