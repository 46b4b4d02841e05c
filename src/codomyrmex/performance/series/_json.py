"""Export and import recorded runs as JSON.

Format (``version`` 1)::

    {
      "format": "codomyrmex-perf-runs",
      "version": 1,
      "runs": [
        {"run_id": "9f1c…", "suite": "agent_performance", "timestamp": 1764150000.0,
         "environment": {"python": "3.11.9", "hostname": "ci-1", …},
         "canary": 0.00123,
         "benchmarks": [{"name": "tokenize", "loops": 200, "failed": false, "error": null,
                         "samples": [1.1e-05, …], "normalized": [0.0089, …],
                         "judgement": {"verdict": "unchanged", "note": null, "baseline": 1.09e-05,
                                       "change": 0.009, "baseline_runs": 10, "drift": 0.02,
                                       "normalized": false, "detail": {…}},
                         "unit": "seconds", "noisy": false}]}
      ],
      "acceptances": [{"suite": "agent_performance", "benchmark": "tokenize", "unit": "seconds",
                       "host": null, "timestamp": 1764160000.0, "who": "ana",
                       "note": "new tokenizer is intentionally slower"}]
    }

``samples`` are seconds per call; ``normalized`` the same samples divided by the canary time
measured around that benchmark (``canary`` is the run's median canary time). ``judgement``
(optional; absent for runs recorded before verdicts were stored) is what the regression gate
decided when the run was recorded: ``verdict`` (regression/improvement/unchanged/inconclusive,
``new`` without enough history, ``error`` when it could not be judged), its ``note``, the baseline
median in seconds, the relative ``change``, how many recorded runs formed the baseline, their
relative run-to-run σ (``drift``), whether canary-normalised values were judged, and ``detail``
(the full verdict: p-values, confidence interval, alpha, min_effect, method). ``unit`` is
``seconds`` or ``instructions`` (absent in older documents: seconds); ``noisy`` marks a result
the machine disturbed (absent: false). ``acceptances`` (optional) are the recorded decisions that
a change is intended (:meth:`SQLiteStore.accept`); ``bench export`` writes those of the exported
suites, without them an accepted level would be a regression again where the file is imported.
Non-finite numbers are written as ``null``. Importing (:meth:`SQLiteStore.merge`) appends runs
whose ``run_id`` the store does not hold yet and acceptances it does not hold yet (same suite,
benchmark, unit, host, time, who and note), and skips the others, so importing the same file
twice records nothing twice.

    >>> from codomyrmex.performance.series import dumps_runs, loads_runs
    >>> loads_runs(dumps_runs([]))
    []
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from ..errors import SeriesStoreError
from ._records import Acceptance, RunRecord

__all__ = ["FORMAT", "FORMAT_VERSION", "dumps_runs", "loads_acceptances", "loads_runs"]

FORMAT = "codomyrmex-perf-runs"
FORMAT_VERSION = 1

T = TypeVar("T")


def dumps_runs(
    runs: Iterable[RunRecord], *, indent: int | None = 2, acceptances: Iterable[Acceptance] = ()
) -> str:
    """The JSON document for ``runs`` (and ``acceptances``, if any)."""
    doc: dict[str, Any] = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "runs": [r.to_dict() for r in runs],
    }
    accepted = [a.to_dict() for a in acceptances]
    if accepted:
        doc["acceptances"] = accepted
    return json.dumps(doc, indent=indent, sort_keys=False)


def loads_acceptances(text: str | bytes) -> list[Acceptance]:
    """The acceptances of a document written by :func:`dumps_runs` (empty if it has none)."""
    return _items(_document(text), "acceptances", "acceptance", Acceptance.from_dict, [])


def loads_runs(text: str | bytes) -> list[RunRecord]:
    """Parse a document written by :func:`dumps_runs`; raises SeriesStoreError on anything else."""
    return _items(_document(text), "runs", "run", RunRecord.from_dict)


def _items(
    doc: dict[str, Any], field: str, item: str, from_dict: Callable[[Any], T], default: Any = None
) -> list[T]:
    """``doc[field]``, a list, read with ``from_dict``; a bad entry is named by its index."""
    entries = doc.get(field, default)
    if not isinstance(entries, list):
        raise SeriesStoreError(f"{field!r} must be a list")
    out: list[T] = []
    for i, entry in enumerate(entries):
        try:
            out.append(from_dict(entry))
        except (KeyError, TypeError, ValueError) as exc:
            raise SeriesStoreError(f"{item} #{i} is invalid: {exc!r}") from exc
    return out


def parse_document(text: str | bytes) -> Any:
    """The JSON document ``text``, parsed; a SeriesStoreError when it is not JSON. Every reader
    of a benchmark file in this package parses through here (or :func:`load_document`)."""
    try:
        return json.loads(text)
    except ValueError as exc:
        raise SeriesStoreError(f"not a JSON document: {exc}") from exc


def load_document(text: str | bytes, is_kind: Callable[[Any], bool], kind: str, needs: str) -> Any:
    """The JSON document ``text`` if ``is_kind`` accepts it, else a SeriesStoreError naming the
    ``kind`` expected and what it ``needs``::

        >>> load_document('{"runs": []}', lambda doc: "format" in doc, "demo", "needs 'format'")
        Traceback (most recent call last):
        ...
        codomyrmex.performance.errors.SeriesStoreError: not a demo document (needs 'format')
    """
    doc = parse_document(text)
    if not is_kind(doc):
        raise SeriesStoreError(f"not a {kind} document ({needs})")
    return doc


def _is_ours(doc: Any) -> bool:
    return isinstance(doc, dict) and doc.get("format") == FORMAT


def _document(text: str | bytes) -> dict[str, Any]:
    doc: dict[str, Any] = load_document(text, _is_ours, repr(FORMAT), "missing or wrong 'format' field")
    version = doc.get("version")
    if version != FORMAT_VERSION:
        raise SeriesStoreError(
            f"unsupported {FORMAT!r} version {version!r}; this library reads version {FORMAT_VERSION}"
        )
    return doc
