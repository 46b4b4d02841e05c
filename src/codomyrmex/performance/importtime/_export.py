"""Export a recorded import profile after the fact: OTel spans and import-duration metrics.

Spans are built once the imports are over, with their real start and end timestamps, so the
recorder's hot path never touches OpenTelemetry::

    with profile_imports() as prof:
        import numpy
    prof.export_spans(min_duration_ms=1.0)   # "imports" root span, "import <module>" children
    prof.record_metrics()                    # codomyrmex_import_duration_seconds{package,kind},
                                             # codomyrmex_module_import_seconds{module} (top K)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._validation import check_non_negative_number, check_positive_int
from ..errors import ConfigurationError
from ._model import ImportProfile, ImportRecord, fold_children

if TYPE_CHECKING:
    from ..telemetry.recording import SpanLike
    from ..telemetry.stats import StatsRegistry

__all__ = ["export_spans", "package_times", "record_metrics"]


def _attributes(rec: ImportRecord, self_ns: int, folded: int) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "import.module": rec.module,
        "import.package": rec.package,
        "import.self_seconds": self_ns / 1e9,
        "import.cumulative_seconds": rec.cumulative_ns / 1e9,
        "import.trigger": rec.trigger,
        "import.ok": rec.ok,
    }
    if rec.thread_id is not None:
        attrs["thread.id"] = rec.thread_id
    if rec.thread_name:
        attrs["thread.name"] = rec.thread_name
    if rec.site:
        attrs["import.first_use_site"] = rec.site
    if folded:
        attrs["import.folded_children"] = folded
    if rec.error:
        attrs["import.error"] = rec.error
    return attrs


def _check_profile(profile: Any) -> ImportProfile:
    if not isinstance(profile, ImportProfile):
        raise TypeError(
            f"profile must be an ImportProfile (from profile_imports() or parse_importtime()), "
            f"got {profile!r} ({type(profile).__name__})"
        )
    return profile


def export_spans(
    profile: ImportProfile,
    *,
    min_duration_ms: float = 0.0,
    under_current_span: bool = False,
    root_attributes: dict[str, Any] | None = None,
) -> int:
    """Emit ``profile`` as ``import <module>`` spans nested like the import tree.

    The spans hang under one ``imports`` root span covering the whole profile, or, with
    ``under_current_span=True``, directly under the caller's current span. Imports shorter than
    ``min_duration_ms`` are not exported; their time is added to the parent span's
    ``import.self_seconds``. Returns the number of spans emitted (root included).
    """
    from ..telemetry import names, recording

    _check_profile(profile)
    min_ms = check_non_negative_number("min_duration_ms", min_duration_ms, unit="milliseconds")
    min_ns = int(min_ms * 1e6)
    if any(r.start_time_ns is None for r in profile.records):
        raise ConfigurationError(
            "export_spans needs recorded timestamps; this profile came from "
            f"{profile.source!r}, which has durations only (record with profile_imports())"
        )
    roots = [r for r in profile.roots if r.cumulative_ns >= min_ns]
    if not roots:
        return 0
    root_span: SpanLike | None = None
    count = 0
    if not under_current_span:
        attrs: dict[str, Any] = {"import.count": len(profile.records)}
        attrs.update(root_attributes or {})
        root_span = recording.start_span(
            names.SPAN_IMPORTS, start_time_ns=min(r.start_time_ns or 0 for r in roots), attributes=attrs
        )
        count += 1
    started: list[tuple[SpanLike, int]] = []
    stack: list[tuple[ImportRecord, SpanLike | None]] = [(r, root_span) for r in reversed(roots)]
    while stack:
        rec, parent = stack.pop()
        kept, self_ns = fold_children(rec, min_ns)
        sp = recording.start_span(
            names.span_import(rec.module), parent=parent, start_time_ns=rec.start_time_ns,
            attributes=_attributes(rec, self_ns, len(rec.children) - len(kept)),
        )  # fmt: skip
        if not rec.ok:
            recording.mark_error(sp, ImportError(rec.error))
        started.append((sp, rec.end_time_ns or 0))
        stack.extend((c, sp) for c in reversed(kept))
        count += 1
    # Children end before their parents, as they did in the process.
    for sp, end in reversed(started):
        sp.end(end_time=end)
    if root_span is not None:
        root_span.end(end_time=max(r.end_time_ns or 0 for r in roots))
    return count


def package_times(profile: ImportProfile) -> dict[str, tuple[int, int]]:
    """``{top-level package: (self ns, cumulative ns)}``.

    Self is the sum of the package's modules' self times; cumulative sums the imports that
    *enter* the package (whose parent is another package or none), so a package's internal
    nesting is not counted twice while the dependencies it pulls in are included.
    """
    out: dict[str, tuple[int, int]] = {}
    for rec in _check_profile(profile).records:
        if rec.cached:
            continue
        self_ns, cumulative_ns = out.get(rec.package, (0, 0))
        self_ns += rec.self_ns
        if rec.parent is None or rec.parent.package != rec.package:
            cumulative_ns += rec.cumulative_ns
        out[rec.package] = (self_ns, cumulative_ns)
    return out


def record_metrics(
    profile: ImportProfile, *, top_k: int | None = None, registry: StatsRegistry | None = None
) -> None:
    """Record ``codomyrmex_import_duration_seconds{package,kind}`` (one observation per
    top-level package and kind) and offer the ``top_k`` slowest modules (by cumulative time) to
    ``codomyrmex_module_import_seconds{module}``; the registry keeps at most its own top K.

    ``top_k`` defaults to ``CODOMYRMEX_PERF_IMPORT_TOP_K`` (20).
    """
    from .. import env
    from ..telemetry import recording
    from ..telemetry.stats import default_registry

    _check_profile(profile)
    if top_k is None:
        top_k = env.get_int("CODOMYRMEX_PERF_IMPORT_TOP_K") or 20
    check_positive_int("top_k", top_k)
    reg = registry if registry is not None else default_registry()
    for package, (self_ns, cumulative_ns) in sorted(package_times(profile).items()):
        recording.record_import_duration(package, "self", self_ns / 1e9, registry=reg)
        recording.record_import_duration(package, "cumulative", cumulative_ns / 1e9, registry=reg)
    slowest: dict[str, int] = {}
    for rec in profile.records:
        if not rec.cached and rec.cumulative_ns > slowest.get(rec.module, -1):
            slowest[rec.module] = rec.cumulative_ns
    for module, ns in sorted(slowest.items(), key=lambda kv: kv[1], reverse=True)[:top_k]:
        reg.set_module_import(module, ns / 1e9)
