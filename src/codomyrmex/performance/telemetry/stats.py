"""Plain, dependency-free statistics that feature code records into.

The hot paths (cache hits) only do ``stats.hits += 1`` under a lock they already hold. Nothing
here imports OpenTelemetry or prometheus_client: the OTel observable instruments
(:mod:`._otel`) and the Prometheus collector (:mod:`._prometheus`) *read* these objects at
collection time, so both paths report exactly the same numbers.

    >>> from codomyrmex.performance.telemetry.stats import StatsRegistry
    >>> reg = StatsRegistry()
    >>> s = reg.cache("expensive_analysis")
    >>> s.hits += 1
    >>> reg.cache("expensive_analysis").hits
    1
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

from ._cache_stats import CacheStats, Histogram
from .names import BENCHMARK_STATS, IMPORT_KINDS

#: the label value that series past the budget fold into
OTHER = "other"
_FOLD_SLACK = 64  # partly folded label sets admitted past the cap (e.g. one per suite)

__all__ = [
    "OTHER",
    "BenchmarkGauges",
    "CacheStats",
    "Histogram",
    "StatsRegistry",
    "default_registry",
]


def _env_positive_int(name: str, default: int) -> int:
    # os.environ, not the env module: this runs on the first lazy import of a process, whose
    # import cost is guarded (the variables are documented in env.ENV_VARS).
    import os

    raw = os.environ.get(name, "").strip() or str(default)
    if not raw.isdigit() or int(raw) < 1:
        from ..errors import ConfigurationError

        raise ConfigurationError(f"{name} must be an integer >= 1, got {raw!r}")
    return int(raw)


class BenchmarkGauges:
    """The last values of the benchmark gauges, keyed by label tuples.

    A plain class, not a dataclass: see the import-cost note in :mod:`.names`.
    """

    __slots__ = ("change_ratio", "duration", "instructions", "last_run", "regression")

    def __init__(self) -> None:
        #: (suite, benchmark, stat) -> seconds
        self.duration: dict[tuple[str, str, str], float] = {}
        #: (suite, benchmark) -> 0.0 or 1.0
        self.regression: dict[tuple[str, str], float] = {}
        #: (suite, benchmark) -> current median / baseline median
        self.change_ratio: dict[tuple[str, str], float] = {}
        #: (suite, benchmark) -> CPU instructions per call (instruction mode)
        self.instructions: dict[tuple[str, str], float] = {}
        #: suite -> unix seconds
        self.last_run: dict[str, float] = {}


class StatsRegistry:
    """All statistics of one process (or one test). Readers iterate; writers mutate in place.

    Structural changes (a new cache, a new label set) take ``self.lock``; increments of existing
    counters do not need it (they happen under the owning object's own lock).
    """

    def __init__(
        self, *, module_top_k: int = 20, package_top_k: int | None = None, max_series: int | None = None
    ) -> None:
        #: label sets per family before new values fold into ``other``; ``None``:
        #: ``CODOMYRMEX_PERF_MAX_SERIES`` (default 1000), read on first need
        self._max_series = max_series
        #: import-duration histograms are kept for the ``package_top_k`` slowest packages;
        #: ``None``: ``CODOMYRMEX_PERF_IMPORT_TOP_K`` (default 20), read on first need
        self._package_top_k = package_top_k
        self._import_rank: dict[str, float] = {}  # package -> longest observation (its rank)
        self.folded: set[str] = set()  # families that have folded values (warned once each)
        #: False until the first stat is recorded; then PROMETHEUS_MULTIPROC_DIR is looked at
        #: (the default registry only: see _multiprocess)
        self._mp_checked = True
        self.lock = threading.Lock()
        self.caches: dict[str, CacheStats] = {}
        #: (package, state) -> count
        self.lazy_imports: dict[tuple[str, str], int] = {}
        #: (package, kind) -> Histogram
        self.import_durations: dict[tuple[str, str], Histogram] = {}
        #: module -> cumulative seconds, bounded to ``module_top_k`` entries
        self.module_import_seconds: dict[str, float] = {}
        self.module_top_k = module_top_k
        self.benchmarks = BenchmarkGauges()
        #: name -> the live per-instance stats made by :meth:`new_cache` (weakly held).
        self.cache_instances: dict[str, weakref.WeakSet[CacheStats]] = {}
        self._retiring: list[CacheStats] = []

    # -- the series budget ---------------------------------------------------------------------
    # Every label value that reaches an exporter is a series in Prometheus forever (until it
    # restarts) and a stream in the OTel SDK: 10,000 benchmark params or failing lazy names once
    # made a 106 MB scrape. So each family admits at most max_series label sets; later values
    # fold into OTHER (one warning per family), the fully folded set always being admitted.
    @property
    def max_series(self) -> int:
        if self._max_series is None:
            self._max_series = _env_positive_int("CODOMYRMEX_PERF_MAX_SERIES", 1000)
        return self._max_series

    @property
    def package_top_k(self) -> int:
        if self._package_top_k is None:
            self._package_top_k = _env_positive_int("CODOMYRMEX_PERF_IMPORT_TOP_K", 20)
        return self._package_top_k

    def _warn_folded(self, family: str) -> None:
        if family not in self.folded:
            self.folded.add(family)
            import logging

            logging.getLogger(__name__).warning(
                "%s: more than %d label sets (CODOMYRMEX_PERF_MAX_SERIES); new values are "
                "folded into %r from now on", family, self.max_series, OTHER,
            )  # fmt: skip

    def _admit(self, family: str, table: dict[Any, Any], key: tuple[str, ...], fold: tuple[int, ...]) -> tuple[str, ...]:
        """``key`` if ``table`` may hold it, else ``key`` with the ``fold`` positions (in order)
        replaced by OTHER until it fits. Under ``self.lock``."""
        cap = self.max_series
        if key in table or len(table) < cap:
            return key
        self._warn_folded(family)
        parts = list(key)
        for i, pos in enumerate(fold):
            parts[pos] = OTHER
            candidate = tuple(parts)
            if candidate in table or i == len(fold) - 1 or len(table) < cap + _FOLD_SLACK:
                return candidate
        return tuple(parts)

    def _check_multiprocess(self) -> None:
        """Under PROMETHEUS_MULTIPROC_DIR, start mirroring into prometheus_client's files (no
        register_collector needed: MultiProcessCollector reads the files)."""
        self._mp_checked = True
        import os

        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from ._multiprocess import start

            start(self)

    # -- caches ------------------------------------------------------------------------------
    def cache(self, name: str) -> CacheStats:
        """The stats of cache ``name``, created (all series at zero) on first use.

        Two caches created with the same name share one set of counters, as two
        prometheus_client children with the same labels would.
        """
        stats = self.caches.get(name)
        if stats is None:
            if not self._mp_checked:
                self._check_multiprocess()
            with self.lock:
                stats = self.caches.setdefault(name, CacheStats(name))
        return stats

    def new_cache(self, name: str, owner: object | None = None) -> CacheStats:
        """Counters of one cache *instance* labelled ``name``, apart from other caches that
        share the name (two managers' ``"default"`` caches, two closures with one qualname).

        Exporters read :meth:`cache_views`: per name, the sum of the live instances plus
        :meth:`cache` (``name``), which holds the counts of instances that are gone. The series
        exist at zero from creation. When ``owner`` (or, without it, the caller via
        :meth:`retire`) is done, the instance's counts are folded into that total, so a counter
        never goes down when a cache is dropped.
        """
        self.cache(name)  # the total: the name's series exist (at 0) from creation
        stats = CacheStats(name)
        with self.lock:
            self.cache_instances.setdefault(name, weakref.WeakSet()).add(stats)
        if owner is not None:
            weakref.finalize(owner, self.retire, stats)
        return stats

    def retire(self, stats: CacheStats) -> None:
        """Fold a cache instance's counts into its name's total and stop reading it.

        Often called by a finalizer, i.e. by the garbage collector in whatever thread is
        running, possibly one that holds ``self.lock`` right now: so the instance is queued
        (``list.append`` is atomic) and folded now only if the lock is free, else by the next
        :meth:`cache_views`."""
        self._retiring.append(stats)
        if self.lock.acquire(blocking=False):
            try:
                self._fold_retired()
            finally:
                self.lock.release()

    def _fold_retired(self) -> None:
        # Under self.lock.
        while self._retiring:
            stats = self._retiring.pop()
            live = self.cache_instances.get(stats.name)
            if live is None or stats not in live:
                continue  # already retired (or the registry was cleared since)
            live.discard(stats)
            total = self.caches.get(stats.name)
            if total is None:
                total = self.caches[stats.name] = CacheStats(stats.name)
            total.add(stats)

    def cache_views(self) -> list[CacheStats]:
        """One :class:`CacheStats` per cache name, as exporters should read them: the name's
        own object when no instance made by :meth:`new_cache` is alive, else a fresh sum of it
        and the live instances (entries: the sum of their gauges)."""
        with self.lock:  # retired instances fold under this lock: none counted twice or missed
            self._fold_retired()
            out: list[CacheStats] = []
            for name, base in list(self.caches.items()):
                live = list(self.cache_instances.get(name, ()))
                if not live:
                    out.append(base)
                    continue
                view = CacheStats(name)
                view.add(base)
                entries = base.current_entries()
                for inst in live:
                    view.add(inst)
                    entries += inst.current_entries()
                view.entries = entries
                out.append(view)
        cap = self.max_series
        if len(out) <= cap:
            return out
        # Names past the budget (in creation order, so a name never moves between its own
        # series and OTHER: every counter stays monotonic) are summed into one OTHER view.
        self._warn_folded("codomyrmex_cache_*")
        other = CacheStats(OTHER)
        entries = 0
        for view in out[cap:]:
            other.add(view)
            entries += view.current_entries()
        other.entries = entries
        return [*out[:cap], other]

    # -- imports -----------------------------------------------------------------------------
    def count_lazy_import(self, package: str, state: str) -> None:
        if not self._mp_checked:
            self._check_multiprocess()
        with self.lock:
            table = self.lazy_imports
            package, state = self._admit("codomyrmex_lazy_imports", table, (package, state), (0,))
            table[(package, state)] = table.get((package, state), 0) + 1

    def observe_import(self, package: str, kind: str, seconds: float) -> str:
        """Observe one import time; returns the package label used: ``package`` while it is
        among the ``package_top_k`` slowest (by its longest observation), else OTHER. A package pushed
        out of the top K has its histograms folded into OTHER's, so no count is lost and every
        series that stays is monotonic."""
        if not self._mp_checked:
            self._check_multiprocess()
        with self.lock:
            rank = self._import_rank
            if package not in rank and package != OTHER:
                if len(rank) >= self.package_top_k:  # (a property: may read the environment)
                    weakest = min(rank, key=rank.__getitem__)
                    if seconds <= rank[weakest]:
                        package = OTHER
                    else:
                        del rank[weakest]
                        for k in IMPORT_KINDS:
                            evicted = self.import_durations.pop((weakest, k), None)
                            if evicted is not None:
                                self._import_hist(OTHER, k).add(evicted)
                if package != OTHER:
                    rank[package] = 0.0
            if package != OTHER and seconds > rank[package]:
                rank[package] = seconds  # ranked by its slowest import, whatever the kind
            self._import_hist(package, kind).observe(seconds)
            return package

    def _import_hist(self, package: str, kind: str) -> Histogram:
        hist = self.import_durations.get((package, kind))
        if hist is None:
            hist = self.import_durations[(package, kind)] = Histogram()
        return hist

    def set_module_import(self, module: str, seconds: float) -> None:
        """Offer a module's cumulative import time; only the ``module_top_k`` slowest are kept
        so that a 600-module import never becomes 600 series."""
        with self.lock:
            table = self.module_import_seconds
            if module in table or len(table) < self.module_top_k:
                table[module] = max(seconds, table.get(module, 0.0))
                return
            fastest = min(table, key=table.__getitem__)
            if seconds > table[fastest]:
                del table[fastest]
                table[module] = seconds

    # -- benchmarks --------------------------------------------------------------------------
    def set_benchmark(
        self,
        suite: str,
        benchmark: str,
        stats: dict[str, float],
        *,
        regression: bool | None = None,
        change_ratio: float | None = None,
        instructions: float | None = None,
    ) -> None:
        """Record the last run of one benchmark. ``stats`` keys: min, p50, p90, p95, p99, mean
        (seconds; empty for an instruction-mode run, whose count goes in ``instructions``)."""
        unknown = set(stats) - set(BENCHMARK_STATS)
        if unknown:
            raise ValueError(f"unknown benchmark stat(s) {sorted(unknown)}; accepted: {BENCHMARK_STATS}")
        if not self._mp_checked:
            self._check_multiprocess()
        with self.lock:
            gauges = self.benchmarks
            for stat, value in stats.items():
                s_, b_, stat_ = self._admit("codomyrmex_benchmark_duration_seconds", gauges.duration,
                                            (suite, benchmark, stat), (1, 0))  # fmt: skip
                gauges.duration[(s_, b_, stat_)] = float(value)
            if regression is not None:
                s_, b_ = self._admit("codomyrmex_benchmark_regression", gauges.regression, (suite, benchmark), (1, 0))
                gauges.regression[(s_, b_)] = 1.0 if regression else 0.0
            if change_ratio is not None:
                s_, b_ = self._admit("codomyrmex_benchmark_change_ratio", gauges.change_ratio, (suite, benchmark), (1, 0))
                gauges.change_ratio[(s_, b_)] = float(change_ratio)
            if instructions is not None:
                s_, b_ = self._admit("codomyrmex_benchmark_instructions", gauges.instructions, (suite, benchmark), (1, 0))
                gauges.instructions[(s_, b_)] = float(instructions)

    def remove_benchmark(self, suite: str, benchmark: str) -> None:
        """Forget the gauges of one benchmark (e.g. it failed in its last run: its previous
        numbers must not keep being exported as if they were current)."""
        with self.lock:
            gauges = self.benchmarks
            for key in [k for k in gauges.duration if k[0] == suite and k[1] == benchmark]:
                del gauges.duration[key]
            gauges.regression.pop((suite, benchmark), None)
            gauges.change_ratio.pop((suite, benchmark), None)
            gauges.instructions.pop((suite, benchmark), None)

    def set_suite_run(self, suite: str, timestamp: float) -> None:
        with self.lock:
            last = self.benchmarks.last_run
            (key,) = self._admit("codomyrmex_benchmark_last_run_timestamp_seconds",
                                 {(k,): v for k, v in last.items()} if len(last) >= self.max_series else {},
                                 (suite,), (0,))  # fmt: skip
            last[key] = float(timestamp)

    def clear(self) -> None:
        """Forget everything (for tests and for ``shutdown``)."""
        with self.lock:
            self.caches.clear()
            self.cache_instances.clear()
            self.lazy_imports.clear()
            self.import_durations.clear()
            self.module_import_seconds.clear()
            self._import_rank.clear()
            self.folded.clear()
            self.benchmarks = BenchmarkGauges()


_DEFAULT = StatsRegistry()
_DEFAULT._mp_checked = False  # the process-wide registry follows PROMETHEUS_MULTIPROC_DIR


def default_registry() -> StatsRegistry:
    """The process-wide registry that the library records into and the exporters read."""
    return _DEFAULT
