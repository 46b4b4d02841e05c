"""The functools/cachetools entries of the skip table stay honest: every entry names a test of
the fetched suite, and every reason says whether it is an API not offered or a deliberate
difference (README.md)."""

from __future__ import annotations

import re
import sys

import pytest

from . import test_cachetools_suite, test_functools_lru  # noqa: F401 - importing applies skips
from ._suites import used
from .skips import SKIPS


@pytest.mark.parametrize("suite", ["cpython-functools", "cachetools"])
def test_every_skip_entry_names_a_test_of_the_suite(suite: str) -> None:
    # An entry for a test that only a newer interpreter's suite has says so in its reason.
    newer = {
        entry for entry, reason in SKIPS[suite].items()
        if (m := re.search(r"\(Python 3\.(\d+)\+ suite\)", reason))
        and sys.version_info < (3, int(m.group(1)))
    }  # fmt: skip
    assert sorted(set(SKIPS[suite]) - used(suite) - newer) == []


@pytest.mark.parametrize("suite", ["cpython-functools", "cachetools"])
def test_every_skip_reason_says_what_kind_it_is(suite: str) -> None:
    kinds = ("API not offered", "deliberate", "known, not deliberate")
    assert [entry for entry, reason in SKIPS[suite].items() if not reason.startswith(kinds)] == []
