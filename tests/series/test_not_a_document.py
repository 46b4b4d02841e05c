"""Every reader of a benchmark file refuses text that is not JSON, or not its kind of document,
with a SeriesStoreError that names the kind it expected (one parser serves them all)."""

from __future__ import annotations

import json

import pytest

from codomyrmex.performance.errors import SeriesStoreError
from codomyrmex.performance.series import detect_format, loads_acceptances, loads_format, loads_runs
from codomyrmex.performance.series._pyperf import loads_pyperf
from codomyrmex.performance.series._pytest_benchmark import loads_pytest_benchmark

PYPERF = json.dumps({"version": "1.0", "benchmarks": [], "metadata": {"date": "2026-01-01T00:00:00"}})
PYTEST_BENCHMARK = json.dumps({"machine_info": {}, "benchmarks": [], "datetime": "2026-01-01T00:00:00"})

READERS = {
    "pyperf": lambda text: loads_pyperf(text, suite="s"),
    "pytest-benchmark": loads_pytest_benchmark,
    "codomyrmex runs": loads_runs,
    "codomyrmex acceptances": loads_acceptances,
    "detect_format": detect_format,
    "loads_format auto": loads_format,
}


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("text", ["{", b"\xff", "", "[1,"])
def test_text_that_is_not_json_is_refused_by_every_reader(reader: str, text: str | bytes) -> None:
    try:
        json.loads(text)
    except ValueError as exc:
        expected = f"not a JSON document: {exc}"
    with pytest.raises(SeriesStoreError) as info:
        READERS[reader](text)
    assert str(info.value) == expected
    assert isinstance(info.value.__cause__, ValueError)


@pytest.mark.parametrize(
    ("reader", "text", "message"),
    [
        ("pyperf", PYTEST_BENCHMARK,
         "not a pyperf document (needs 'version' 1.x and a 'benchmarks' list)"),
        ("pyperf", "[]", "not a pyperf document (needs 'version' 1.x and a 'benchmarks' list)"),
        ("pytest-benchmark", PYPERF,
         "not a pytest-benchmark document (needs 'machine_info' and a 'benchmarks' list)"),
        ("pytest-benchmark", "null",
         "not a pytest-benchmark document (needs 'machine_info' and a 'benchmarks' list)"),
        ("codomyrmex runs", PYPERF,
         "not a 'codomyrmex-perf-runs' document (missing or wrong 'format' field)"),
        ("codomyrmex acceptances", "1",
         "not a 'codomyrmex-perf-runs' document (missing or wrong 'format' field)"),
    ],
)  # fmt: skip
def test_a_document_of_another_kind_is_refused_naming_the_expected_kind(
    reader: str, text: str, message: str
) -> None:
    with pytest.raises(SeriesStoreError) as info:
        READERS[reader](text)
    assert str(info.value) == message
    assert info.value.__cause__ is None


def test_each_kind_is_still_read_by_its_own_reader() -> None:
    assert loads_pyperf(PYPERF, suite="s")[0].suite == "s"
    assert loads_pytest_benchmark(PYTEST_BENCHMARK) == []
    assert (detect_format(PYPERF), detect_format(PYTEST_BENCHMARK)) == ("pyperf", "pytest-benchmark")


@pytest.mark.parametrize(
    ("reader", "doc", "message"),
    [
        ("codomyrmex runs", {"runs": {}}, "'runs' must be a list"),
        ("codomyrmex runs", {}, "'runs' must be a list"),
        ("codomyrmex runs", {"runs": [{"suite": "s"}]}, "run #0 is invalid: KeyError('run_id')"),
        ("codomyrmex acceptances", {"runs": [], "acceptances": {}}, "'acceptances' must be a list"),
        ("codomyrmex acceptances", {"runs": [], "acceptances": [{}]},
         "acceptance #0 is invalid: KeyError('suite')"),
    ],
)  # fmt: skip
def test_a_bad_list_or_entry_of_an_export_is_named(reader: str, doc: dict[str, object], message: str) -> None:
    text = json.dumps({"format": "codomyrmex-perf-runs", "version": 1, **doc})
    with pytest.raises(SeriesStoreError) as info:
        READERS[reader](text)
    assert str(info.value) == message


def test_an_export_without_acceptances_has_none() -> None:
    assert loads_acceptances(json.dumps({"format": "codomyrmex-perf-runs", "version": 1, "runs": []})) == []
