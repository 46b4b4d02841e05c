"""gunicorn settings for the multi-worker test, as the README's set-up has them."""

from __future__ import annotations

from typing import Any

from prometheus_client import multiprocess


def child_exit(server: Any, worker: Any) -> None:
    # the dead worker's live gauges (codomyrmex_cache_entries is livesum) leave the sum
    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
