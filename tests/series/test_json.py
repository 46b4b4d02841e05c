"""JSON export/import of runs: documented format with a version field."""

from __future__ import annotations

import json

import pytest

from codomyrmex.performance.errors import SeriesStoreError
from codomyrmex.performance.series import (
    FORMAT,
    FORMAT_VERSION,
    BenchmarkRecord,
    RunRecord,
    dumps_runs,
    loads_runs,
)


def _runs() -> list[RunRecord]:
    return [
        RunRecord.new("s", [BenchmarkRecord("b", (0.1, 0.2), loops=3, normalized=(1.0, 2.0))],
                      environment={"hostname": "h"}, canary=0.1, timestamp=float(i))
        for i in range(3)
    ]


def test_round_trip_keeps_every_field() -> None:
    runs = _runs()
    assert loads_runs(dumps_runs(runs)) == runs


def test_document_carries_format_and_version() -> None:
    doc = json.loads(dumps_runs(_runs()))
    assert doc["format"] == FORMAT and doc["version"] == FORMAT_VERSION == 1
    assert set(doc["runs"][0]) == {"run_id", "suite", "timestamp", "environment", "canary", "benchmarks"}
    assert set(doc["runs"][0]["benchmarks"][0]) == {
        "name", "loops", "failed", "error", "samples", "normalized", "unit", "noisy"
    }


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("{", "not a JSON document"),
        ('{"runs": []}', "missing or wrong 'format' field"),
        (json.dumps({"format": FORMAT, "version": 2, "runs": []}), "unsupported .* version 2"),
        (json.dumps({"format": FORMAT, "version": 1, "runs": {}}), "'runs' must be a list"),
        (json.dumps({"format": FORMAT, "version": 1, "runs": [{"suite": "s"}]}), "run #0 is invalid"),
        (json.dumps({"format": FORMAT, "version": 1, "runs": [
            {"run_id": "r", "suite": "s", "timestamp": 1, "benchmarks": [{"name": "b", "samples": [-1]}]}]}),
         "run #0 is invalid"),
    ],
)
def test_bad_documents_are_refused(text: str, match: str) -> None:
    with pytest.raises(SeriesStoreError, match=match):
        loads_runs(text)
