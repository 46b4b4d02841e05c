"""The import profiler: which imports make a process start slowly, as traces and metrics.

    from codomyrmex.performance import profile_imports

    with profile_imports() as prof:
        import numpy
    print(prof.report(top=10, tree=True, min_ms=1.0))
    prof.export_spans(min_duration_ms=1.0)   # "import <module>" spans with real timestamps
    prof.record_metrics()                    # codomyrmex_import_duration_seconds, top-K modules

or for a whole program: ``python -m codomyrmex.performance.importtime -m mypkg`` /
``codomyrmex-perf importtime -- -c "import numpy"``. Unlike ``python -X importtime`` the records
carry the thread, wall-clock start/end, failures and ``trigger="first_use"`` for lazy imports
(:func:`~codomyrmex.performance.lazy.lazy_import`). :func:`parse_importtime` reads
``-X importtime`` output into the same :class:`ImportProfile`.

Importing this package does not import OpenTelemetry or prometheus_client.
"""

from __future__ import annotations

from ._export import export_spans, package_times, record_metrics
from ._model import ImportProfile, ImportRecord, Trigger
from ._parse import parse_importtime
from ._recorder import LiveProfile, install, is_active, profile_imports
from ._report import render_text

__all__ = [
    "ImportProfile",
    "ImportRecord",
    "LiveProfile",
    "Trigger",
    "export_spans",
    "install",
    "is_active",
    "package_times",
    "parse_importtime",
    "profile_imports",
    "record_metrics",
    "render_text",
]
