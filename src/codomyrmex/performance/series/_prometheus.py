"""Prometheus as the fleet store: push runs to a Pushgateway, read history with ``query_range``.

A run is pushed as the library's benchmark gauges (``codomyrmex_benchmark_duration_seconds``
with ``stat`` = min/p50/p90/p95/p99/mean, ``codomyrmex_benchmark_last_run_timestamp_seconds``, and
when known the regression flag and change ratio), grouped by ``suite`` and ``host`` — never by run
id, which would create a new series per run. Prometheus scrapes the Pushgateway (with
``honor_labels: true``); :meth:`PrometheusStore.history` then reads the p50 series back through
the HTTP API (``/api/v1/query_range``, which Thanos and Mimir also speak) and keeps one point per
distinct ``last_run_timestamp``, i.e. one per run that a scrape saw. An instruction-mode run is
pushed as ``codomyrmex_benchmark_instructions`` into a group of its own (``measure=
"instructions"`` beside suite and host): a Pushgateway push replaces its whole group, so sharing
the time-mode group would wipe that suite's durations and regression flags. The range is evaluated every
:data:`HISTORY_STEP` seconds (15 s, in windows of 10,000 points), so two runs pushed within one
scrape interval leave only the second one in the history. ``host`` restricts it to one
machine's runs (``run_benchmark`` judges a run against its own host's history).

    store = PrometheusStore(pushgateway="http://pushgateway:9091", prometheus="http://prometheus:9090")
    store.append(run_record)
    points = store.history("agent_performance", "tokenize")
"""

from __future__ import annotations

import json
import math
import socket
import statistics
import time
import urllib.parse
from collections.abc import Mapping
from typing import Any

from .. import env
from .._validation import check_positive_number
from ..errors import SeriesStoreError
from ..telemetry import names
from ..telemetry.stats import StatsRegistry
from ._records import Acceptance, HistoryPoint, RunRecord, check_unit

__all__ = ["DEFAULT_JOB", "PrometheusStore", "run_stats"]

DEFAULT_JOB = "codomyrmex_benchmarks"
#: seconds between the points read back by :meth:`PrometheusStore.history` (a usual scrape
#: interval): two runs pushed further apart than this stay two points
HISTORY_STEP = 15.0
_MAX_POINTS = 10_000
#: instructions per call, pushed by the runner in instruction mode (``names`` gains the entry)
_INSTRUCTIONS_METRIC = "codomyrmex_benchmark_instructions"


def run_stats(samples: tuple[float, ...]) -> dict[str, float]:
    """min/p50/p90/p95/p99/mean of raw samples (linear interpolation, as numpy's default)."""
    if len(samples) == 1:
        v = samples[0]
        return {"min": v, "p50": v, "p90": v, "p95": v, "p99": v, "mean": v}
    q = statistics.quantiles(samples, n=100, method="inclusive")
    return {
        "min": min(samples), "p50": statistics.median(samples), "p90": q[89], "p95": q[94],
        "p99": q[98], "mean": statistics.fmean(samples),
    }  # fmt: skip


