"""Multi-process Prometheus (gunicorn, uWSGI): the plain stats mirrored into prometheus_client's
multiprocess files, so that ``MultiProcessCollector`` sums every worker.

With ``PROMETHEUS_MULTIPROC_DIR`` set, each worker answering ``/metrics`` from its own memory is
wrong twice over: a scrape sees one worker's numbers, and the next scrape another's (counters go
backwards). prometheus_client solves this for its own metrics with one memory-mapped file per
process, summed by ``MultiProcessCollector`` at scrape time. The library's counters are plain
ints (the hit path cannot afford a file write), so this module copies them into such files: a
daemon thread every ``interval`` seconds (cheap: one pass over the stats, writing only values
that changed) and once more at exit. It starts by itself on the first cache, lazy import or
benchmark of a process that has ``PROMETHEUS_MULTIPROC_DIR`` set.

- counters are written as this process's own totals (``counter_<pid>.db``); a restarted worker is
  a new pid with a new file while the old file stays, so sums never decrease;
- ``codomyrmex_cache_entries`` is ``livesum`` (entries of the live workers; gunicorn's
  ``child_exit`` hook calls ``multiprocess.mark_process_dead(pid)``), the module import gauge
  ``max``, the benchmark gauges ``mostrecent``;
- histograms (load and import durations) keep their buckets, summed like counters;
- after a fork the child starts from zero (what the parent counted is the parent's file's).

    >>> from codomyrmex.performance.telemetry._multiprocess import Mirror
    >>> Mirror.__name__
    'Mirror'
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from typing import Any

from prometheus_client.utils import floatToGoString
from prometheus_client.values import MultiProcessValue

from . import names
from .stats import Histogram, StatsRegistry

__all__ = ["DEFAULT_INTERVAL", "Mirror", "flush", "start"]

log = logging.getLogger(__name__)
DEFAULT_INTERVAL = 1.0  # seconds between flushes: a scrape lags the workers by at most this

_GAUGE_MODES = {
    names.CACHE_ENTRIES.prometheus_name: "livesum",
    names.MODULE_IMPORT.prometheus_name: "max",
    names.BENCHMARK_DURATION.prometheus_name: "mostrecent",
    names.BENCHMARK_REGRESSION.prometheus_name: "mostrecent",
    names.BENCHMARK_CHANGE_RATIO.prometheus_name: "mostrecent",
    names.BENCHMARK_LAST_RUN.prometheus_name: "mostrecent",
    names.BENCHMARK_INSTRUCTIONS.prometheus_name: "mostrecent",
}

Key = tuple[str, str, tuple[str, ...], tuple[str, ...]]  # (family, sample name, label names, values)


class Mirror:
    """Copies one :class:`StatsRegistry` into prometheus_client multiprocess files."""

    def __init__(self, stats: StatsRegistry, interval: float = DEFAULT_INTERVAL) -> None:
        self.stats = stats
        self.interval = interval
        self._value_class: Any = MultiProcessValue()  # type: ignore[no-untyped-call]  # untyped in prometheus_client
        self._values: dict[Key, Any] = {}
        self._written: dict[Key, float] = {}
        #: counts this process inherited at a fork: the parent's, not ours
        self._baseline: dict[Key, float] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    # -- what is exported ------------------------------------------------------------------------
    def _samples(self) -> list[tuple[str, Key, float]]:
        """``(type, key, value)`` of every sample the collector would expose, as absolute values."""
        out: list[tuple[str, Key, float]] = []

        def counter(m: names.MetricName, labels: tuple[str, ...], value: float) -> None:
            out.append(("counter", (m.prometheus_name, m.sample_name, m.labels, labels), float(value)))

        def gauge(m: names.MetricName, labels: tuple[str, ...], value: float) -> None:
            out.append(("gauge", (m.prometheus_name, m.prometheus_name, m.labels, labels), float(value)))

        def histogram(m: names.MetricName, labels: tuple[str, ...], h: Histogram) -> None:
            family = m.prometheus_name
            # per-bucket (not cumulative) counts: MultiProcessCollector accumulates them itself
            for bound, n in zip((*h.bounds, float("inf")), list(h.counts), strict=True):
                le: str = floatToGoString(bound)  # type: ignore[no-untyped-call]  # untyped upstream
                key = (family, family + "_bucket", (*m.labels, "le"), (*labels, le))
                out.append(("histogram", key, float(n)))
            out.append(("histogram", (family, family + "_sum", m.labels, labels), h.sum))

        st = self.stats
        for c in st.cache_views():
            for result, tier, n in c.gets():
                counter(names.CACHE_GETS, (c.name, result, tier), n)
            counter(names.CACHE_PUTS, (c.name,), c.puts)
            for cause, n in c.eviction_series():
                counter(names.CACHE_EVICTIONS, (c.name, cause), n)
            for (tier, op), n in list(c.errors.items()):
                counter(names.CACHE_ERRORS, (c.name, tier, op), n)
            gauge(names.CACHE_ENTRIES, (c.name,), c.current_entries())
            histogram(names.CACHE_LOAD_DURATION, (c.name, "success", ""), c.load_success)
            for error_type, h in list(c.load_failure_types.items()):
                histogram(names.CACHE_LOAD_DURATION, (c.name, "failure", error_type), h)
        for (package, kind), h in list(st.import_durations.items()):
            histogram(names.IMPORT_DURATION, (package, kind), h)
        for module, seconds in list(st.module_import_seconds.items()):
            gauge(names.MODULE_IMPORT, (module,), seconds)
        for (package, state), n in list(st.lazy_imports.items()):
            counter(names.LAZY_IMPORTS, (package, state), n)
        b = st.benchmarks
        for (suite, bench, stat), v in list(b.duration.items()):
            gauge(names.BENCHMARK_DURATION, (suite, bench, stat), v)
        for (suite, bench), v in list(b.regression.items()):
            gauge(names.BENCHMARK_REGRESSION, (suite, bench), v)
        for (suite, bench), v in list(b.change_ratio.items()):
            gauge(names.BENCHMARK_CHANGE_RATIO, (suite, bench), v)
        for suite, v in list(b.last_run.items()):
            gauge(names.BENCHMARK_LAST_RUN, (suite,), v)
        for (suite, bench), v in list(b.instructions.items()):
            gauge(names.BENCHMARK_INSTRUCTIONS, (suite, bench), v)
        return out

    def _help(self, family: str) -> str:
        for m in names.ALL_METRICS:
            if m.prometheus_name == family:
                return m.description
        return ""

    # -- flushing --------------------------------------------------------------------------------
    def flush(self) -> int:
        """Write every changed value to this process's files; returns how many were written."""
        with self._lock:
            written = 0
            now = time.time()
            for typ, key, value in self._samples():
                if typ != "gauge":
                    value -= self._baseline.get(key, 0.0)
                if self._written.get(key) == value:
                    continue
                v = self._values.get(key)
                if v is None:
                    family, sample, labelnames, labelvalues = key
                    mode = _GAUGE_MODES.get(family, "") if typ == "gauge" else ""
                    v = self._values[key] = self._value_class(
                        typ, family, sample, list(labelnames), list(labelvalues), self._help(family),
                        multiprocess_mode=mode,
                    )  # fmt: skip
                if typ == "gauge" and _GAUGE_MODES.get(key[0]) == "mostrecent":
                    v.set(value, timestamp=now)
                else:
                    v.set(value)
                self._written[key] = value
                written += 1
            return written

    def before_fork(self) -> None:
        self._lock.acquire()

    def after_fork_in_parent(self) -> None:
        self._lock.release()

    def after_fork_in_child(self) -> None:
        """In a forked child: what the parent counted stays the parent's; start from zero here
        (the values themselves reopen files for the new pid on their next write)."""
        self._lock = threading.Lock()  # the parent's may have been held by its flushing thread
        self._baseline = {key: value for typ, key, value in self._samples() if typ != "gauge"}
        self._written = {}
        self._thread = None
        self._stop = threading.Event()
        self.start_thread()

    def start_thread(self) -> None:
        if self._thread is not None:
            return
        thread = threading.Thread(target=self._run, name="codomyrmex-multiproc-flush", daemon=True)
        self._thread = thread
        thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.flush()
            except Exception:  # a flush must never kill the thread; the next one retries
                log.exception("flushing codomyrmex stats to PROMETHEUS_MULTIPROC_DIR failed")

    def stop(self) -> None:
        self._stop.set()
        try:
            self.flush()
        except Exception:  # pragma: no cover - at exit, never raise
            log.exception("final flush to PROMETHEUS_MULTIPROC_DIR failed")


_mirror: Mirror | None = None
_start_lock = threading.Lock()


def start(stats: StatsRegistry, interval: float = DEFAULT_INTERVAL) -> Mirror:
    """Start mirroring ``stats`` (once per process; later calls return the running mirror)."""
    global _mirror
    with _start_lock:
        if _mirror is None:
            directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
            if not directory or not os.path.isdir(directory):
                from ..errors import ConfigurationError

                raise ConfigurationError(
                    f"PROMETHEUS_MULTIPROC_DIR must name an existing directory, got {directory!r}"
                )
            mirror = Mirror(stats, interval)
            mirror.start_thread()
            atexit.register(mirror.stop)
            # No fork while a flush holds the stats lock: the child would inherit it held.
            os.register_at_fork(before=mirror.before_fork, after_in_parent=mirror.after_fork_in_parent,
                                after_in_child=mirror.after_fork_in_child)  # fmt: skip
            _mirror = mirror
        return _mirror


def flush() -> int:
    """Flush now (e.g. at the end of a request in tests); 0 when no mirror runs."""
    m = _mirror
    return 0 if m is None else m.flush()
