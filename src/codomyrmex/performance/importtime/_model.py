"""The import tree: :class:`ImportRecord` (one import) and :class:`ImportProfile` (all of them).

Both the live recorder and the ``python -X importtime`` parser produce an :class:`ImportProfile`,
so reports, JSON, spans and metrics work the same for either source.

    >>> from codomyrmex.performance.importtime import profile_imports
    >>> with profile_imports() as prof:
    ...     import colorsys
    >>> [r.module for r in prof.records][:1] in ([], ["colorsys"])
    True
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Literal

__all__ = ["ImportProfile", "ImportRecord", "Trigger", "fold_children"]

Trigger = Literal["startup", "first_use"]
_SORT_KEYS = ("cumulative", "self")


class ImportRecord:
    """One module import: where it sits in the tree, when it ran, how long it took.

    ``start_ns``/``end_ns`` are ``time.perf_counter_ns()`` readings and ``start_time_ns``/
    ``end_time_ns`` the matching wall-clock (epoch) times; all four are ``None`` for records
    parsed from ``-X importtime`` output, which has durations only. ``self_ns`` excludes the
    imports nested in this one, as ``-X importtime`` reports it.
    """

    __slots__ = (
        "cached", "children", "complete", "cumulative_ns", "end_ns", "end_time_ns", "error",
        "module", "parent", "self_ns", "site", "start_ns", "start_time_ns", "thread_id",
        "thread_name", "trigger",
    )  # fmt: skip

    def __init__(
        self,
        module: str,
        *,
        parent: ImportRecord | None = None,
        cumulative_ns: int = 0,
        self_ns: int = 0,
        start_ns: int | None = None,
        end_ns: int | None = None,
        start_time_ns: int | None = None,
        end_time_ns: int | None = None,
        thread_id: int | None = None,
        thread_name: str | None = None,
        error: str | None = None,
        trigger: Trigger = "startup",
        site: str | None = None,
        cached: bool = False,
        complete: bool = True,
    ) -> None:
        self.module = module
        self.parent = parent
        self.children: list[ImportRecord] = []
        self.cumulative_ns = cumulative_ns
        self.self_ns = self_ns
        self.start_ns = start_ns
        self.end_ns = end_ns
        self.start_time_ns = start_time_ns
        self.end_time_ns = end_time_ns
        self.thread_id = thread_id
        self.thread_name = thread_name
        self.error = error
        self.trigger: Trigger = trigger
        self.site = site
        self.cached = cached
        self.complete = complete

    @property
    def ok(self) -> bool:
        """``False`` when the import raised (``error`` says what)."""
        return self.error is None

    @property
    def package(self) -> str:
        """Top-level package name (``"numpy"`` for ``numpy.linalg``)."""
        return self.module.partition(".")[0]

    @property
    def self_seconds(self) -> float:
        return self.self_ns / 1e9

    @property
    def cumulative_seconds(self) -> float:
        return self.cumulative_ns / 1e9

    @property
    def depth(self) -> int:
        depth, node = 0, self.parent
        while node is not None:
            depth, node = depth + 1, node.parent
        return depth

    def __repr__(self) -> str:
        state = "ok" if self.ok else f"failed: {self.error}"
        return (
            f"<ImportRecord {self.module} self={self.self_ns / 1e6:.3f}ms "
            f"cumulative={self.cumulative_ns / 1e6:.3f}ms {self.trigger} {state}>"
        )


def fold_children(record: ImportRecord, min_ns: int) -> tuple[list[ImportRecord], int]:
    """``(children kept, self time)`` under a minimum duration: children faster than ``min_ns``
    are dropped and their whole cumulative time is added to the parent's self time, so that the
    kept children plus self time still add up to the parent's cumulative time."""
    if min_ns <= 0:
        return record.children, record.self_ns
    kept = [c for c in record.children if c.cumulative_ns >= min_ns]
    dropped = sum(c.cumulative_ns for c in record.children if c.cumulative_ns < min_ns)
    return kept, record.self_ns + dropped


