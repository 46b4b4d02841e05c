"""Building blocks shared by the OBSERVE and LEARN dashboards.

Every panel query goes through :func:`prom`, so the data source reference, the ``refId`` and the
legend are set the same way everywhere; metric names come from
:mod:`codomyrmex.performance.telemetry.names` (the one place that owns them), never typed twice.

    >>> from dashboards._common import sample, selector
    >>> f"{sample('CACHE_GETS')}{{{selector('job', 'cache', result='hit')}}}"
    'codomyrmex_cache_gets_total{job=~"$job", cache=~"$cache", result="hit"}'
"""

from __future__ import annotations

import warnings

# The SDK's v1 dashboard model warns at import time that a v2 model exists. Grafana's file
# provisioning and /api/dashboards/db still take the v1 JSON, which is what we commit.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from grafana_foundation_sdk.builders import dashboard as gdash
    from grafana_foundation_sdk.builders import prometheus as gprom
    from grafana_foundation_sdk.cog import builder as cogbuilder
    from grafana_foundation_sdk.models import common as gcommon
    from grafana_foundation_sdk.models import dashboard as gmodel
    from grafana_foundation_sdk.models import prometheus as gprommodel

from codomyrmex.performance.telemetry import names

__all__ = [
    "DATASOURCE",
    "DATASOURCE_VARIABLE",
    "PanelBuilder",
    "dashboard",
    "datasource_variable",
    "family",
    "layout",
    "prom",
    "query_variable",
    "sample",
    "selector",
]


#: Any SDK panel builder (timeseries, stat, heatmap, ...).
PanelBuilder = cogbuilder.Builder[gmodel.Panel]

#: Name of the data source variable; every panel and annotation uses it.
DATASOURCE_VARIABLE = "datasource"
DATASOURCE = gcommon.DataSourceRef(type_val="prometheus", uid=f"${{{DATASOURCE_VARIABLE}}}")


def sample(metric: str) -> str:
    """The exposition name of ``names.<metric>`` (counters end in ``_total``)."""
    m: names.MetricName = getattr(names, metric)
    return m.sample_name


def family(metric: str) -> str:
    """The family name of ``names.<metric>`` (histograms: add ``_bucket``/``_sum``/``_count``)."""
    m: names.MetricName = getattr(names, metric)
    return m.prometheus_name


def selector(*variables: str, **fixed: str) -> str:
    """Label matchers: ``label=~"$label"`` for each dashboard variable, then exact ``fixed`` ones.

    Variables use ``=~`` because they are multi-value (``All`` is ``.*``).
    """
    parts = [f'{v}=~"${v}"' for v in variables]
    parts += [f'{k}="{v}"' for k, v in fixed.items()]
    return ", ".join(parts)


def prom(
    expr: str, legend: str = "", *, ref_id: str = "A", instant: bool = False, heatmap: bool = False
) -> gprom.Dataquery:
    """A Prometheus query against the dashboard's data source variable."""
    q = gprom.Dataquery().expr(expr).ref_id(ref_id).datasource(DATASOURCE)
    if legend:
        q = q.legend_format(legend)
    if instant:
        q = q.instant().format(gprommodel.PromQueryFormat.TABLE)
    elif heatmap:
        q = q.range().format(gprommodel.PromQueryFormat.HEATMAP)
    else:
        q = q.range()
    return q


def datasource_variable() -> gdash.DatasourceVariable:
    """The ``$datasource`` picker, limited to Prometheus data sources."""
    return (
        gdash.DatasourceVariable(DATASOURCE_VARIABLE)
        .label("Data source")
        .type("prometheus")
        .current(gmodel.VariableOption(selected=True, text="Prometheus", value="prometheus"))
    )


def query_variable(name: str, label: str, query: str) -> gdash.QueryVariable:
    """A multi-value ``label_values(...)`` variable whose ``All`` means ``.*``.

    ``All`` is ``.*`` rather than Grafana's default ``(a|b|c)`` so that series appearing after the
    dashboard loaded (a new cache, a new benchmark) are included without a refresh. Chained
    variables (``cache`` after ``job``) are inferred by Grafana from ``$job`` in ``query``.
    """
    return (
        gdash.QueryVariable(name)
        .label(label)
        .datasource(DATASOURCE)
        .query({"query": query, "refId": f"{name}-variable", "qryType": 1})
        .definition(query)
        .refresh(gmodel.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(gmodel.VariableSort.ALPHABETICAL_ASC)
        .multi(True)
        .include_all(True)
        .all_value(".*")
        .current(gmodel.VariableOption(selected=True, text="All", value="$__all"))
    )


def dashboard(
    title: str,
    uid: str,
    description: str,
    *,
    tag: str,
    refresh: str,
    since: str,
    link_to: str,
    variables: list[cogbuilder.Builder[gmodel.VariableModel]],
) -> gdash.Dashboard:
    """A dashboard of the set: tagged ``codomyrmex`` and ``tag``, browser time, shared crosshair,
    editable, with ``refresh``, the time range ``since`` to now, ``variables``, and a link to
    its sibling ``link_to`` (the other ``codomyrmex`` dashboard) keeping the time range."""
    return (
        gdash.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(["codomyrmex", tag])
        .timezone("browser")
        .refresh(refresh)
        .time(since, "now")
        .tooltip(gmodel.DashboardCursorSync.CROSSHAIR)
        .editable()
        .link(
            gdash.DashboardLink(link_to)
            .type(gmodel.DashboardLinkType.DASHBOARDS)
            .tags(["codomyrmex"])
            .as_dropdown(False)
            .include_vars(False)
            .keep_time(True)
        )
        .variables(variables)
    )


def layout(
    dashboard: gdash.Dashboard, rows: list[tuple[str, list[PanelBuilder]]]
) -> gdash.Dashboard:
    """Add ``rows`` (title, panels) in order and number every panel and row 1, 2, 3, ...

    Ids are assigned on the built model because the SDK builds a panel as soon as it is added;
    stable ids keep the committed JSON (and links to ``viewPanel=<id>``) unchanged between runs.
    """
    for title, panels in rows:
        dashboard = dashboard.with_row(gdash.Row(title))
        for panel in panels:
            dashboard = dashboard.with_panel(panel)
    for number, built in enumerate(dashboard.build().panels or [], start=1):
        built.id_val = number
    return dashboard
