"""Benchmark suites: named groups of benchmarks, declared in code or loaded from a file.

    from codomyrmex.performance.benchmarking import BenchmarkSuite

    suite = BenchmarkSuite("agent_performance")

    @suite.benchmark
    def tokenize() -> None:
        TEXT.split()

    suite.add("json_roundtrip", lambda doc: json.loads(json.dumps(doc)), setup=make_doc)
    suite.add("parse", parse, params={"size": [10, 1000]})   # parse(size=10), parse(size=1000)

``setup`` is called once per benchmark before warmup and is not timed; if it returns something
other than None, the benchmark is called with it as first argument. With
``setup_per_round=True`` it runs before every sample instead, and each sample is one call (for a
benchmark that consumes its input, like ``lst.pop()``; the timer's own overhead is then part of
short samples)::

    suite.add("pop", lambda lst: lst.pop(), setup=lambda: list(range(1000)), setup_per_round=True)

With ``params`` each combination becomes its own benchmark, named ``name[key=value,...]``, and
both ``setup`` and the function receive the combination as keyword arguments. A
``setup_per_round`` benchmark is always timed in this process (``isolate=N`` does not apply).
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, overload

from .._validation import check_callable, check_non_empty_str
from ..errors import BenchmarkError

__all__ = ["Benchmark", "BenchmarkSuite", "load_suites"]

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Benchmark:
    """One benchmark of a suite: ``func`` (after ``setup``) is what gets timed."""

    name: str
    func: Callable[..., Any]
    setup: Callable[..., Any] | None = None
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    #: run ``setup`` before every sample (one call per sample) instead of once
    setup_per_round: bool = False

    def prepare(self) -> Callable[[], Any]:
        """Run ``setup`` (untimed) and return the zero-argument call to time."""
        state = self.setup(**self.kwargs) if self.setup is not None else None
        if state is None:
            return functools.partial(self.func, **self.kwargs) if self.kwargs else self.func
        return functools.partial(self.func, state, **self.kwargs)


class BenchmarkSuite:
    """A named, ordered collection of benchmarks. ``store`` (a path or a series store) is where
    :func:`run_benchmark` records the suite's runs unless it is given another one."""

    def __init__(self, name: str, *, store: Any = None) -> None:
        self.name = check_non_empty_str("name", name, error=BenchmarkError)
        self.store = store
        self.source: str | None = None  # file the suite was loaded from, if any
        self._benchmarks: dict[str, Benchmark] = {}

    def add(
        self,
        name: str,
        func: Callable[..., Any],
        *,
        setup: Callable[..., Any] | None = None,
        params: Mapping[str, Sequence[Any]] | None = None,
        setup_per_round: bool = False,
    ) -> None:
        """Add benchmark ``name`` timing ``func`` (see the module docstring for setup/params)."""
        check_non_empty_str("name", name, error=BenchmarkError)
        check_callable("func", func)
        if setup is not None:
            check_callable("setup", setup)
        if not isinstance(setup_per_round, bool):
            raise BenchmarkError(f"setup_per_round must be True or False, got {setup_per_round!r}")
        if setup_per_round and setup is None:
            raise BenchmarkError(f"setup_per_round=True needs a setup function (benchmark {name!r})")
        for bench in self._expand(name, func, setup, params):
            if setup_per_round:
                bench = dataclasses.replace(bench, setup_per_round=True)
            if bench.name in self._benchmarks:
                raise BenchmarkError(
                    f"suite {self.name!r} already has a benchmark named {bench.name!r}"
                )
            self._benchmarks[bench.name] = bench

    @staticmethod
    def _expand(
        name: str,
        func: Callable[..., Any],
        setup: Callable[..., Any] | None,
        params: Mapping[str, Sequence[Any]] | None,
    ) -> list[Benchmark]:
        if params is None:
            return [Benchmark(name, func, setup)]
        if not isinstance(params, Mapping) or not params:
            raise BenchmarkError(
                f"params must be a non-empty mapping of argument name -> list of values, got {params!r}"
            )
        keys = list(params)
        for key in keys:
            values = params[key]
            if not isinstance(key, str) or isinstance(values, str | bytes) or not isinstance(values, Sequence) or not values:
                raise BenchmarkError(
                    f"params[{key!r}] must be a non-empty list of values, got {values!r}"
                )
        out = []
        for combo in itertools.product(*(params[k] for k in keys)):
            kwargs = dict(zip(keys, combo, strict=True))
            label = ",".join(f"{k}={v!r}" if isinstance(v, str) else f"{k}={v}" for k, v in kwargs.items())
            out.append(Benchmark(f"{name}[{label}]", func, setup, kwargs))
        return out

    @overload
    def benchmark(self, func: F, /) -> F: ...
    @overload
    def benchmark(
        self, /, *, name: str | None = None, setup: Callable[..., Any] | None = None,
        params: Mapping[str, Sequence[Any]] | None = None, setup_per_round: bool = False,
    ) -> Callable[[F], F]: ...  # fmt: skip

    def benchmark(
        self,
        func: F | None = None,
        /,
        *,
        name: str | None = None,
        setup: Callable[..., Any] | None = None,
        params: Mapping[str, Sequence[Any]] | None = None,
        setup_per_round: bool = False,
    ) -> Any:
        """Decorator form of :meth:`add`: ``@suite.benchmark`` or ``@suite.benchmark(name=...)``."""

        def register(f: Callable[..., Any]) -> Callable[..., Any]:
            self.add(str(name or getattr(f, "__name__", "benchmark")), f, setup=setup, params=params,
                     setup_per_round=setup_per_round)
            return f

        return register(func) if func is not None else register

    @property
    def benchmarks(self) -> list[Benchmark]:
        return list(self._benchmarks.values())

    def __len__(self) -> int:
        return len(self._benchmarks)

    def __iter__(self) -> Any:
        return iter(self.benchmarks)

    def __contains__(self, name: object) -> bool:
        return name in self._benchmarks

    def __repr__(self) -> str:
        return f"BenchmarkSuite({self.name!r}, benchmarks={list(self._benchmarks)!r})"


