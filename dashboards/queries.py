"""Every PromQL expression of the dashboards, with the dashboard variables substituted.

Used by the tests (every query must parse on a real Prometheus, and return data after a demo run)
and handy for an operator who wants to paste a panel's query into the Prometheus UI.

    >>> from dashboards.queries import all_queries
    >>> q = next(q for q in all_queries(rate_interval="30s") if q.panel == "Hit ratio (any tier)")
    >>> "$" in q.promql, "[30s]" in q.promql
    (False, True)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["DashboardQuery", "all_queries", "queries_of", "substitute", "variables_in"]

# $name, ${name} and ${name:format}; Grafana's deprecated [[name]] is not used by our dashboards.
_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)")

#: Grafana's global variables that can appear in our expressions.
_GLOBALS = ("__rate_interval", "__interval", "__range")


@dataclass(frozen=True, slots=True)
class DashboardQuery:
    """One PromQL expression of a dashboard: where it lives, as written, and substituted."""

    dashboard: str  # dashboard uid
    panel: str  # panel title, or "annotation: <name>"
    ref_id: str
    expr: str  # as committed, with $variables
    promql: str  # variables substituted: ready for /api/v1/query
    instant: bool  # the panel asks for the last value only (tables, bar gauges)


def variables_in(expr: str) -> set[str]:
    """Names of the dashboard variables ``expr`` uses (Grafana globals excluded)."""
    found = {a or b for a, b in _VARIABLE.findall(expr)}
    return found - set(_GLOBALS)


def substitute(expr: str, values: Mapping[str, str]) -> str:
    """``expr`` with each ``$var``/``${var}`` replaced by ``values[var]``.

    Raises ``KeyError`` naming the variable when ``values`` has no value for it, so a new
    variable cannot silently reach Prometheus as a literal ``$name``.
    """

    def one(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2)
        if name not in values:
            raise KeyError(
                f"no value for dashboard variable ${name} in {expr!r}; given: {sorted(values)}"
            )
        return values[name]

    return _VARIABLE.sub(one, expr)


def queries_of(data: Mapping[str, Any], values: Mapping[str, str]) -> list[DashboardQuery]:
    """Every panel query and annotation query of one dashboard JSON object, substituted."""
    uid = str(data.get("uid", ""))
    out: list[DashboardQuery] = []
    panels = [q for p in data.get("panels", []) for q in (p, *p.get("panels", []))]
    for p in panels:
        for t in p.get("targets", []):
            expr = t.get("expr")
            if expr:
                out.append(
                    DashboardQuery(
                        uid,
                        str(p.get("title", "")),
                        str(t.get("refId", "")),
                        expr,
                        substitute(expr, values),
                        bool(t.get("instant", False)),
                    )
                )
    for a in data.get("annotations", {}).get("list", []):
        expr = a.get("expr")
        if expr:
            out.append(
                DashboardQuery(
                    uid,
                    f"annotation: {a.get('name', '')}",
                    "",
                    expr,
                    substitute(expr, values),
                    False,
                )
            )
    return out


def all_queries(
    values: Mapping[str, str] | None = None, *, rate_interval: str = "1m", source: str = "code"
) -> list[DashboardQuery]:
    """Every query of both dashboards.

    ``values`` maps variable names to what to put in their place; each multi-value variable
    defaults to ``.*`` (what ``All`` means in these dashboards). ``rate_interval`` replaces
    ``$__rate_interval`` (Grafana uses at least four scrape intervals). ``source`` is ``"code"``
    (generate the dashboards now) or ``"files"`` (read the committed JSON).
    """
    import json

    from .generate import DASHBOARDS, model, path_of

    if source not in ("code", "files"):
        raise ValueError(f"source {source!r} is not accepted; expected 'code' or 'files'")
    out: list[DashboardQuery] = []
    for name in DASHBOARDS:
        data = model(name) if source == "code" else json.loads(path_of(name).read_text())
        subst = {v["name"]: ".*" for v in data.get("templating", {}).get("list", [])}
        subst |= {
            "__rate_interval": rate_interval,
            "__interval": rate_interval,
            "__range": rate_interval,
        }
        subst |= dict(values or {})
        out.extend(queries_of(data, subst))
    return out