class ImportProfile:
    """Every import recorded (or parsed), in start order, with the tree they form.

    ``records`` lists every import; ``roots`` the ones not nested in another recorded import.
    """

    def __init__(self, records: Sequence[ImportRecord], *, source: str = "recorder") -> None:
        self.records: list[ImportRecord] = list(records)
        self.source = source
        #: Lines the report prints under its header (how the profile was assembled).
        self.notes: list[str] = []
        #: Modules the profiler itself loaded before recording, so that the program's profile
        #: cannot show them (``python -m codomyrmex.performance.importtime`` loads none).
        self.profiler_modules: list[str] = []

    @property
    def roots(self) -> list[ImportRecord]:
        return [r for r in self.records if r.parent is None]

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[ImportRecord]:
        return iter(self.records)

    def find(self, module: str) -> ImportRecord | None:
        """The first record of ``module``, or ``None``."""
        return next((r for r in self.records if r.module == module), None)

    def walk(self, roots: Sequence[ImportRecord] | None = None) -> Iterator[ImportRecord]:
        """Depth-first, parents before children, children in start order."""
        stack = list(reversed(self.roots if roots is None else roots))
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def subtree(self, module: str) -> list[ImportRecord]:
        """``module``'s first record and everything imported under it."""
        root = self.find(module)
        return [] if root is None else list(self.walk([root]))

    def slowest(self, n: int = 10, *, by: str = "cumulative") -> list[ImportRecord]:
        """The ``n`` slowest imports by ``"cumulative"`` or ``"self"`` time (cached rows skipped)."""
        from .._validation import check_choice, check_positive_int

        check_positive_int("n", n)
        check_choice("by", by, _SORT_KEYS)
        key = "cumulative_ns" if by == "cumulative" else "self_ns"
        ranked = sorted((r for r in self.records if not r.cached), key=lambda r: getattr(r, key), reverse=True)
        return ranked[:n]

    def top_modules(self, n: int = 10, *, by: str = "cumulative", under: str | None = None) -> list[str]:
        """The ``n`` slowest *distinct* modules (a module recorded twice, e.g. a failed import
        retried, counts once at its slowest), optionally only those imported under ``under``."""
        from .._validation import check_choice, check_positive_int

        check_positive_int("n", n)
        check_choice("by", by, _SORT_KEYS)
        key = "cumulative_ns" if by == "cumulative" else "self_ns"
        best: dict[str, int] = {}
        for r in self.records if under is None else self.subtree(under):
            if not r.cached:
                best[r.module] = max(best.get(r.module, -1), getattr(r, key))
        return sorted(best, key=lambda m: best[m], reverse=True)[:n]

    @property
    def total_ns(self) -> int:
        """Sum of the roots' cumulative times."""
        return sum(r.cumulative_ns for r in self.roots)

    # -- views -------------------------------------------------------------------------------
    def report(self, *, top: int = 10, tree: bool = False, min_ms: float = 0.0) -> str:
        """Plain-text report: slowest by self and cumulative time, and optionally the tree."""
        from ._report import render_text

        return render_text(self, top=top, tree=tree, min_ms=min_ms)

    def export_spans(self, **kwargs: Any) -> int:
        """Emit the tree as ``import <module>`` spans; see :func:`export_spans`."""
        from ._export import export_spans

        return export_spans(self, **kwargs)

    def record_metrics(self, **kwargs: Any) -> None:
        """Record import-duration metrics; see :func:`record_metrics`."""
        from ._export import record_metrics

        record_metrics(self, **kwargs)

    # -- JSON --------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        index = {id(r): i for i, r in enumerate(self.records)}
        rows = []
        for r in self.records:
            rows.append({
                "module": r.module,
                "parent": None if r.parent is None else index.get(id(r.parent)),
                "self_ns": r.self_ns, "cumulative_ns": r.cumulative_ns,
                "start_ns": r.start_ns, "end_ns": r.end_ns,
                "start_time_ns": r.start_time_ns, "end_time_ns": r.end_time_ns,
                "thread_id": r.thread_id, "thread_name": r.thread_name,
                "error": r.error, "trigger": r.trigger, "site": r.site,
                "cached": r.cached, "complete": r.complete,
            })  # fmt: skip
        return {"format": "codomyrmex-importtime", "version": 1, "source": self.source, "records": rows,
                "notes": list(self.notes), "profiler_modules": list(self.profiler_modules)}  # fmt: skip

    def to_json(self) -> str:
        import json  # not at module level: the profiled program may import json itself

        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImportProfile:
        """The profile that :meth:`to_dict` wrote; anything else raises ``ConfigurationError``."""
        from ..errors import ConfigurationError

        if not isinstance(data, dict) or data.get("format") != "codomyrmex-importtime":
            raise ConfigurationError("not a codomyrmex-importtime JSON document (missing format marker)")
        try:
            return cls._from_rows(data)
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise ConfigurationError(
                f"malformed codomyrmex-importtime JSON document: {type(exc).__name__}: {exc}"
            ) from None

    @classmethod
    def _from_rows(cls, data: dict[str, Any]) -> ImportProfile:
        records: list[ImportRecord] = []
        for row in data["records"]:
            parent_index = row.get("parent")
            if parent_index is not None and not 0 <= parent_index < len(records):
                raise IndexError(f"record {len(records)} ({row.get('module')!r}) names parent {parent_index!r}, "
                                 "which is not an earlier record")  # fmt: skip
            parent = records[parent_index] if parent_index is not None else None
            rec = ImportRecord(
                row["module"], parent=parent,
                cumulative_ns=int(row["cumulative_ns"]), self_ns=int(row["self_ns"]),
                start_ns=row.get("start_ns"), end_ns=row.get("end_ns"),
                start_time_ns=row.get("start_time_ns"), end_time_ns=row.get("end_time_ns"),
                thread_id=row.get("thread_id"), thread_name=row.get("thread_name"),
                error=row.get("error"), trigger=row.get("trigger", "startup"), site=row.get("site"),
                cached=bool(row.get("cached", False)), complete=bool(row.get("complete", True)),
            )  # fmt: skip
            if parent is not None:
                parent.children.append(rec)
            records.append(rec)
        profile = cls(records, source=str(data.get("source", "recorder")))
        profile.notes = [str(n) for n in data.get("notes", [])]
        profile.profiler_modules = [str(m) for m in data.get("profiler_modules", [])]
        return profile

    @classmethod
    def from_json(cls, text: str | bytes) -> ImportProfile:
        """The profile that :meth:`to_json` wrote; anything else raises ``ConfigurationError``."""
        import json

        from ..errors import ConfigurationError

        try:
            data = json.loads(text)
        except (TypeError, ValueError) as exc:  # JSONDecodeError is a ValueError
            raise ConfigurationError(f"not a codomyrmex-importtime JSON document: {exc}") from None
        return cls.from_dict(data)
