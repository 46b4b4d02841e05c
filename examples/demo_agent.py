"""A demo agent process that uses the whole library for real, for the end-to-end test and the
docker-compose stack.

    python examples/demo_agent.py --store /tmp/demo.sqlite3 --pushgateway http://127.0.0.1:9091 \
        --otlp-endpoint http://127.0.0.1:4318 --metrics-port 9464

It configures telemetry (OTLP + /metrics), profiles its own imports, makes lazy imports of real
packages, keeps cached functions busy (hits, misses, size and TTL evictions) on a background
thread, and runs a benchmark suite ``--baseline-runs`` times, recording each run in the SQLite
store and pushing it to the Pushgateway. It then prints ``READY <metrics port>`` and reads
commands from stdin, one per line:

- ``slow``: run the suite once more with every benchmark made 20 % slower (``--slowdown``), print
  ``SLOW-DONE <regressions>``;
- ``normal``: run it once more unchanged, print ``NORMAL-DONE <regressions>``;
- ``quit`` (or end of input): flush telemetry and exit.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
import time
from typing import Any

from codomyrmex.performance import (
    CacheManager,
    LazyImportError,
    cached_function,
    lazy_import,
    profile_imports,
    telemetry,
)
from codomyrmex.performance.benchmarking import BenchmarkSuite, run_benchmark

SUITE = "demo_agent"


def build_suite(state: dict[str, float]) -> BenchmarkSuite:
    suite = BenchmarkSuite(SUITE)

    # A sleep dominates each sample so that the base level is steady on a busy shared machine;
    # the injected slowdown lengthens it by state["slowdown"].
    @suite.benchmark
    def tool_call_latency() -> None:
        time.sleep(0.002 * (1.0 + state["slowdown"]))

    @suite.benchmark
    def parse_tool_output() -> None:
        time.sleep(0.001 * (1.0 + state["slowdown"]))
        # a str.split of a tool's output line is the work being measured, not a list literal
        "status=ok;files=12;failures=0".split(";")  # noqa: SIM905

    return suite


def start_cache_traffic(stop: threading.Event, redis_url: str | None) -> CacheManager:
    """Hits, misses and evictions (size, TTL and explicit) until ``stop`` is set; with
    ``redis_url``, a cache shared through Redis too (when that Redis is down, calls still return
    the right values and the errors are counted)."""
    manager = CacheManager()

    @cached_function(maxsize=32, name="demo_shared", redis=redis_url)
    def shared_lookup(key: str) -> str:
        return key[::-1]

    @cached_function(maxsize=16, name="demo_analysis")
    def analyse(snippet: str) -> dict[str, int]:
        time.sleep(0.001)
        return {"chars": len(snippet), "lines": snippet.count("\n") + 1}

    @cached_function(ttl=0.5, maxsize=64, name="demo_model_call")
    def model_call(prompt: str) -> str:
        time.sleep(0.002)
        return prompt.upper()

    from opentelemetry import trace

    # The application's own span around each step, as a traced agent has: the library makes
    # cache.load spans only inside a sampled span (never a root span per miss).
    tracer = trace.get_tracer("demo_agent")

    def loop() -> None:
        i = 0
        while not stop.is_set():
            with tracer.start_as_current_span("agent step"):
                analyse(f"x = {i % 24}")  # 24 keys over 16 slots: hits, misses and size evictions
                analyse("x = 0")
                model_call(f"prompt {i % 4}")
            if redis_url is not None and i % 5 == 0:
                shared_lookup(f"doc-{i}")
            manager.set(f"k{i % 8}", i, ttl=60)
            manager.get(f"k{(i + 3) % 8}")
            if i % 10 == 0:
                manager.delete(f"k{i % 8}")
            i += 1
            stop.wait(0.02)

    threading.Thread(target=loop, name="cache-traffic", daemon=True).start()
    return manager


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", required=True, help="SQLite series store path")
    parser.add_argument("--pushgateway", default=None, help="Pushgateway URL")
    parser.add_argument("--otlp-endpoint", default=None, help="OTLP/HTTP base URL")
    parser.add_argument("--metrics-port", type=int, default=0, help="/metrics port (0: free port)")
    parser.add_argument("--metrics-addr", default="127.0.0.1")
    parser.add_argument("--redis-url", default=None, help="Redis URL for the shared cache")
    parser.add_argument("--baseline-runs", type=int, default=5,
                        help="normal runs before READY (a verdict needs 5 recorded runs)")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--slowdown", type=float, default=0.20)
    args = parser.parse_args(argv)

    t = telemetry.configure(
        service_name="codomyrmex-demo-agent", otlp_endpoint=args.otlp_endpoint,
        metrics_port=args.metrics_port, metrics_addr=args.metrics_addr, export_interval_ms=1000,
    )  # fmt: skip

    # OBSERVE: profile imports of real packages, export them as spans and metrics.
    with profile_imports() as prof:
        import email.mime.multipart  # noqa: F401
        import tomllib  # noqa: F401
        import wave  # noqa: F401
        import xml.etree.ElementTree  # noqa: F401
    prof.export_spans(min_duration_ms=0.0)
    prof.record_metrics()

    # EXECUTE: lazy imports of real packages, one of which does not exist.
    numpy: Any = lazy_import("numpy")
    minidom: Any = lazy_import("xml.dom.minidom")
    missing: Any = lazy_import("codomyrmex_demo_missing_package")
    numpy.arange(3).sum()
    minidom.parseString("<a/>")
    with contextlib.suppress(LazyImportError):  # counted as state="failed"
        missing.anything  # noqa: B018

    stop = threading.Event()
    start_cache_traffic(stop, args.redis_url)

    # VERIFY: the suite, recorded in the store and pushed to the Pushgateway.
    state = {"slowdown": 0.0}
    suite = build_suite(state)

    def run_once() -> int:
        run = run_benchmark(
            suite, rounds=args.rounds, min_time=0.01, store=args.store,
            pushgateway=args.pushgateway, min_effect=0.10,
        )  # fmt: skip
        print(run.report(), file=sys.stderr, flush=True)
        return len(run.regressions)

    for _ in range(args.baseline_runs):
        run_once()
    t.force_flush()
    print(f"READY {t.metrics_port}", flush=True)

    for line in sys.stdin:
        command = line.strip()
        if command == "slow":
            state["slowdown"] = args.slowdown
            print(f"SLOW-DONE {run_once()}", flush=True)
        elif command == "normal":
            state["slowdown"] = 0.0
            print(f"NORMAL-DONE {run_once()}", flush=True)
        elif command == "quit":
            break
        t.force_flush()
    stop.set()
    telemetry.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