def _check_url(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{name} must be an http(s) URL string, got {type(value).__name__}")
    parsed = urllib.parse.urlparse(value if "://" in value else f"http://{value}")
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SeriesStoreError(f"{name} must be an http(s) URL like http://host:9091, got {value!r}")
    return parsed.geturl().rstrip("/")


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


class PrometheusStore:
    """Push runs to ``pushgateway``; read history from ``prometheus`` (either may be omitted:
    defaults ``CODOMYRMEX_PERF_PUSHGATEWAY`` and ``CODOMYRMEX_PERF_PROMETHEUS_URL``)."""

    def __init__(
        self,
        pushgateway: str | None = None,
        prometheus: str | None = None,
        *,
        job: str = DEFAULT_JOB,
        host: str | None = None,
        timeout: float = 10.0,
        lookback: float = 30 * 86400.0,
    ) -> None:
        self.pushgateway = _check_url("pushgateway", pushgateway or env.get("CODOMYRMEX_PERF_PUSHGATEWAY"))
        self.prometheus = _check_url(
            "prometheus", prometheus or env.get("CODOMYRMEX_PERF_PROMETHEUS_URL")
        )
        if not isinstance(job, str) or not job.strip():
            raise SeriesStoreError(f"job must be a non-empty string, got {job!r}")
        # a negative or NaN lookback would read no history at all (every run "new", silently)
        check_positive_number("lookback", lookback, error=SeriesStoreError, unit="seconds")
        check_positive_number("timeout", timeout, error=SeriesStoreError, unit="seconds")
        self.job, self.host, self.timeout, self.lookback = job, host, float(timeout), float(lookback)

    # -- push --------------------------------------------------------------------------------
    def append(
        self,
        run: RunRecord,
        *,
        regressions: Mapping[str, bool] | None = None,
        change_ratios: Mapping[str, float] | None = None,
    ) -> None:
        """Push ``run`` to the Pushgateway (replacing the previous run of the suite on this host
        in the same measure)."""
        if self.pushgateway is None:
            raise SeriesStoreError(
                "no Pushgateway configured: pass pushgateway= or set CODOMYRMEX_PERF_PUSHGATEWAY"
            )
        host = self.host or str(run.environment.get("hostname") or socket.gethostname())
        # One push per measure present (a run normally has one): each into its own group.
        for unit in sorted({b.unit for b in run.benchmarks} or {"seconds"}):
            self._push_unit(run, unit, host, regressions or {}, change_ratios or {})

    def _push_unit(
        self,
        run: RunRecord,
        unit: str,
        host: str,
        regressions: Mapping[str, bool],
        change_ratios: Mapping[str, float],
    ) -> None:
        assert self.pushgateway is not None
        stats = StatsRegistry()
        for b in run.benchmarks:
            # A noisy result is left out so that the history read back, which is only these
            # p50s, never takes it as a baseline.
            if b.unit != unit or b.failed or not b.samples or b.noisy:
                continue
            regression, change_ratio = regressions.get(b.name), change_ratios.get(b.name)
            if unit == "instructions":
                # An instruction count is not a duration: it never lands in the seconds gauge.
                stats.set_benchmark(run.suite, b.name, {}, regression=regression,
                                    change_ratio=change_ratio,
                                    instructions=statistics.median(b.samples))  # fmt: skip
            else:
                stats.set_benchmark(run.suite, b.name, run_stats(b.samples),
                                    regression=regression, change_ratio=change_ratio)  # fmt: skip
        stats.set_suite_run(run.suite, run.timestamp)
        grouping = {"suite": run.suite, "host": host}
        if unit == "instructions":
            grouping["measure"] = "instructions"
        try:
            from ..telemetry._push import push_benchmark_stats

            push_benchmark_stats(
                self.pushgateway, stats, job=self.job, grouping_key=grouping, timeout=self.timeout,
            )  # fmt: skip
        except ImportError as exc:  # pragma: no cover - prometheus_client is a dependency
            raise SeriesStoreError(
                "pushing needs prometheus_client: pip install codomyrmex-performance"
            ) from exc
        except OSError as exc:  # URLError is an OSError
            raise SeriesStoreError(f"cannot push to {self.pushgateway}: {exc}") from exc

    # -- read back ---------------------------------------------------------------------------
    def _query_range(self, query: str, start: float, end: float, step: float) -> list[dict[str, Any]]:
        import urllib.error  # deferred: urllib.request costs ~15 ms at import
        import urllib.request

        if self.prometheus is None:
            raise SeriesStoreError(
                "no Prometheus URL configured: pass prometheus= or set CODOMYRMEX_PERF_PROMETHEUS_URL"
            )
        params = urllib.parse.urlencode({"query": query, "start": f"{start:.3f}", "end": f"{end:.3f}",
                                         "step": f"{step:.3f}"})  # fmt: skip
        url = f"{self.prometheus}/api/v1/query_range?{params}"
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as resp:
                body = json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")[:300]
            raise SeriesStoreError(f"Prometheus rejected {query!r}: HTTP {exc.code} {detail}") from exc
        except (OSError, ValueError) as exc:
            raise SeriesStoreError(f"cannot query {self.prometheus}: {exc}") from exc
        if body.get("status") != "success":
            raise SeriesStoreError(f"Prometheus query {query!r} failed: {body.get('error')}")
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def history(
        self,
        suite: str,
        benchmark: str,
        *,
        limit: int | None = None,
        start: float | None = None,
        end: float | None = None,
        step: float | None = None,
        host: str | None = None,
        unit: str = "seconds",
    ) -> list[HistoryPoint]:
        """One point per recorded run of ``benchmark`` (its p50), oldest first; only the runs of
        ``host`` (default: the store's ``host``; all hosts if neither is set). ``unit``
        ``instructions`` reads ``codomyrmex_benchmark_instructions`` instead of the p50 gauge.
        Noisy runs were never pushed as durations, so none is returned.

        The range is read every ``step`` seconds (default: 1 s for ranges up to ~3 h, else
        :data:`HISTORY_STEP`, about one scrape interval, so that runs minutes apart stay distinct),
        in windows of at most 10,000 points (Prometheus answers at most 11,000 per series).
        """
        end = time.time() if end is None else end
        start = end - self.lookback if start is None else start
        # short ranges at their full 1 s resolution, long ones at about a scrape interval
        step = min(HISTORY_STEP, max(1.0, (end - start) / _MAX_POINTS)) if step is None else float(step)
        if not (math.isfinite(step) and step > 0):
            raise SeriesStoreError(f"step must be a number of seconds > 0, got {step!r}")
        host = host if host is not None else self.host
        host_sel = f',host="{_label(host)}"' if host else ""
        sel = f'suite="{_label(suite)}"{host_sel}'
        try:
            check_unit(unit)
        except ValueError as exc:
            raise SeriesStoreError(str(exc)) from exc
        if unit == "seconds":
            p50 = f'{names.BENCHMARK_DURATION.prometheus_name}{{{sel},benchmark="{_label(benchmark)}",stat="p50"}}'
        else:
            p50 = f'{_INSTRUCTIONS_METRIC}{{{sel},benchmark="{_label(benchmark)}"}}'
        # each measure has its own Pushgateway group, and so its own last-run series
        measure = 'measure=""' if unit == "seconds" else 'measure="instructions"'
        last_run = f"{names.BENCHMARK_LAST_RUN.prometheus_name}{{{sel},{measure}}}"
        medians: list[dict[str, Any]] = []
        runs: list[dict[str, Any]] = []
        window = step * _MAX_POINTS
        lo = start
        while lo <= end:
            hi = min(end, lo + window)
            medians.extend(self._query_range(p50, lo, hi, step))
            runs.extend(self._query_range(last_run, lo, hi, step))
            lo = hi + step
        run_at: dict[tuple[str, float], float] = {}  # (host, sample time) -> run timestamp
        for series in runs:
            h = series["metric"].get("host", "")
            for t, v in series["values"]:
                run_at[(h, float(t))] = float(v)
        seen: dict[tuple[str, float], HistoryPoint] = {}
        for series in medians:
            h = series["metric"].get("host", "")
            for t, v in series["values"]:
                run_ts = run_at.get((h, float(t)))
                value = float(v)
                if run_ts is None or not math.isfinite(value) or (h, run_ts) in seen:
                    continue
                seen[(h, run_ts)] = HistoryPoint(timestamp=run_ts, median=value, unit=unit)
        points = sorted(seen.values(), key=lambda p: p.timestamp)
        return points[-limit:] if limit else points

    # -- acceptances -------------------------------------------------------------------------
    def acceptances(self, suite: str | None = None) -> list[Acceptance]:
        """Refused with :class:`SeriesStoreError`: a Pushgateway keeps only the last value of a
        series, so this store has no append-only record of decisions to read. Not an empty list:
        that would say nobody accepted anything, which this store cannot know. The gate reports
        the reason with every regression it finds against this history."""
        raise SeriesStoreError(
            "a Prometheus store keeps no acceptances (a Pushgateway keeps only the last value), "
            "so a worse level judged against its history stays a regression until it returns; "
            "to accept changes, judge against an SQLite store (bench run --store PATH) and "
            "accept there (bench accept --store PATH)"
        )

    def accept(self, suite: str, benchmark: str | None = None, **_: Any) -> Acceptance:
        """Refused with a clear error: see :meth:`acceptances`."""
        raise SeriesStoreError(
            "a Prometheus store cannot record acceptances (a Pushgateway keeps only the last "
            "value), and a gate judging against Prometheus history reads none; to accept changes, "
            "judge against an SQLite store (bench run --store PATH) and accept there "
            "(codomyrmex-perf bench accept --store PATH)"
        )

    def __repr__(self) -> str:
        return f"PrometheusStore(pushgateway={self.pushgateway!r}, prometheus={self.prometheus!r})"

