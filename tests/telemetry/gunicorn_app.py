"""A WSGI app for the multi-worker test: cached work on /hit, the summed metrics on /metrics.

Run by the test as ``gunicorn -w 2 -c gunicorn_conf.py tests.telemetry.gunicorn_app:app`` with
``PROMETHEUS_MULTIPROC_DIR`` set; /metrics is what the README's multi-process set-up shows.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess

from codomyrmex.performance import cached_function


@cached_function(name="gunicorn_cache")
def work(x: int) -> int:
    return x * x


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "")
    if path == "/metrics":
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        body = generate_latest(registry)
        start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
        return [body]
    if path == "/hit":
        x = int(parse_qs(environ.get("QUERY_STRING", ""))["x"][0])
        body = f"{work(x)} {os.getpid()}".encode()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [body]
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"not found"]
