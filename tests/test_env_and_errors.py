"""Environment variables are documented in one place (and in the README); errors are typed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from codomyrmex.performance import env, errors
from codomyrmex.performance.errors import ConfigurationError, PerformanceError

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_documents_every_variable_and_no_other() -> None:
    documented = set(re.findall(r"`(CODOMYRMEX_PERF_[A-Z_]+)`", README.read_text()))
    assert documented == set(env.ENV_VARS)


def test_unknown_variable_name_is_rejected() -> None:
    with pytest.raises(ConfigurationError, match="'CODOMYRMEX_PERF_NOPE' is not a CODOMYRMEX_PERF_\\* variable"):
        env.get("CODOMYRMEX_PERF_NOPE")


def test_bad_boolean_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODOMYRMEX_PERF_DISABLED", "maybe")
    with pytest.raises(ConfigurationError, match="CODOMYRMEX_PERF_DISABLED must be one of .* got 'maybe'"):
        env.get_bool("CODOMYRMEX_PERF_DISABLED")


def test_default_store_path_is_overridable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CODOMYRMEX_PERF_STORE", str(tmp_path / "s.sqlite3"))
    assert env.default_store_path() == tmp_path / "s.sqlite3"
    monkeypatch.delenv("CODOMYRMEX_PERF_STORE")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert env.default_store_path() == tmp_path / "codomyrmex-perf" / "series.sqlite3"


def test_every_error_derives_from_performance_error() -> None:
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), PerformanceError)
    assert issubclass(errors.LazyImportError, ImportError)
    assert issubclass(errors.CacheError, ValueError)
