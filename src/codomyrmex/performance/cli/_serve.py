"""``codomyrmex-perf serve --port N``: expose ``/metrics`` with the library's collector.

Runs until interrupted (SIGINT/SIGTERM). OTLP export is enabled too when the standard
``OTEL_EXPORTER_OTLP_ENDPOINT`` variable is set.
"""

from __future__ import annotations

import argparse
import signal
import threading
from types import FrameType


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=9464, help="port to listen on (0: a free port; default 9464)")
    parser.add_argument("--addr", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..errors import PerformanceError
    from ..telemetry import configure, shutdown

    try:
        t = configure(metrics_port=args.port, metrics_addr=args.addr)
    except (PerformanceError, TypeError) as exc:
        print(f"codomyrmex-perf serve: {exc}")
        return 2
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    # Printed with flush so a supervisor (or a test) can read the bound port when --port 0.
    print(f"serving /metrics on http://{args.addr}:{t.metrics_port}/metrics", flush=True)
    stop.wait()
    shutdown()
    return 0
