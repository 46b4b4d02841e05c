"""Grafana dashboards of codomyrmex-performance, generated from code.

``python dashboards/generate.py`` writes ``codomyrmex-observe.json`` and ``codomyrmex-learn.json``
beside it; ``--check`` fails when they differ from the code (CI). :mod:`dashboards.queries` lists
every PromQL expression with the dashboard variables substituted.

    >>> from dashboards.queries import all_queries
    >>> len(all_queries()) > 0
    True
"""

__all__ = ["generate", "learn", "observe", "queries"]
