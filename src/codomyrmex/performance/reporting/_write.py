"""``write_report``: read a SQLite series store and write the HTML report to a file."""

from __future__ import annotations

import os
from pathlib import Path

from .. import env
from ..errors import SeriesStoreError
from ..series import SQLiteStore
from ._html import render_html
from ._trends import BenchmarkTrend, load_trends

__all__ = ["write_report"]


def write_report(
    out: str | os.PathLike[str],
    *,
    store: str | os.PathLike[str] | None = None,
    suite: str | None = None,
    title: str = "codomyrmex benchmark trends",
) -> list[BenchmarkTrend]:
    """Write the report of the SQLite series store ``store`` (default: the configured store path)
    to ``out``; returns the trends it shows.

    Raises :class:`~codomyrmex.performance.errors.SeriesStoreError` when ``store`` does not exist
    (a report never creates an empty store) or ``suite`` is not recorded in it.
    """
    if not isinstance(out, str | os.PathLike):
        raise TypeError(f"out must be a file path, got {out!r} ({type(out).__name__})")
    if store is not None and not isinstance(store, str | os.PathLike):
        raise TypeError(f"store must be a file path, got {store!r} ({type(store).__name__})")
    path = Path(store).expanduser() if store is not None else env.default_store_path()
    if not path.is_file():
        raise SeriesStoreError(
            f"store {str(path)!r} does not exist; run a benchmark suite with a store first "
            "(codomyrmex-perf bench ...) or pass the path of an existing series store"
        )
    with SQLiteStore(path) as opened:
        trends = load_trends(opened, suite=suite)
    Path(out).write_text(render_html(trends, title=title), encoding="utf-8")
    return trends
