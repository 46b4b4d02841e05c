"""Seed-compatible import path: ``codomyrmex.performance.profiling.benchmark``.

The implementation lives in :mod:`codomyrmex.performance.benchmarking`.
"""

__all__: list[str] = []
