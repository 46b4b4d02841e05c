"""``--perf-measure instructions``: a test's benchmark counted under Valgrind by ``run_benchmark``.

Instruction mode runs the benchmark again in fresh processes (see
:mod:`codomyrmex.performance.benchmarking._instructions`), so what the test hands to the fixture
must be importable there: a module-level function (of the test module or any other) with
picklable arguments. A lambda or a closure is refused with ``run_benchmark``'s own
``BenchmarkError`` saying so; the test fails with it rather than being timed instead.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..errors import BenchmarkError

__all__ = ["has_instruction_mode", "measure_instructions"]


def has_instruction_mode() -> bool:
    """Whether this version's ``run_benchmark`` takes ``measure="instructions"``."""
    from ..benchmarking import run_benchmark

    try:
        return "measure" in inspect.signature(run_benchmark).parameters
    except (TypeError, ValueError):  # pragma: no cover - run_benchmark is a plain function
        return False


def _state(setup: Callable[[], Any] | None, args: Sequence[Any], kwargs: Mapping[str, Any]) -> tuple[Any, Any]:
    """pedantic()'s arguments for one round: what ``setup()`` returns, else the fixed ones."""
    if setup is not None:
        made = setup()
        if made:
            return made[0], made[1]
    return tuple(args), dict(kwargs)


def _call(target: Callable[..., Any], state: tuple[Any, Any]) -> Any:
    return target(*state[0], **state[1])


def measure_instructions(
    suite: str, name: str, target: Callable[..., Any], args: Sequence[Any], kwargs: Mapping[str, Any],
    *, setup: Callable[[], Any] | None = None, warmup: int, min_time: float,
) -> Any:  # fmt: skip
    """The :class:`~codomyrmex.performance.benchmarking.BenchmarkResult` (unit "instructions")
    of ``target(*args, **kwargs)``, with ``setup`` (pedantic's) before every call when given."""
    from ..benchmarking import BenchmarkSuite, run_benchmark

    one = BenchmarkSuite(suite)
    if setup is None:
        one.add(name, functools.partial(target, *args, **kwargs))
    else:
        one.add(name, functools.partial(_call, target), setup=functools.partial(_state, setup, args, kwargs),
                setup_per_round=True)  # fmt: skip
    # recorded and judged with the rest of the module when the session ends, not here
    run = run_benchmark(one, store=None, canary=False, warmup=warmup, min_time=min_time,  # type: ignore[call-overload,unused-ignore]
                        measure="instructions")  # fmt: skip
    result = run[name]
    if result.failed:
        raise BenchmarkError(f"instruction count of {name!r} failed: {result.error}")
    return result
