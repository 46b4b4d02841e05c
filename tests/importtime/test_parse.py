"""Reading `python -X importtime` output, including Python 3.14's `cached` rows."""

from __future__ import annotations

import subprocess
import sys

import pytest

from codomyrmex.performance.errors import ConfigurationError
from codomyrmex.performance.importtime import parse_importtime

SAMPLE = """\
import time: self [us] | cumulative | imported package
import time:       120 |        120 |   _io
import time:        30 |        150 | io
some line the program wrote to stderr
import time:        15 |         15 |       re._casefix
import time:       200 |        215 |     re._compiler
import time:       100 |        100 |     re._parser
import time:        50 |        365 |   re.sub
import time:        10 |        375 | re
"""

SAMPLE_314 = """\
import time: self [us] | cumulative | imported package
import time:       cached |       cached |   _io
import time:        40 |         40 |   encodings.x
import time:        30 |         70 | encodings
import time:       cached |       cached | io
"""


def test_rows_become_a_tree_in_start_order() -> None:
    prof = parse_importtime(SAMPLE)
    assert [(r.module, r.depth) for r in prof.records] == [
        ("io", 0), ("_io", 1), ("re", 0), ("re.sub", 1), ("re._compiler", 2),
        ("re._casefix", 3), ("re._parser", 2),
    ]  # fmt: skip
    re_ = prof.find("re")
    assert re_ is not None and re_.self_ns == 10_000 and re_.cumulative_ns == 375_000
    assert [c.module for c in prof.find("re.sub").children] == ["re._compiler", "re._parser"]  # type: ignore[union-attr]
    assert prof.source == "-X importtime"
    assert prof.total_ns == 525_000


def test_python_314_cached_rows_are_zero_time_leaves() -> None:
    prof = parse_importtime(SAMPLE_314)
    io_ = prof.find("io")
    enc = prof.find("encodings")
    cached_io = prof.find("_io")
    assert io_ is not None and io_.cached and io_.cumulative_ns == 0
    assert cached_io is not None and cached_io.cached and cached_io.parent is enc
    assert enc is not None and enc.cumulative_ns == 70_000 and not enc.cached
    assert [r.module for r in prof.slowest(5)] == ["encodings", "encodings.x"]


def test_real_output_of_this_interpreter_parses() -> None:
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import json"],
                         capture_output=True, text=True, check=True)  # fmt: skip
    prof = parse_importtime(out.stderr)
    json_rec = prof.find("json")
    assert json_rec is not None and json_rec.depth == 0
    assert {c.module for c in json_rec.children} >= {"json.decoder"}
    rows = sum(1 for line in out.stderr.splitlines() if line.startswith("import time:") and "self [us]" not in line)
    assert len(prof) == rows


def test_report_lists_slowest_and_the_tree_with_folding() -> None:
    text = parse_importtime(SAMPLE).report(top=2, tree=True, min_ms=0.13)
    assert "Slowest 2 by cumulative time:" in text and "Slowest 2 by self time:" in text
    tree = text.split("Import tree")[1].splitlines()[2:]
    # io (0.15 ms) stays and its 0.12 ms child _io folds into it (self 0.03 + 0.12 ms);
    # re._casefix (0.015 ms) folds into re._compiler (self 0.2 + 0.015 ms) and re._parser
    # (0.1 ms) into re.sub.
    assert [line.split()[-1] for line in tree] == ["io", "re", "re.sub", "re._compiler"]
    assert [line.split()[1] for line in tree] == ["0.150", "0.010", "0.150", "0.215"]


def test_top_modules_are_distinct_and_can_be_limited_to_a_subtree() -> None:
    text = SAMPLE + "import time:        40 |         40 |   re\nimport time:        60 |        100 | other\n"
    prof = parse_importtime(text)
    assert prof.top_modules(3) == ["re", "re.sub", "re._compiler"]
    assert prof.top_modules(10, under="re.sub") == ["re.sub", "re._compiler", "re._parser", "re._casefix"]
    assert prof.top_modules(2, by="self") == ["re._compiler", "_io"]


@pytest.mark.parametrize("row", [
    "import time:        1x |         15 | mod",
    "import time:        15 | mod",
    "import time:        15 |         15 |   ",
    "import time:       -15 |         15 | mod",
])  # fmt: skip
def test_a_malformed_row_raises_naming_its_line(row: str) -> None:
    text = [*SAMPLE.splitlines()[:3], row]
    with pytest.raises(ConfigurationError, match=r"line 4 of the -X importtime output") as err:
        parse_importtime(text)
    assert repr(row) in str(err.value)


def test_bytes_output_parses_like_text() -> None:
    from_bytes = parse_importtime(SAMPLE.encode())
    from_lines = parse_importtime([line.encode() for line in SAMPLE.splitlines()])
    expected = [(r.module, r.depth, r.self_ns) for r in parse_importtime(SAMPLE).records]
    assert [(r.module, r.depth, r.self_ns) for r in from_bytes.records] == expected
    assert [(r.module, r.depth, r.self_ns) for r in from_lines.records] == expected


def test_text_of_the_wrong_type_is_a_type_error_naming_it() -> None:
    with pytest.raises(TypeError, match=r"text must be -X importtime output .* got 42 \(int\)"):
        parse_importtime(42)  # type: ignore[arg-type]
