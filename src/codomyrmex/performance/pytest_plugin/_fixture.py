"""The ``benchmark`` fixture object: pytest-benchmark's core API, timed like ``run_benchmark``.

    def test_parse(benchmark):
        tree = benchmark(parse, SOURCE)            # calibrated loops, returns parse's result
        assert tree.ok

    def test_pop(benchmark):
        benchmark.pedantic(lambda lst: lst.pop(), setup=lambda: (([1, 2, 3],), {}), rounds=50)

``benchmark(fn, *args, **kwargs)`` calibrates ``loops`` so that a sample lasts ``min_time``
(the same calibration as ``run_benchmark``), discards ``warmup`` samples, takes ``rounds``
samples with the garbage collector paused, then calls ``fn`` once more untimed and returns its
result (as pytest-benchmark does). ``benchmark.pedantic(...)`` takes exactly the rounds,
iterations and warmup rounds it is given, with ``setup``/``teardown`` around every round.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import BenchmarkError

if TYPE_CHECKING:
    from ..benchmarking._timing import Timing
    from ._session import PerfSession

__all__ = ["BenchmarkFixture", "FixtureAlreadyUsed"]


class _Scheduling:
    """Around the timed samples: CPU time and run-queue wait of this thread against wall time,
    into the Measurement (what ``run_benchmark`` reads to tell a disturbed measurement)."""

    def __init__(self, m: Any) -> None:
        self.m = m

    def __enter__(self) -> None:
        from ..benchmarking._timing import _schedstat

        self.sched, self.cpu0, self.wall0 = _schedstat(), time.thread_time(), time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        from ..benchmarking._timing import _scheduling

        if exc[0] is None:
            _scheduling(self.m, self.sched, time.thread_time() - self.cpu0, time.perf_counter() - self.wall0)
        self.m.ended_ns = time.time_ns()


class FixtureAlreadyUsed(BenchmarkError):
    """The ``benchmark`` fixture was called twice in one test (one test is one benchmark)."""


class BenchmarkFixture:
    """What a test receives as ``benchmark``.

    ``name`` is the test id (the recorded benchmark name), ``fullname`` the pytest node id,
    ``group`` and ``extra_info`` are recorded with the run (per-benchmark metadata), ``stats``
    is the :class:`~codomyrmex.performance.benchmarking.BenchmarkResult` once timed.
    """

    def __init__(
        self,
        *,
        suite: str,
        name: str,
        fullname: str,
        group: str | None,
        session: PerfSession | None,
        timing: Timing | None,
        measure: str = "time",
    ) -> None:
        self.suite = suite
        self.name = name
        self.fullname = fullname
        self.group = group
        self.extra_info: dict[str, Any] = {}
        #: pytest's parametrization id and values (None without parametrize), as pytest-benchmark
        self.param: str | None = None
        self.params: dict[str, Any] | None = None
        self.stats: Any = None  # BenchmarkResult once timed
        #: what the scheduler said while it was timed ({"scheduling": {...}, "noisy": {...}}),
        #: merged into the run's environment as run_benchmark records it
        self.noise: dict[str, Any] = {}
        self._session = session
        self._timing = timing
        self._measure = measure
        self._mode: str | None = None

    @property
    def disabled(self) -> bool:
        """True with ``--perf-disable``: the function runs once as a plain call, nothing is timed."""
        return self._session is None or self._timing is None

    @property
    def enabled(self) -> bool:
        return not self.disabled

    def _claim(self, mode: str) -> None:
        if self._mode is not None:
            raise FixtureAlreadyUsed(
                f"the benchmark fixture can be used once per test; {self.fullname} already used it "
                f"in {self._mode} mode"
            )
        self._mode = mode

    # -- benchmark(fn, *args, **kwargs) ----------------------------------------------------------
    def __call__(self, function_to_benchmark: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Time ``function_to_benchmark(*args, **kwargs)``; return its result."""
        self._claim("benchmark(...)")
        if not callable(function_to_benchmark):
            raise TypeError(f"benchmark() needs a callable, got {function_to_benchmark!r}")
        if self.disabled:
            return function_to_benchmark(*args, **kwargs)
        if self._measure == "instructions":
            return self._instructions(function_to_benchmark, args, kwargs, None)
        from ..benchmarking._noise import measure_undisturbed
        from ..benchmarking._timing import Measurement, _sample, calibrate

        timing = self._timing
        assert timing is not None  # narrowed by disabled

        def call() -> Any:
            return function_to_benchmark(*args, **kwargs)

        def once() -> Measurement:  # raises what the function raises (the test fails with it)
            m = Measurement(started_ns=time.time_ns())
            m.loops = calibrate(call, timing)
            for _ in range(timing.warmup):
                _sample(call, m.loops, timing.gc)
            with _Scheduling(m):
                m.samples = [_sample(call, m.loops, timing.gc) / m.loops for _ in range(timing.rounds)]
            return m

        started = time.time_ns()
        try:
            # as run_benchmark: measured again (at most twice) while the scheduler says another
            # process had the CPU, and recorded as noisy (never a baseline) if it stays so
            m = measure_undisturbed(self.noise, self.name, once)
            # as pytest-benchmark: the result comes from one more (untimed) call
            result = function_to_benchmark(*args, **kwargs)
        except Exception as exc:  # the test fails with it; the run records a failed benchmark
            self._record([], 1, started, exc)
            raise
        self._record(m.samples, m.loops, started, None, m)
        return result

    # -- benchmark.pedantic(...) -----------------------------------------------------------------
    def pedantic(
        self,
        target: Callable[..., Any],
        args: Sequence[Any] = (),
        kwargs: Mapping[str, Any] | None = None,
        setup: Callable[[], Any] | None = None,
        teardown: Callable[..., Any] | None = None,
        rounds: int = 1,
        warmup_rounds: int = 0,
        iterations: int = 1,
    ) -> Any:
        """Exactly ``rounds`` samples of ``iterations`` calls each after ``warmup_rounds``;
        ``setup()`` before every round may return ``(args, kwargs)`` for it; ``teardown(*args,
        **kwargs)`` after it. Returns the result of the last call."""
        self._claim("benchmark.pedantic(...)")
        for label, value, low in (("rounds", rounds, 1), ("iterations", iterations, 1),
                                  ("warmup_rounds", warmup_rounds, 0)):  # fmt: skip
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise BenchmarkError(f"pedantic(): {label} must be an int >= {low}, got {value!r}")
        if iterations > 1 and setup is not None:
            raise BenchmarkError("pedantic(): iterations > 1 cannot be used with a setup function "
                                 "(setup runs once per round)")  # fmt: skip
        has_args = bool(args or kwargs)

        def arguments() -> tuple[Sequence[Any], Mapping[str, Any]]:
            if setup is not None:
                made = setup()
                if made:
                    if has_args:
                        raise TypeError("pedantic(): args/kwargs cannot be given when setup returns the arguments")
                    a, k = made
                    return a, k
            return args, kwargs or {}

        if self.disabled:
            a, k = arguments()
            once = target(*a, **k)
            if teardown is not None:
                teardown(*a, **k)
            return once
        if self._measure == "instructions":
            if teardown is not None:
                raise BenchmarkError("pedantic(): teardown cannot be used with --perf-measure instructions "
                                     "(the calls are counted in another process)")  # fmt: skip
            # rounds, iterations and warmup_rounds do not apply: instruction counts are
            # differenced over calibrated loop counts (see run_benchmark(measure="instructions"))
            return self._instructions(target, args, kwargs or {}, setup, arguments)
        timing = self._timing
        assert timing is not None
        from ..benchmarking._timing import Measurement

        samples: list[float] = []
        started = time.time_ns()
        result: Any = None
        # exactly the rounds asked for (no re-measuring), but a disturbed run is still flagged
        m = Measurement(samples, iterations, started_ns=started)
        try:
            with _Scheduling(m):
                result = self._pedantic_rounds(target, arguments, teardown, rounds, warmup_rounds,
                                               iterations, samples, timing.gc)  # fmt: skip
        except Exception as exc:
            self._record([], iterations, started, exc)
            raise
        self._record(samples, iterations, started, None, m)
        return result

    @staticmethod
    def _pedantic_rounds(
        target: Callable[..., Any], arguments: Callable[[], tuple[Sequence[Any], Mapping[str, Any]]],
        teardown: Callable[..., Any] | None, rounds: int, warmup_rounds: int, iterations: int,
        samples: list[float], gc_enabled: bool,
    ) -> Any:  # fmt: skip
        import gc

        timer = time.perf_counter
        result: Any = None
        for i in range(warmup_rounds + rounds):
            a, k = arguments()
            was_enabled = gc.isenabled()
            if not gc_enabled:
                gc.disable()
            try:
                t0 = timer()
                for _ in range(iterations):
                    result = target(*a, **k)
                t1 = timer()
            finally:
                if was_enabled:
                    gc.enable()
            if i >= warmup_rounds:
                samples.append((t1 - t0) / iterations)
            if teardown is not None:
                teardown(*a, **k)
        return result

    def _instructions(
        self, target: Callable[..., Any], args: Sequence[Any], kwargs: Mapping[str, Any],
        setup: Callable[[], Any] | None,
        arguments: Callable[[], tuple[Sequence[Any], Mapping[str, Any]]] | None = None,
    ) -> Any:  # fmt: skip
        from ._instructions import measure_instructions

        timing = self._timing
        assert timing is not None
        started = time.time_ns()
        try:
            result = measure_instructions(self.suite, self.name, target, args, kwargs, setup=setup,
                                          warmup=timing.warmup, min_time=timing.min_time)  # fmt: skip
            a, k = arguments() if arguments is not None else (args, kwargs)
            value = target(*a, **k)  # the test's result, from one plain call in this process
        except Exception as exc:
            self._record([], 1, started, exc)
            raise
        self._keep(result)
        return value

    def _record(
        self, samples: list[float], loops: int, started_ns: int, exc: BaseException | None,
        measured: Any = None,
    ) -> None:  # fmt: skip
        from ..benchmarking import BenchmarkResult
        from ..benchmarking._noise import disturbed

        error = None if exc is None else f"{type(exc).__name__}: {exc}"
        noisy = measured is not None and disturbed(measured)
        if noisy and self.name not in self.noise.get("noisy", {}):  # pedantic: not re-measured
            self.noise.setdefault("noisy", {})[self.name] = (
                f"got {measured.cpu_ratio:.0%} of its wall time as CPU time, waited for a CPU "
                f"{measured.cpu_wait:.0%}")  # fmt: skip
        self._keep(BenchmarkResult(self.name, samples, loops, error, started_ns=started_ns,
                                   ended_ns=time.time_ns(), noisy=noisy))  # fmt: skip

    def _keep(self, result: Any) -> None:
        self.stats = result
        if self._session is not None:
            self._session.add(self)
