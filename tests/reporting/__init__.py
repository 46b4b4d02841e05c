"""Tests of the LEARN HTML trend report (reporting/, codomyrmex-perf report)."""
