"""Plain-text report of an import profile: the slowest imports and the tree.

    >>> from codomyrmex.performance.importtime import parse_importtime
    >>> print(parse_importtime("import time: 5 | 5 | a").report(top=1).splitlines()[0])
    1 imports, 0.005 ms in total (-X importtime)
"""

from __future__ import annotations

from ._model import ImportProfile, ImportRecord, fold_children

__all__ = ["render_text"]


def _ms(ns: int) -> str:
    return f"{ns / 1e6:10.3f}"


def _notes(rec: ImportRecord) -> str:
    notes = []
    if rec.trigger == "first_use":
        notes.append(f"lazy, first used at {rec.site}" if rec.site else "lazy")
    if rec.thread_name and rec.thread_name != "MainThread":
        notes.append(f"thread {rec.thread_name}")
    if rec.cached:
        notes.append("cached")
    if not rec.complete:
        notes.append("still running")
    if not rec.ok:
        notes.append(f"FAILED {rec.error}")
    return f"  [{'; '.join(notes)}]" if notes else ""


def _table(title: str, rows: list[ImportRecord]) -> list[str]:
    out = [title, f"{'cumul ms':>10} {'self ms':>10}  module"]
    out += [f"{_ms(r.cumulative_ns)} {_ms(r.self_ns)}  {r.module}{_notes(r)}" for r in rows]
    return out


def _tree(profile: ImportProfile, min_ns: int) -> list[str]:
    out: list[str] = []
    stack = [(r, 0) for r in reversed(profile.roots) if r.cumulative_ns >= min_ns or min_ns <= 0]
    while stack:
        rec, depth = stack.pop()
        kept, self_ns = fold_children(rec, min_ns)
        out.append(f"{_ms(rec.cumulative_ns)} {_ms(self_ns)}  {'  ' * depth}{rec.module}{_notes(rec)}")
        stack.extend((c, depth + 1) for c in reversed(kept))
    return out


def render_text(profile: ImportProfile, *, top: int = 10, tree: bool = False, min_ms: float = 0.0) -> str:
    """The report printed by ``codomyrmex-perf importtime``."""
    from .._validation import check_non_negative_number, check_positive_int

    if not isinstance(profile, ImportProfile):
        raise TypeError(
            f"profile must be an ImportProfile (from profile_imports() or parse_importtime()), "
            f"got {profile!r} ({type(profile).__name__})"
        )
    check_positive_int("top", top)
    check_non_negative_number("min_ms", min_ms, unit="milliseconds")
    lines = [f"{len(profile)} imports, {profile.total_ns / 1e6:.3f} ms in total ({profile.source})"]
    lines += [f"  {note}" for note in profile.notes]
    if profile.profiler_modules:
        lines.append(f"  loaded by the profiler itself before recording (so not shown above): "
                     f"{', '.join(profile.profiler_modules)}")  # fmt: skip
    elif profile.notes:
        lines.append("  the profiler itself loaded no module the program could import")
    if len(profile):
        lines += ["", *_table(f"Slowest {top} by cumulative time:", profile.slowest(top, by="cumulative"))]
        lines += ["", *_table(f"Slowest {top} by self time:", profile.slowest(top, by="self"))]
    if tree:
        threshold = f" (imports under {min_ms:g} ms folded into their parent's self time)" if min_ms else ""
        lines += ["", f"Import tree{threshold}:", f"{'cumul ms':>10} {'self ms':>10}  module"]
        lines += _tree(profile, int(min_ms * 1e6))
    return "\n".join(lines)