def load_suites(path: str | os.PathLike[str]) -> list[BenchmarkSuite]:
    """Execute the Python file ``path`` and return the suites it defines at module level, in
    definition order. Raises BenchmarkError for a missing file, an error while executing it, or
    a file that defines no suite."""
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path must be a path to a Python file, got {type(path).__name__}")
    # imported here: pathlib (with urllib.parse, ipaddress) and importlib.util cost ~5 ms, which
    # `from ...profiling.benchmark import BenchmarkSuite` should not pay (issue 12)
    import importlib.util
    from pathlib import Path

    file = Path(path).expanduser()
    if not file.is_file():
        raise BenchmarkError(f"suite file {str(path)!r} does not exist or is not a file")
    if file.suffix != ".py":
        raise BenchmarkError(f"suite file {str(path)!r} must be a Python file (.py)")
    module_name = f"_codomyrmex_suite_{abs(hash(str(file.resolve())))}"
    spec = importlib.util.spec_from_file_location(module_name, file)
    if spec is None or spec.loader is None:  # pragma: no cover - .py files always have a loader
        raise BenchmarkError(f"cannot load suite file {str(path)!r}")
    module = importlib.util.module_from_spec(spec)
    # registered so that pickling, dataclasses and forked workers can find the module's objects
    sys.modules[module_name] = module
    sys.path.insert(0, str(file.resolve().parent))  # let the suite import its neighbours
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:
        # SystemExit too: a script that parses its own arguments at import (pyperf style) would
        # otherwise end the whole CLI with its own usage message and exit code
        sys.modules.pop(module_name, None)
        what = f"exit code {exc.code!r}" if isinstance(exc, SystemExit) else str(exc)
        raise BenchmarkError(f"suite file {str(path)!r} raised {type(exc).__name__}: {what}") from exc
    finally:
        sys.path.remove(str(file.resolve().parent))
    suites: list[BenchmarkSuite] = []
    for value in vars(module).values():
        if isinstance(value, BenchmarkSuite) and all(value is not s for s in suites):
            value.source = str(file.resolve())
            suites.append(value)
    if not suites:
        raise BenchmarkError(f"suite file {str(path)!r} defines no BenchmarkSuite at module level")
    return suites
