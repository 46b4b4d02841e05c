"""Shared fixtures: in-memory OTel providers, the OTLP receiver and real servers on loopback.

Servers are started by the test session itself (``tests/support/procs.py``): Redis, Prometheus,
the Pushgateway and promtool come from Debian packages that ``.ci/run`` installs. Locally a
missing one skips the test with a reason; under ``CI=true`` the test fails instead.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from codomyrmex.performance import telemetry
from codomyrmex.performance.telemetry.stats import default_registry
from tests.support.procs import (
    Server,
    free_port,
    http_ready,
    require_binary,
    start_server,
    tcp_ready,
)

# pytest's own fixture for running pytest in a test (tests/pytest_plugin/)
pytest_plugins = ["pytester"]


@pytest.fixture
def unique_name() -> str:
    """A cache/suite name no other test uses, so exact counts are not shared."""
    return f"t_{uuid.uuid4().hex[:10]}"


@pytest.fixture
def clean_stats() -> Iterator[Any]:
    """The process-wide stats registry, emptied before and after the test."""
    reg = default_registry()
    reg.clear()
    yield reg
    reg.clear()


@dataclass
class InMemoryOtel:
    """SDK providers with the fakes OpenTelemetry ships, injected into the library."""

    reader: Any
    exporter: Any
    tracer_provider: Any
    meter_provider: Any

    def spans(self) -> list[Any]:
        return list(self.exporter.get_finished_spans())

    def span_names(self) -> list[str]:
        return [s.name for s in self.spans()]

    def points(self, metric: str) -> list[tuple[dict[str, Any], Any]]:
        """``(attributes, point)`` for every data point of ``metric`` in a fresh collection."""
        data = self.reader.get_metrics_data()
        out: list[tuple[dict[str, Any], Any]] = []
        if data is None:
            return out
        for rm in data.resource_metrics:
            for sm in rm.scope_metrics:
                for m in sm.metrics:
                    if m.name == metric:
                        out.extend((dict(p.attributes), p) for p in m.data.data_points)
        return out

    def value(self, metric: str, **attributes: Any) -> Any:
        for attrs, p in self.points(metric):
            if all(attrs.get(k) == v for k, v in attributes.items()):
                return getattr(p, "value", p)
        return None


@pytest.fixture
def otel() -> Iterator[InMemoryOtel]:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    reader = InMemoryMetricReader()
    exporter = InMemorySpanExporter()
    tp = TracerProvider()
    tp.add_span_processor(SimpleSpanProcessor(exporter))
    mp = MeterProvider(metric_readers=[reader])
    telemetry.use_providers(tracer_provider=tp, meter_provider=mp)
    try:
        yield InMemoryOtel(reader, exporter, tp, mp)
    finally:
        telemetry.use_providers()
        tp.shutdown()
        mp.shutdown()


@pytest.fixture
def otlp_receiver() -> Iterator[Any]:
    from tests.support.otlp_receiver import OtlpReceiver

    with OtlpReceiver() as rx:
        yield rx


@pytest.fixture(autouse=True)
def _no_home_store(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """run_benchmark(suite), the CLI and the pytest plugin record into the default store: in
    tests that is a fresh directory per test, never the real ~/.local/share (nor one shared by
    tests). A test that wants another store sets the variables itself."""
    home = tmp_path_factory.mktemp("perf-data")
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    monkeypatch.setenv("CODOMYRMEX_PERF_STORE", str(home / "codomyrmex-perf" / "series.sqlite3"))


@pytest.fixture(autouse=True)
def _no_leftover_configuration() -> Iterator[None]:
    """A test that calls configure() must not leak exporters into the next test."""
    yield
    telemetry.shutdown()


# -- real servers -----------------------------------------------------------------------------


def _start_redis(tmp_path_factory: pytest.TempPathFactory) -> Server:
    binary = require_binary("redis-server")
    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", str(workdir)]  # fmt: skip
    server = start_server("redis", argv, port, workdir, tcp_ready(port))
    server.extra["url"] = f"redis://127.0.0.1:{port}/0"
    return server


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A real ``redis-server`` on a free loopback port, without persistence. ``.restart()``
    brings it back on the same port (for fault tests)."""
    server = _start_redis(tmp_path_factory)
    yield server
    server.stop()


@pytest.fixture
def own_redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A ``redis-server`` of this test alone, for assertions on server-wide statistics
    (``INFO commandstats``): on the session's server, work an earlier test left running sent
    GET and EVAL while such a test counted, once in CI (what left it is not identified; no test
    leaves a lease held, so most likely an I/O-executor job finishing after its test)."""
    server = _start_redis(tmp_path_factory)
    yield str(server.extra["url"])
    server.stop()


@pytest.fixture
def redis_url(redis_server: Server) -> Iterator[str]:
    """URL of the session's Redis with its data flushed before the test."""
    import redis

    if redis_server.process is None or redis_server.process.poll() is not None:
        redis_server.start()
    client = redis.Redis.from_url(str(redis_server.extra["url"]))
    client.flushall()
    client.close()
    yield str(redis_server.extra["url"])


@pytest.fixture(scope="session")
def promtool() -> str:
    return require_binary("promtool")


@pytest.fixture(scope="session")
def pushgateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A real Pushgateway on a free loopback port."""
    binary = require_binary("prometheus-pushgateway")
    port = free_port()
    workdir = tmp_path_factory.mktemp("pushgateway")
    argv = [binary, f"--web.listen-address=127.0.0.1:{port}"]
    server = start_server("pushgateway", argv, port, workdir, http_ready(f"http://127.0.0.1:{port}/-/ready"))
    yield server
    server.stop()


PrometheusFactory = Callable[..., Server]


@pytest.fixture
def prometheus_factory(tmp_path: Path) -> Iterator[PrometheusFactory]:
    """Start a real Prometheus on a free port: ``prometheus_factory(targets=[...],
    honor_labels=True, rule_files=[...], scrape_interval="1s", evaluation_interval="1s")``.
    Every server started is stopped after the test."""
    binary = require_binary("prometheus")
    started: list[Server] = []

    def start(
        targets: list[str] | None = None,
        *,
        honor_labels: bool = True,
        rule_files: list[str | Path] | None = None,
        scrape_interval: str = "1s",
        evaluation_interval: str = "1s",
        extra_config: str = "",
    ) -> Server:
        port = free_port()
        workdir = tmp_path / f"prometheus-{port}"
        workdir.mkdir()
        rules = "".join(f"  - {Path(r).resolve()}\n" for r in rule_files or [])
        config = (
            f"global:\n  scrape_interval: {scrape_interval}\n"
            f"  evaluation_interval: {evaluation_interval}\n"
            + (f"rule_files:\n{rules}" if rules else "")
            + "scrape_configs:\n  - job_name: test\n"
            + f"    honor_labels: {'true' if honor_labels else 'false'}\n"
            + "    static_configs:\n      - targets: ["
            + ", ".join(f"'{t}'" for t in targets or [])
            + "]\n"
            + extra_config
        )
        (workdir / "prometheus.yml").write_text(config)
        argv = [binary, f"--config.file={workdir / 'prometheus.yml'}",
                f"--storage.tsdb.path={workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}", "--web.enable-lifecycle",
                "--web.enable-admin-api"]  # fmt: skip
        server = start_server("prometheus", argv, port, workdir, http_ready(f"http://127.0.0.1:{port}/-/ready"))
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
