"""Generate the Grafana dashboards of codomyrmex-performance as JSON, or check the committed JSON.

    python dashboards/generate.py            # rewrite dashboards/*.json from the code
    python dashboards/generate.py --check    # exit 1 when a committed file differs (CI)
    python dashboards/generate.py --queries 1m   # every query, variables substituted

The JSON is what Grafana imports or provisions (the classic v1 dashboard model). It is rendered
with sorted keys and a trailing newline so that a regeneration from unchanged code is
byte-identical and a review diff shows only real changes.

    >>> from dashboards.generate import render
    >>> render("observe").startswith("{")
    True
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

if not __package__:  # run as a script: make ``dashboards`` and ``codomyrmex`` importable
    _root = Path(__file__).resolve().parent.parent
    sys.path[:0] = [str(_root), str(_root / "src")]
    __package__ = "dashboards"

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from grafana_foundation_sdk.builders import dashboard as gdash
    from grafana_foundation_sdk.cog.encoder import JSONEncoder
    from grafana_foundation_sdk.cog.plugins import register_default_plugins
    from grafana_foundation_sdk.models import dashboard as gmodel

from . import learn, observe

__all__ = ["DASHBOARDS", "DIRECTORY", "check", "model", "path_of", "render", "validate", "write"]

DIRECTORY = Path(__file__).resolve().parent

#: name -> builder factory; the committed file is ``codomyrmex-<name>.json``.
DASHBOARDS: dict[str, Callable[[], gdash.Dashboard]] = {
    "observe": observe.build,
    "learn": learn.build,
}


def path_of(name: str, directory: Path = DIRECTORY) -> Path:
    """Where the JSON of dashboard ``name`` is committed."""
    _known(name)
    return directory / f"codomyrmex-{name}.json"


def model(name: str) -> dict[str, Any]:
    """The dashboard as a plain JSON object (what Grafana receives)."""
    built = DASHBOARDS[_known(name)]().build()
    out: dict[str, Any] = json.loads(json.dumps(built, cls=JSONEncoder))
    return out


def render(name: str) -> str:
    """The exact text committed for dashboard ``name``."""
    return json.dumps(model(name), indent=2, sort_keys=True) + "\n"


def validate(data: dict[str, Any]) -> list[str]:
    """Problems found in a dashboard JSON object; empty when it is valid.

    The SDK ships no JSON schema file, so validity is checked the way the SDK defines it: the
    object must load into the SDK's typed ``Dashboard`` model (panel options and queries go
    through the registered panel and data-query plugins) and serialize back unchanged. On top,
    the checks Grafana would otherwise fail on at load time: unique panel ids, a grid position
    inside the 24 columns, a ``refId`` and an expression per query, and no ``$variable`` used
    that the dashboard does not define.
    """
    problems: list[str] = []
    register_default_plugins()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            loaded = gmodel.Dashboard.from_json(data)
            again = json.loads(json.dumps(loaded, cls=JSONEncoder))
        except Exception as exc:  # any failure to load is a schema violation
            return [f"does not load into the SDK Dashboard model: {exc!r}"]
    if again != data:
        diff = difflib.unified_diff(
            json.dumps(data, indent=1, sort_keys=True).splitlines(),
            json.dumps(again, indent=1, sort_keys=True).splitlines(),
            "generated",
            "round-trip",
            lineterm="",
            n=1,
        )
        problems.append("does not round-trip through the SDK model:\n" + "\n".join(list(diff)[:40]))
    for field in ("uid", "title", "panels", "templating", "schemaVersion"):
        if not data.get(field):
            problems.append(f"missing top-level field {field!r}")
    templating = data.get("templating")
    if not isinstance(templating, dict) or not isinstance(templating.get("list", []), list):
        return [*problems, f"templating must be an object with a list, got {templating!r}"]
    defined = {str(v.get("name")) for v in templating.get("list", []) if isinstance(v, dict)}
    problems += _check_panels(data.get("panels", []), defined)
    return problems


def _check_panels(panels: list[dict[str, Any]], defined: set[str]) -> list[str]:
    # Imported lazily: queries.py imports this module for DASHBOARDS.
    from .queries import variables_in

    problems: list[str] = []
    seen: set[int] = set()
    flat = [q for p in panels for q in (p, *p.get("panels", []))]
    for p in flat:
        title = p.get("title", "?")
        pid = p.get("id")
        if not isinstance(pid, int) or pid in seen:
            problems.append(f"panel {title!r}: id {pid!r} is missing or not unique")
        seen.add(pid if isinstance(pid, int) else -1)
        pos = p.get("gridPos") or {}
        if not (pos.get("w", 0) > 0 and pos.get("h", 0) > 0 and pos.get("x", 0) + pos["w"] <= 24):
            problems.append(f"panel {title!r}: bad gridPos {pos}")
        if p.get("type") == "row":
            continue
        if not p.get("targets"):
            problems.append(f"panel {title!r}: no query")
        for t in p.get("targets", []):
            if not t.get("refId") or not t.get("expr", "").strip():
                problems.append(f"panel {title!r}: query without refId or expr: {t}")
            missing = variables_in(t.get("expr", "")) - defined
            if missing:
                problems.append(f"panel {title!r}: undefined variables {sorted(missing)}")
    return problems


def write(directory: Path = DIRECTORY) -> list[Path]:
    """Write every dashboard's JSON into ``directory``; returns the paths written."""
    paths = []
    for name in DASHBOARDS:
        path = path_of(name, directory)
        path.write_text(render(name), encoding="utf-8")
        paths.append(path)
    return paths


def check(directory: Path = DIRECTORY) -> list[str]:
    """Differences between the committed JSON and the code, one message per stale file."""
    stale = []
    for name in DASHBOARDS:
        path = path_of(name, directory)
        want = render(name)
        have = path.read_text(encoding="utf-8") if path.exists() else ""
        if have != want:
            diff = difflib.unified_diff(
                have.splitlines(), want.splitlines(), str(path), "generated", lineterm="", n=1
            )
            stale.append(f"{path} is out of date:\n" + "\n".join(list(diff)[:30]))
    return stale


def _known(name: str) -> str:
    if name not in DASHBOARDS:
        raise ValueError(
            f"dashboard name {name!r} is not known; expected one of {sorted(DASHBOARDS)}"
        )
    return name


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write; exit 1 when the committed JSON differs from the code",
    )
    parser.add_argument("--dir", type=Path, default=DIRECTORY, help="directory of the JSON files")
    parser.add_argument(
        "--queries",
        metavar="RATE_INTERVAL",
        help="print every PromQL expression with the variables substituted ($__rate_interval "
        "by RATE_INTERVAL, the others by .*), one per line, and exit",
    )
    args = parser.parse_args(argv)
    if args.queries:
        from .queries import all_queries

        for q in all_queries(rate_interval=args.queries):
            promql = " ".join(q.promql.split())
            print(f"{q.dashboard}\t{q.panel}\t{q.ref_id}\t{promql}")
        return 0
    problems = [f"{name}: {p}" for name in DASHBOARDS for p in validate(model(name))]
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    if args.check:
        stale = check(args.dir)
        if stale:
            print("\n\n".join(stale), file=sys.stderr)
            print("\nrun: python dashboards/generate.py", file=sys.stderr)
            return 1
        print(f"dashboards up to date: {', '.join(str(path_of(n, args.dir)) for n in DASHBOARDS)}")
        return 0
    for path in write(args.dir):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
