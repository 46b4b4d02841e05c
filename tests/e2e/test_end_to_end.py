"""End to end on real servers: a demo agent, the Debian Prometheus and Pushgateway, promtool and
the OTLP receiver, started by the test on loopback, with the shipped rules and dashboards.

The agent (examples/demo_agent.py) uses the library for real: cached functions with hits,
misses, evictions and a Redis tier that is down (errors), lazy imports of real packages, the
import profiler, and a benchmark suite pushed to the Pushgateway, first normal and then with an
injected 20 % slowdown.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from dashboards.queries import all_queries

from tests.support.procs import Server, free_port

ROOT = Path(__file__).resolve().parents[2]
SUITE = "demo_agent"
ALERT = "CodomyrmexBenchmarkRegression"


class Agent:
    def __init__(self, argv: list[str], log: Path) -> None:
        self.log = log
        self.stderr = open(log, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, text=True,
            env={**os.environ, "OTEL_EXPORTER_OTLP_ENDPOINT": "", "CODOMYRMEX_PERF_PUSHGATEWAY": ""},
        )  # fmt: skip
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.strip())

    def expect(self, prefix: str, timeout: float = 180.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=1.0)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            if line.startswith(prefix):
                return line
        raise AssertionError(f"agent did not print {prefix!r}; its log:\n{self.log.read_text()[-3000:]}")

    def send(self, command: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def stop(self) -> int | None:
        if self.proc.poll() is None:
            try:
                self.send("quit")
                self.proc.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()
        return self.proc.returncode


def api(prom: Server, path: str, **params: str) -> Any:
    url = f"{prom.url}/api/v1/{path}?{urllib.parse.urlencode(params)}"
    with urllib.request.urlopen(url, timeout=10) as resp:
        body = json.load(resp)
    assert body["status"] == "success", body
    return body["data"]


def query(prom: Server, promql: str) -> list[dict[str, Any]]:
    data = api(prom, "query", query=promql)
    return list(data["result"]) if data["resultType"] in ("vector", "matrix") else [data]


def wait_until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def regression_alerts(prom: Server) -> list[dict[str, Any]]:
    return [a for a in api(prom, "alerts")["alerts"]
            if a["labels"].get("alertname") == ALERT and a["labels"].get("suite") == SUITE]  # fmt: skip


def rule_evaluations(prom: Server) -> str:
    groups = api(prom, "rules")["groups"]
    return max(g["lastEvaluation"] for g in groups)


@pytest.mark.slow
def test_demo_agent_on_real_prometheus_pushgateway_and_otlp(
    tmp_path: Path, pushgateway: Server, prometheus_factory: Any, promtool: str, otlp_receiver: Any,
) -> None:
    dead_redis = f"redis://127.0.0.1:{free_port()}/0"  # a shared tier that is down: errors counted
    agent = Agent(
        [sys.executable, str(ROOT / "examples" / "demo_agent.py"), "--store", str(tmp_path / "series.sqlite3"),
         "--pushgateway", pushgateway.url, "--otlp-endpoint", otlp_receiver.http_url,
         "--metrics-port", "0", "--redis-url", dead_redis, "--baseline-runs", "5"],
        tmp_path / "agent.log",
    )  # fmt: skip
    try:
        port = int(agent.expect("READY").split()[1])
        metrics_url = f"http://127.0.0.1:{port}/metrics"

        # promtool accepts the agent's exposition.
        exposition = urllib.request.urlopen(metrics_url, timeout=10).read()
        check = subprocess.run([promtool, "check", "metrics"], input=exposition, capture_output=True, timeout=60)
        assert check.returncode == 0, check.stdout.decode() + check.stderr.decode()

        rules = [ROOT / "deploy" / "rules" / "codomyrmex-alerts.yml", ROOT / "deploy" / "rules" / "codomyrmex-recording.yml"]
        prom = prometheus_factory(targets=[f"127.0.0.1:{port}", f"127.0.0.1:{pushgateway.port}"], rule_files=rules)
        wait_until(lambda: len(query(prom, 'up == 1')) == 2, 60, "both targets up")
        wait_until(lambda: query(prom, f'count_over_time(codomyrmex_benchmark_regression{{suite="{SUITE}"}}[1m]) >= 3'),
                   60, "three scrapes of the regression gauge")  # fmt: skip
        # Before the slowdown: every baseline run judged unchanged, and the alert is neither
        # pending nor firing over several rule evaluations.
        assert {r["metric"]["benchmark"]: r["value"][1] for r in query(prom, f'max by (benchmark) (codomyrmex_benchmark_regression{{suite="{SUITE}"}})')} == {
            "tool_call_latency": "0", "parse_tool_output": "0"}  # fmt: skip
        first = rule_evaluations(prom)
        wait_until(lambda: rule_evaluations(prom) > first, 30, "a new rule evaluation")
        second = rule_evaluations(prom)
        wait_until(lambda: rule_evaluations(prom) > second, 30, "another rule evaluation")
        assert regression_alerts(prom) == []

        # The injected 20 % slowdown.
        agent.send("slow")
        regressions = int(agent.expect("SLOW-DONE").split()[1])
        assert regressions >= 1
        wait_until(lambda: any(a["state"] in ("pending", "firing") for a in regression_alerts(prom)),
                   90, f"{ALERT} pending or firing for suite {SUITE}")  # fmt: skip
        alert_states = {a["labels"]["benchmark"]: a["state"] for a in regression_alerts(prom)}

        # Instruction mode through the CLI, under the real Valgrind, pushed to the same
        # Pushgateway: its own group, so the suite's time-mode flags stay as they were.
        counted_suite = tmp_path / "counted_suite.py"
        counted_suite.write_text(
            "from codomyrmex.performance.benchmarking import BenchmarkSuite\n"
            f"suite = BenchmarkSuite({SUITE!r})\n"
            "@suite.benchmark\n"
            "def parse_tool_output():\n"
            "    'status=ok;files=12;failures=0'.split(';')\n"
        )  # fmt: skip
        counted = subprocess.run(
            [sys.executable, "-m", "codomyrmex.performance.cli", "bench", "run", str(counted_suite),
             "--measure", "instructions", "--store", str(tmp_path / "counted.sqlite3"),
             "--pushgateway", pushgateway.url, "--no-progress"],
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert counted.returncode == 0, counted.stdout + counted.stderr
        wait_until(lambda: query(prom, f'codomyrmex_benchmark_instructions{{suite="{SUITE}",measure="instructions"}} > 0'),
                   60, "the instruction count scraped")  # fmt: skip
        flags = query(prom, f'codomyrmex_benchmark_regression{{suite="{SUITE}",measure=""}}')
        assert {r["metric"]["benchmark"] for r in flags} == {"tool_call_latency", "parse_tool_output"}

        # Every dashboard query parses and returns data, with the variables substituted.
        values = {"job": "test", "instance": ".*", "cache": "demo_.*", "suite": SUITE, "benchmark": ".*",
                  "datasource": "prometheus"}  # fmt: skip
        queries = all_queries(values, rate_interval="15s")
        assert len(queries) >= 20
        samples: dict[str, str] = {}
        deadline = time.monotonic() + 60
        pending = list(queries)
        while pending and time.monotonic() < deadline:
            still = []
            for q in pending:
                result = query(prom, q.promql)
                if result:
                    first_value = result[0].get("value", [None, None])[1]
                    samples[f"{q.dashboard} | {q.panel} | {q.ref_id}"] = f"{len(result)} series, e.g. {first_value}"
                else:
                    still.append(q)
            pending = still
            if pending:
                time.sleep(1)
        empty = [f"{q.dashboard} | {q.panel}: {q.promql}" for q in pending]
        assert empty == [], "queries without data:\n" + "\n".join(empty)
        (tmp_path / "dashboard-samples.json").write_text(json.dumps(samples, indent=1))
        print("\n".join(f"{k}: {v}" for k, v in sorted(samples.items())))
        print("alert states:", alert_states)

        # The OTLP receiver got the spans and the cache metrics of the same run.
        wait_until(lambda: otlp_receiver.latest_value("codomyrmex.cache.gets", cache="demo_analysis",
                                                      result="hit", tier="memory"), 30, "cache metrics over OTLP")  # fmt: skip
        agent.send("quit")
        assert agent.proc.wait(timeout=60) == 0
        names = set(otlp_receiver.span_names())
        assert "cache.load" in names
        assert {"import email.mime.multipart", "import tomllib", "import wave"} <= names
        assert f"benchmark {SUITE}" in names
        assert any(n.startswith(f"benchmark {SUITE}/") for n in names)
        assert otlp_receiver.latest_value("codomyrmex.cache.errors", cache="demo_shared", tier="redis") > 0
        evictions = otlp_receiver.latest_value("codomyrmex.cache.evictions", cache="demo_analysis", cause="size")
        assert evictions is not None and evictions > 0
    finally:
        agent.stop()
