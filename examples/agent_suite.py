"""An example suite of agent-like workloads, for ``codomyrmex-perf bench run``.

    codomyrmex-perf bench run examples/agent_suite.py

Each run is recorded in the embedded SQLite store (``CODOMYRMEX_PERF_STORE``, default
``~/.local/share/codomyrmex-perf/series.sqlite3``) and compared with the runs recorded since the
last change point. The first ``MIN_HISTORY_RUNS`` (5) runs only build the history (verdict
"new"); from the sixth run on, each benchmark shows its baseline, change and verdict.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

from codomyrmex.performance.benchmarking import BenchmarkSuite

suite = BenchmarkSuite("agent_performance")

_PROMPT = (
    "You are a coding agent. Read the repository, find the failing test in tests/test_io.py, "
    "explain the root cause in two sentences, then propose a minimal patch with a unit test. "
) * 20
_TOKEN = re.compile(r"\w+|[^\w\s]")


@suite.benchmark
def tokenize_prompt() -> None:
    """Split a ~2 kB prompt into word and punctuation tokens."""
    _TOKEN.findall(_PROMPT)


def _make_tool_call() -> dict[str, object]:
    return {
        "id": "call_42",
        "type": "function",
        "function": {"name": "run_tests", "arguments": {"paths": [f"tests/test_{i}.py" for i in range(20)],
                                                         "verbose": True, "timeout": 30.5}},
        "history": [{"role": "assistant", "content": f"step {i}"} for i in range(30)],
    }


@suite.benchmark(setup=_make_tool_call)
def json_round_trip(message: dict[str, object]) -> None:
    """Serialise and parse a tool call with its message history."""
    json.loads(json.dumps(message))


@lru_cache(maxsize=256)
def _analyse(source: str) -> tuple[int, int]:
    lines = source.splitlines()
    return len(lines), sum(1 for line in lines if line.lstrip().startswith("def "))


_SOURCES = [f"def f{i}(x):\n    return x + {i}\n" * 5 for i in range(64)]


@suite.benchmark
def cached_analysis() -> None:
    """Look up 64 code analyses in a warm cache (the agent's hot path)."""
    for source in _SOURCES:
        _analyse(source)


@suite.benchmark(params={"files": [10, 100]})
def rank_context_files(files: int) -> None:
    """Score and rank candidate context files by keyword overlap with the task."""
    words = set(_TOKEN.findall(_PROMPT[:200].lower()))
    candidates = [f"src/module_{i}/handler_{i % 7}.py test io root cause patch" for i in range(files)]
    sorted(candidates, key=lambda c: -len(words.intersection(c.split())))
