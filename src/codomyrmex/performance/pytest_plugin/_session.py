"""What the plugin does with the timed tests: one recorded run per test module, judged by the gate.

Every benchmark of a module is collected while the tests run; when the session ends each module
becomes one run of the suite named after it (``tests/test_parse.py``), with one benchmark per
test id (``test_parse[small]``, ``TestLexer::test_tokens``). The run is judged against the
store's history by the same gate as ``codomyrmex-perf bench run`` (``judge_runs``, Holm across
the module's benchmarks, verdicts only after ``MIN_HISTORY_RUNS`` recorded runs), recorded with
its verdicts, and summarised by :meth:`PerfSession.summary` in pytest's terminal report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..benchmarking import SuiteRun
    from ._fixture import BenchmarkFixture

__all__ = ["METADATA_KEY", "PerfSession"]

#: the run environment key holding per-benchmark metadata (group, extra_info, node id; pyperf
#: and pytest-benchmark metadata of imported runs) as {benchmark name: {...}}
METADATA_KEY = "benchmark_metadata"


@dataclass
class PerfSession:
    """The plugin's state for one pytest session."""

    store_path: Path
    fail_on_regression: bool = False
    alpha: float = 0.01
    min_effect: float = 0.02
    #: suite (module node id) -> the fixtures that timed something, in test order
    timed: dict[str, list[BenchmarkFixture]] = field(default_factory=dict)
    #: module node id -> its file, for the run's environment (git commit of that checkout)
    sources: dict[str, str] = field(default_factory=dict)
    runs: list[SuiteRun] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def add(self, fixture: BenchmarkFixture) -> None:
        self.timed.setdefault(fixture.suite, []).append(fixture)

    def finish(self) -> None:
        """Judge and record one run per module (called once, at the end of the session)."""
        if not self.timed:
            return
        from .. import env
        from ..benchmarking import SuiteRun, collect_environment
        from ..benchmarking._runner import _compare, _push, _record, _telemetry
        from ..errors import PerformanceError
        from ..series import PrometheusStore, SQLiteStore
        from ..telemetry import names, recording

        try:
            store = SQLiteStore(self.store_path)
        except (PerformanceError, OSError) as exc:
            self.errors.append(f"could not open the store {str(self.store_path)!r}: {exc}")
            return
        # as run_benchmark: with CODOMYRMEX_PERF_PUSHGATEWAY set each run is also pushed there
        push_url = env.get("CODOMYRMEX_PERF_PUSHGATEWAY")
        try:
            pusher = PrometheusStore(pushgateway=push_url) if push_url else None
            for suite, fixtures in self.timed.items():
                # the overhead the fixtures calibrated against, not a second measurement
                timing = fixtures[0]._timing
                overhead = timing.timer_overhead if timing is not None else None
                environment = collect_environment(self.sources.get(suite), overhead=overhead)
                run = SuiteRun(suite, environment=environment)
                meta: dict[str, Any] = {}
                for fx in fixtures:
                    result = fx.stats
                    result.environment = run.environment
                    run.results[fx.name] = result
                    for key, per_benchmark in fx.noise.items():  # "scheduling", "noisy"
                        run.environment.setdefault(key, {}).update(per_benchmark)
                    meta[fx.name] = {"fullname": fx.fullname, "group": fx.group,
                                     "extra_info": dict(fx.extra_info), "param": fx.param,
                                     "params": fx.params}  # fmt: skip
                # stored as JSON: a parameter or extra_info value JSON cannot hold is kept as its repr
                run.environment[METADATA_KEY] = json.loads(json.dumps(meta, default=repr))
                run.environment["recorded_by"] = "pytest"
                with recording.span(names.span_benchmark(suite), {"suite": suite}) as span:
                    _compare(run, store, alpha=self.alpha, min_effect=self.min_effect, normalize=False)
                    _telemetry(run, span)
                record = _record(run)
                try:
                    store.append(record)
                except (PerformanceError, OSError) as exc:
                    self.errors.append(f"could not record the run of {suite}: {exc}")
                    continue
                run.store = store
                if pusher is not None:
                    _push(pusher, record, run)  # a failed push is a warning of the run, not fatal
                self.runs.append(run)
        finally:
            store.close()

    @property
    def failed(self) -> bool:
        """With ``--perf-fail-on-regression``: a regression or a comparison that could not be
        judged (as ``bench run --fail-on-regression``); a store error always."""
        if self.errors:
            return True
        return self.fail_on_regression and any(r.regressions or r.check_errors for r in self.runs)

    def summary(self) -> list[str]:
        lines: list[str] = []
        for run in self.runs:
            lines.extend(run.report().splitlines())
            lines.append("")
        if self.runs:
            n = sum(len(r) for r in self.runs)
            lines.append(f"recorded {n} benchmark{'s' if n != 1 else ''} in {len(self.runs)} "
                         f"run{'s' if len(self.runs) != 1 else ''} in {self.store_path}")  # fmt: skip
        regressed = [f"{r.suite}::{n}" for r in self.runs for n in r.regressions]
        if regressed:
            lines.append(f"regressions: {', '.join(regressed)}")
        unjudged = [f"{r.suite}::{n}" for r in self.runs for n in r.check_errors]
        if unjudged:
            lines.append(f"could not be judged: {', '.join(unjudged)}")
        if self.fail_on_regression and (regressed or unjudged):
            lines.append("failing the session (--perf-fail-on-regression)")
        lines.extend(f"error: {e}" for e in self.errors)
        return lines
