"""``run_benchmark``: time a suite, compare it with its recorded history, record and report it.

    from codomyrmex.performance.benchmarking import BenchmarkSuite, run_benchmark

    suite = BenchmarkSuite("agent_performance")
    suite.add("tokenize", lambda: TEXT.split())
    run = run_benchmark(suite, rounds=20, store="series.sqlite3")
    print(run.report())
    if run.regressions:
        raise SystemExit(1)

With a store, each benchmark is judged against the runs recorded since its last change point (at
most the last :data:`BASELINE_RUNS` of them) by :func:`~codomyrmex.performance.regression.judge_runs`:
the new run's median against the spread of the recorded runs' medians, plus a rank test of the
samples and ``min_effect``, with Holm's correction across the suite. The first
:data:`MIN_HISTORY_RUNS` runs of a benchmark only build its history (verdict "new"). What the gate
decided is recorded with the run (the HTML report shows exactly that); the run is recorded even
when its history cannot be read (that benchmark is then a check error). A suite
with no benchmarks returns an empty run with a :class:`EmptySuiteWarning` and records nothing
(the seed's ``run_benchmark(BenchmarkSuite(name="agent_performance"))`` keeps working); the CLI
treats a suite file whose suites are all empty as an error.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import math
import os
import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any, overload

from .. import env
from .._validation import check_non_negative_int, check_non_negative_number, check_positive_int
from ..errors import BenchmarkError, SeriesStoreError
from ..regression import BASELINE_RUNS, MIN_HISTORY_RUNS, PastRun, judge_runs
from ..regression._compare import _check_levels
from ..series import (
    BenchmarkRecord,
    HistoryPoint,
    PrometheusStore,
    RunRecord,
    SeriesStore,
    SQLiteStore,
)
from ..telemetry import names, recording
from ..telemetry.stats import default_registry
from ._canary import canary_workload
from ._environment import collect_environment, timer_overhead
from ._instructions import InstructionCounter, check_measure, find_valgrind
from ._noise import busy_warnings, disturbed, finish_noise, measure_undisturbed, system_state
from ._result import BenchmarkResult
from ._run import Comparison, EmptySuiteWarning, SuiteRun
from ._suite import Benchmark, BenchmarkSuite
from ._timing import Measurement, Timing, _describe, measure, measure_isolated, measure_per_round
from ._timing import measure as _take_samples  # (``measure`` is also run_benchmark's argument)

__all__ = ["BASELINE_RUNS", "HISTORY_LIMIT", "MIN_HISTORY_RUNS", "open_store", "run_benchmark"]

#: runs read back per benchmark to find the last change point
HISTORY_LIMIT = 200
#: passes over the suite its samples are spread over (time mode, two or more benchmarks)
WINDOWS = 3


class _DefaultStore:
    """The ``store`` default of :func:`run_benchmark`: the suite's own store, else the default
    SQLite store (``CODOMYRMEX_PERF_STORE``), as ``codomyrmex-perf bench run`` does. A sentinel
    rather than None because ``store=None`` is the explicit opt-out."""

    def __repr__(self) -> str:
        return "DEFAULT_STORE"


DEFAULT_STORE: Any = _DefaultStore()

ProgressFn = Callable[[int, int, str], None]


def open_store(store: Any) -> SeriesStore | None:
    """``None``/``False`` -> no store; ``True`` -> the default SQLite path; a path -> SQLite there;
    a :class:`SeriesStore` -> itself."""
    if store is None or store is False:
        return None
    if store is True:
        return SQLiteStore(env.default_store_path())
    if isinstance(store, str | os.PathLike):
        return SQLiteStore(store)
    if isinstance(store, SeriesStore):
        return store
    raise TypeError(
        f"store must be None, True, a path or a series store, got {store!r} ({type(store).__name__})"
    )


def _measure_canary(timing: Timing) -> float:
    m = measure(canary_workload, Timing(warmup=1, rounds=7, min_time=min(timing.min_time, 0.005),
                                        timer_overhead=timing.timer_overhead))  # fmt: skip
    return sorted(m.samples)[len(m.samples) // 2]


def _history(store: SeriesStore, suite: str, bench: str, host: str | None, unit: str) -> list[HistoryPoint]:
    """The recorded runs of one benchmark in ``unit``; only this host's when the store can tell
    hosts apart (timings of two machines are not one series)."""
    try:
        params = set(inspect.signature(store.history).parameters)
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        params = set()
    kwargs: dict[str, Any] = {"limit": HISTORY_LIMIT}
    if "host" in params and host:
        kwargs["host"] = host
    if "unit" in params:
        kwargs["unit"] = unit
    elif unit != "seconds":
        # a store that cannot tell units apart would mix seconds into an instruction series
        raise SeriesStoreError(f"{type(store).__name__} cannot keep a series of {unit} apart from seconds")
    points: list[HistoryPoint] = store.history(suite, bench, **kwargs)
    return points


def _past(points: list[HistoryPoint], normalize: bool) -> tuple[list[PastRun], str | None]:
    """The recorded runs as the gate sees them; canary-normalised when asked and available."""
    if normalize:
        usable = [p for p in points if p.normalized_median is not None]
        if len(usable) >= MIN_HISTORY_RUNS or len(usable) == len(points):
            return [PastRun(float(p.normalized_median), p.normalized, p.timestamp, p.noisy)  # type: ignore[arg-type]
                    for p in usable], None  # fmt: skip
        note = (f"judged on raw samples: only {len(usable)} of {len(points)} recorded runs have "
                "canary-normalised values")  # fmt: skip
        return [PastRun(p.median, p.samples, p.timestamp, p.noisy) for p in points], note
    return [PastRun(p.median, p.samples, p.timestamp, p.noisy) for p in points], None


def _accepted(
    store: SeriesStore, suite: str, host: str | None, unit: str = "seconds"
) -> tuple[dict[str, list[float]], str | None]:
    """Times of the recorded acceptances per benchmark (``"*"``: the whole suite), and why there
    are none to read when the store cannot give them (a PrometheusStore keeps none; a read that
    failed). The gate then keeps flagging, and says why with each regression."""
    read = getattr(store, "acceptances", None)
    if read is None:
        return {}, f"{type(store).__name__} keeps no acceptances"
    out: dict[str, list[float]] = {}
    try:
        for a in read(suite):
            if a.unit == unit and (a.host is None or host is None or a.host == host):
                out.setdefault(a.benchmark or "*", []).append(a.timestamp)
    except SeriesStoreError as exc:
        return {}, str(exc)
    return out, None


def _compare(
    run: SuiteRun, store: SeriesStore, *, alpha: float, min_effect: float | None, normalize: bool,
    unit: str = "seconds",
) -> None:
    """Judge every benchmark of ``run`` against the store's history (one shared gate function,
    :func:`~codomyrmex.performance.regression.judge_runs`); a history that cannot be read makes
    that benchmark a check error, never a lost run."""
    groups: dict[str | None, tuple[dict[str, list[float]], dict[str, list[PastRun]]]] = {}
    results = {n: r for n, r in run.results.items() if not r.failed}
    with recording.span(names.SPAN_REGRESSION_CHECK, {"suite": run.suite}) as sp:
        for name, result in results.items():
            try:
                # a store that labels its runs with its own host name (PrometheusStore(host=...))
                # reads them back under that name, not under this machine's hostname
                host = getattr(store, "host", None) or run.environment.get("hostname")
                points = _history(store, run.suite, name, host, unit)
            except (SeriesStoreError, OSError) as exc:
                result.comparison = Comparison(name, None, result.median, None, None,
                                               f"history could not be read: {exc}")  # fmt: skip
                continue
            past, fallback = _past(points, normalize)
            judged_on_normalized = normalize and fallback is None
            current = result.normalized if judged_on_normalized else result.times
            # runs judged on the same scale share one Holm family
            cur_map, hist_map = groups.setdefault(fallback, ({}, {}))
            cur_map[name], hist_map[name] = list(current), past
        for fallback, (cur_map, hist_map) in groups.items():
            accepted, unreadable = _accepted(store, run.suite, run.environment.get("hostname"), unit)
            per_bench = {n: accepted.get(n, []) + accepted.get("*", []) for n in cur_map}
            for name, j in judge_runs(cur_map, hist_map, alpha=alpha, min_effect=min_effect,
                                      accepted=per_bench, unit=unit).items():  # fmt: skip
                result = run.results[name]
                if unreadable and j.verdict is not None and j.verdict.is_regression:
                    # an accepted level would not be a regression: say it could not be known
                    j = dataclasses.replace(j, note="; ".join(
                        x for x in (j.note, f"acceptances could not be read: {unreadable}") if x))  # fmt: skip
                base = None
                if j.verdict is not None and j.verdict.current_median > 0:
                    # the baseline in the result's unit, whatever scale was judged
                    base = j.verdict.baseline_median * (result.median / j.verdict.current_median)
                note = "; ".join(n for n in (j.note, fallback) if n) or None
                result.comparison = Comparison(
                    name, base, result.median, None if j.verdict is None else j.verdict.change,
                    j.verdict, note, j.baseline_runs, j.drift, normalize and fallback is None,
                )  # fmt: skip
        sp.set_attribute("benchmarks", len(results))
        sp.set_attribute("regressions", len(run.regressions))


def _record(run: SuiteRun) -> RunRecord:
    return RunRecord(
        run.run_id, run.suite, run.timestamp,
        tuple(BenchmarkRecord(r.name, tuple(r.times), r.loops, r.failed, r.error, tuple(r.normalized),
                              None if r.comparison is None else r.comparison.stored(), r.unit, r.noisy)
              for r in run.results.values()),
        run.environment, run.canary,
    )  # fmt: skip


def _telemetry(run: SuiteRun, suite_span: Any) -> None:
    registry = default_registry()
    for name, r in run.results.items():
        child = recording.start_span(
            names.span_benchmark(run.suite, name), parent=suite_span, start_time_ns=r.started_ns,
            attributes={"suite": run.suite, "benchmark": name, "n": r.iterations},
        )  # fmt: skip
        c = r.comparison
        if r.failed:
            recording.mark_error(child, BenchmarkError(r.error or "failed"))
            child.set_attribute("verdict", "failed")
            # its previous numbers must not keep being exported as if they were this run's
            registry.remove_benchmark(run.suite, name)
        else:
            for stat in ("p50", "p90", "p99"):
                child.set_attribute(stat, getattr(r, stat))
            child.set_attribute("verdict", c.verdict_name if c is not None else "new")
            if c is not None and c.change is not None:
                child.set_attribute("change", c.change)
            if c is not None and c.verdict is not None:
                child.set_attribute("p_value", c.verdict.p_adjusted)
            counted = r.unit == "instructions"
            registry.set_benchmark(
                run.suite, name, {} if counted else r.stats(),
                regression=c is not None and c.verdict is not None and c.verdict.is_regression,
                change_ratio=None if c is None or c.change is None else c.change + 1.0,
                instructions=r.median if counted else None,
            )  # fmt: skip
        child.end(end_time=r.ended_ns or None)
    registry.set_suite_run(run.suite, run.timestamp)


def _as_suite(target: Any, name: str | None) -> tuple[BenchmarkSuite, bool]:
    if isinstance(target, BenchmarkSuite):
        return target, False
    if callable(target):
        label = str(name or getattr(target, "__qualname__", None) or getattr(target, "__name__", "benchmark"))
        suite = BenchmarkSuite(label)
        suite.add(label, target)
        return suite, True
    raise TypeError(
        f"run_benchmark needs a BenchmarkSuite or a callable, got {target!r} ({type(target).__name__})"
    )


@overload
def run_benchmark(
    suite_or_callable: BenchmarkSuite,
    *,
    warmup: int = ...,
    rounds: int = ...,
    min_time: float = ...,
    isolate: bool | int = ...,
    name: str | None = ...,
    store: Any = ...,
    pushgateway: str | None = ...,
    iterations: int | None = ...,
    gc: bool = ...,
    canary: bool = ...,
    normalize: bool = ...,
    alpha: float = ...,
    min_effect: float | None = ...,
    progress: ProgressFn | None = ...,
    measure: str = ...,
    noise: bool = ...,
) -> SuiteRun: ...
@overload
def run_benchmark(
    suite_or_callable: Callable[..., Any],
    *,
    warmup: int = ...,
    rounds: int = ...,
    min_time: float = ...,
    isolate: bool | int = ...,
    name: str | None = ...,
    store: Any = ...,
    pushgateway: str | None = ...,
    iterations: int | None = ...,
    gc: bool = ...,
    canary: bool = ...,
    normalize: bool = ...,
    alpha: float = ...,
    min_effect: float | None = ...,
    progress: ProgressFn | None = ...,
    measure: str = ...,
    noise: bool = ...,
) -> BenchmarkResult: ...


def run_benchmark(
    suite_or_callable: BenchmarkSuite | Callable[..., Any],
    *,
    warmup: int = 1,
    rounds: int = 20,
    min_time: float = 0.005,
    isolate: bool | int = False,
    name: str | None = None,
    store: Any = DEFAULT_STORE,
    pushgateway: str | None = None,
    iterations: int | None = None,
    gc: bool = False,
    canary: bool = True,
    normalize: bool = False,
    alpha: float = 0.01,
    min_effect: float | None = None,
    progress: ProgressFn | None = None,
    measure: str = "time",
    noise: bool = True,
) -> SuiteRun | BenchmarkResult:
    """Run a suite (returns a :class:`SuiteRun`) or a plain callable (returns its
    :class:`BenchmarkResult`, as the seed API did; ``iterations`` is the seed's name for
    ``rounds``).

    ``rounds`` samples per benchmark, each lasting >= ``min_time`` seconds, after ``warmup``
    discarded samples; ``isolate=N`` takes the samples in N forked worker processes. ``store``
    records the run and supplies the baseline: by default the suite's own, else the default
    SQLite store (``CODOMYRMEX_PERF_STORE`` or ``~/.local/share/codomyrmex-perf/series.sqlite3``),
    as ``codomyrmex-perf bench run`` does; ``store=None`` (or False) records and compares nothing.
    A plain callable is only timed unless ``store`` is given (its name is no stable series id),
    and an empty suite opens no store; ``normalize=True``
    judges canary-normalised samples instead of raw ones. ``pushgateway`` (default
    ``CODOMYRMEX_PERF_PUSHGATEWAY``) receives the run's gauges.
    ``min_effect`` (default: 2 % for seconds, 0.5 % for instructions) is the
    smallest change reported.

    ``noise=False`` still records the scheduling evidence and warns about a busy machine, but
    neither measures a disturbed benchmark again nor marks it noisy (for a caller that wants every
    run judged, e.g. a test of the gate on a machine that is always oversubscribed).

    ``measure="instructions"`` counts CPU instructions per call under Valgrind instead of timing
    (see :mod:`~codomyrmex.performance.benchmarking._instructions`): one exact sample per benchmark
    (``rounds``, ``canary`` and ``normalize`` do not apply; ``min_time`` sizes the loop), recorded
    as its own series with ``unit="instructions"``. Without Valgrind it raises a
    :class:`~codomyrmex.performance.errors.BenchmarkError` naming the package to install.
    """
    suite, single = _as_suite(suite_or_callable, name)
    if iterations is not None:
        rounds = iterations
    check_non_negative_int("warmup", warmup, error=BenchmarkError)
    check_positive_int("rounds" if iterations is None else "iterations", rounds, error=BenchmarkError)
    check_non_negative_number("min_time", min_time, error=BenchmarkError, unit="seconds")
    if isolate is not False and (isinstance(isolate, bool) or not isinstance(isolate, int) or isolate < 1):
        raise BenchmarkError(f"isolate must be False or a number of worker processes >= 1, got {isolate!r}")
    measure = check_measure(measure)
    _check_levels(alpha, 0.0 if min_effect is None else min_effect)  # before anything is timed
    if measure == "instructions":
        if normalize:
            raise BenchmarkError("normalize=True applies to measure='time' (an instruction count "
                                 "needs no canary)")  # fmt: skip
        if isolate:
            raise BenchmarkError("isolate applies to measure='time': instruction mode already runs "
                                 "every benchmark in fresh processes")  # fmt: skip
        find_valgrind()  # before anything is run
    if normalize and not canary:
        raise BenchmarkError("normalize=True needs canary=True (samples are normalised by the canary)")
    if store is DEFAULT_STORE:
        store = suite.store if suite.store is not None else not single
    store_arg = store if len(suite) else None  # an empty suite records nothing: create no file
    target_store = open_store(store_arg)
    try:
        return _run(suite, single, name, target_store, pushgateway, warmup, rounds, float(min_time),
                    isolate, gc, canary, normalize, alpha, min_effect, progress, measure, noise)  # fmt: skip
    finally:
        # a store opened here from a path is closed here; one passed in belongs to the caller
        if target_store is not None and target_store is not store_arg:
            close = getattr(target_store, "close", None)
            if close is not None:
                close()


def _run(
    suite: BenchmarkSuite, single: bool, name: str | None, target_store: SeriesStore | None,
    pushgateway: str | None, warmup: int, rounds: int, min_time: float, isolate: bool | int,
    gc: bool, canary: bool, normalize: bool, alpha: float, min_effect: float | None,
    progress: ProgressFn | None, measure: str = "time", noise: bool = True,
) -> SuiteRun | BenchmarkResult:  # fmt: skip
    push_url = pushgateway or env.get("CODOMYRMEX_PERF_PUSHGATEWAY")
    pusher = PrometheusStore(pushgateway=push_url) if push_url else None

    run_name = name if name is not None and not single else suite.name
    # one measurement of the timer's overhead: the one loops are calibrated against is the one
    # recorded in the run's environment
    overhead = timer_overhead()
    run = SuiteRun(run_name, environment=collect_environment(suite.source, overhead=overhead))
    cpu0, wall0 = time.process_time(), time.perf_counter()
    if len(suite) == 0:
        warnings.warn(
            f"suite {suite.name!r} has no benchmarks; nothing was timed or recorded",
            EmptySuiteWarning, stacklevel=3,
        )  # fmt: skip
        run.warnings.append("the suite has no benchmarks")
        return run
    run.environment["system"] = system_state()
    if measure == "time":  # an instruction count does not care who else runs
        run.warnings.extend(busy_warnings(run.environment["system"]))
    timing = Timing(warmup, rounds, min_time, gc, None, overhead)
    unit = "instructions" if measure == "instructions" else "seconds"
    run.environment["measure"] = measure
    with recording.span(names.span_benchmark(run.suite), {"suite": run.suite}) as suite_span:
        if measure == "instructions":
            _count_instructions(run, suite, timing, progress)
            canary = False
        # The canary is timed before the first benchmark and after each one; a benchmark is
        # normalised by the mean of the canaries on either side of it, so drift during a long
        # run is tracked rather than frozen at its start. The run's canary is their median.
        canaries = [_measure_canary(timing)] if canary else []
        benches: list[Benchmark] = suite.benchmarks if measure == "time" else []
        # Samples are taken in WINDOWS passes over the suite (rounds split between them), so a
        # burst on the machine lands in one window of each benchmark, not in all its samples,
        # and cannot move its median. Setup and calibration happen once, in the first pass.
        shares = _shares(rounds, WINDOWS if len(benches) > 1 and not isolate else 1)
        first = Timing(warmup, shares[0], min_time, gc, None, timing.timer_overhead)
        whole = Timing(warmup, rounds, min_time, gc, None, timing.timer_overhead)
        calls: dict[str, Callable[[], Any]] = {}
        for i, bench in enumerate(benches):
            if progress is not None:
                progress(i, len(benches), bench.name)
            # a setup_per_round benchmark takes all its samples at once (its setup is per sample)
            once, call = _measurer(bench, whole if bench.setup_per_round else first, isolate)
            m = measure_undisturbed(run.environment, bench.name, once, remeasure=noise)
            result = BenchmarkResult(bench.name, m.samples, m.loops, m.error, started_ns=m.started_ns,
                                     ended_ns=m.ended_ns, environment=run.environment,
                                     noisy=noise and disturbed(m))  # fmt: skip
            if call is not None and m.error is None and not bench.setup_per_round:
                calls[bench.name] = call
            if canary:
                canaries.append(_measure_canary(timing))
            run.results[bench.name] = result
        for share in shares[1:]:
            window = [_measure_canary(timing)] if canary else []
            for bench in benches:
                result = run.results[bench.name]
                if bench.name in calls and not result.failed:
                    fixed = Timing(0, share, min_time, gc, result.loops, timing.timer_overhead)
                    m = measure_undisturbed(run.environment, bench.name,
                                            functools.partial(_take_samples, calls[bench.name], fixed),
                                            remeasure=noise)  # fmt: skip
                    result.ended_ns = m.ended_ns
                    if m.error is not None:
                        result.times, result.error = [], m.error
                    else:
                        result.times.extend(m.samples)
                        result.noisy = result.noisy or (noise and disturbed(m))
                if canary:
                    window.append(_measure_canary(timing))
            # each benchmark is normalised by the canaries around it, over all windows
            canaries = [c + w for c, w in zip(canaries, window, strict=True)] if window else canaries
        if canary and len(shares) > 1:
            canaries = [c / len(shares) for c in canaries]
        if progress is not None:
            progress(len(suite), len(suite), "")
        run.canary = statistics.median(canaries) if canaries else None
        if canaries:
            _normalize(run, canaries, noise)
        run.warnings.extend(finish_noise(run.environment, cpu0, wall0))
        if target_store is not None:
            _compare(run, target_store, alpha=alpha, min_effect=min_effect, normalize=normalize and canary,
                     unit=unit)  # fmt: skip
        suite_span.set_attribute("benchmarks", len(run.results))
        suite_span.set_attribute("regressions", len(run.regressions))
        suite_span.set_attribute("failed", len(run.failed))
        _telemetry(run, suite_span)
    record = _record(run)
    if isinstance(target_store, PrometheusStore):
        # the fleet store: the run is recorded by pushing it, with its regression flags
        _push(target_store, record, run, fatal=True)
        run.store = target_store
        if pusher is not None and pusher.pushgateway == target_store.pushgateway:
            pusher = None  # already pushed there
    elif target_store is not None:
        target_store.append(record)
        run.store = target_store
    if pusher is not None:
        _push(pusher, record, run)
    return run.results[suite.name] if single else run


def _count_instructions(run: SuiteRun, suite: BenchmarkSuite, timing: Timing,
                        progress: ProgressFn | None) -> None:  # fmt: skip
    counter = InstructionCounter(suite, timing)
    run.environment.update(counter.environment())
    for name, m in counter.measure(progress).items():
        run.results[name] = BenchmarkResult(name, m.samples, m.loops, m.error, started_ns=m.started_ns,
                                            ended_ns=m.ended_ns, environment=run.environment,
                                            unit="instructions")  # fmt: skip


#: a local canary (mean of the two around a benchmark) further than this from the run's median
#: canary (or 4 robust σ of the canaries, if larger) is an outlier: one disturbed canary timing
#: would otherwise rescale a whole benchmark (a +5 % change once read as -64 %)
CANARY_TOLERANCE = 0.10


def _normalize(run: SuiteRun, canaries: list[float], noise: bool = True) -> None:
    """Divide each benchmark's samples by the mean of the canary times measured on either side of
    it, leaving out a canary timing that is an outlier (the run's median canary if both are);
    records the canaries' spread in the run's environment."""
    centre = statistics.median(canaries)
    if centre <= 0:
        return
    logs = [math.log(c / centre) for c in canaries if c > 0]
    spread = 1.4826 * statistics.median([abs(v) for v in logs]) if logs else 0.0
    run.environment["canary_spread"] = math.expm1(spread)
    tolerance = max(math.log1p(CANARY_TOLERANCE), 4.0 * spread)
    def usable(c: float) -> bool:
        return c > 0 and abs(math.log(c / centre)) <= tolerance

    replaced = []
    for i, result in enumerate(run.results.values()):
        around = [c for c in (canaries[i], canaries[i + 1]) if usable(c)]
        if len(around) < 2:
            replaced.append(result.name)
            if noise and result.times and not around:  # both canaries off: the machine moved under it
                result.noisy = True
                why = run.environment.setdefault("noisy", {})
                why[result.name] = "; ".join(filter(None, (why.get(result.name), "the canaries on both sides were off")))
        local = sum(around) / len(around) if around else centre
        if result.times:
            result.normalized = [t / local for t in result.times]
    if replaced:
        run.environment["canary_replaced"] = replaced
        run.warnings.append(f"a canary timing far from the run's median next to {', '.join(replaced)} "
                            "was left out of its normalisation")  # fmt: skip


def _shares(rounds: int, windows: int) -> list[int]:
    """``rounds`` split into at most ``windows`` nearly equal, non-empty parts."""
    windows = max(1, min(windows, rounds))
    return [rounds // windows + (1 if i < rounds % windows else 0) for i in range(windows)]


def _measurer(
    bench: Benchmark, timing: Timing, isolate: bool | int
) -> tuple[Callable[[], Measurement], Callable[[], Any] | None]:
    """Run the benchmark's setup once; return what takes one measurement of it (measuring again
    after a disturbance reuses the same prepared call) and that call (None if there is none)."""
    if bench.setup_per_round:  # setup before every sample, in this process
        return functools.partial(measure_per_round, bench.prepare, timing), None
    try:
        call = bench.prepare()
    except (Exception, SystemExit) as exc:  # setup failed: the benchmark failed, nothing was timed
        now = time.time_ns()
        failed = Measurement([], 1, f"setup failed: {_describe(exc)}", now, now)
        return (lambda: failed), None
    if isolate:
        return functools.partial(measure_isolated, call, timing, int(isolate)), call
    return functools.partial(measure, call, timing), call


def _push(pusher: PrometheusStore, record: RunRecord, run: SuiteRun, *, fatal: bool = False) -> None:
    regressions = {n: r.comparison.verdict.is_regression for n, r in run.results.items()
                   if r.comparison is not None and r.comparison.verdict is not None}  # fmt: skip
    ratios = {n: r.comparison.change + 1.0 for n, r in run.results.items()
              if r.comparison is not None and r.comparison.change is not None}  # fmt: skip
    try:
        pusher.append(record, regressions=regressions, change_ratios=ratios)
    except SeriesStoreError as exc:
        if fatal:  # the store itself: not recording the run is an error, not a warning
            raise
        # the run is already recorded locally; a push failure is reported, not fatal
        run.warnings.append(f"push failed: {exc}")
        warnings.warn(f"benchmark results were not pushed: {exc}", RuntimeWarning, stacklevel=3)

