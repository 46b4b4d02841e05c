"""OBSERVE: the live dashboard of caches and imports of the agent processes.

Ratios are computed here in PromQL from the raw counters (the library never exports a ratio, so
any time window and any aggregation across instances stays correct). Every rate uses
``$__rate_interval`` so that Grafana picks a window of at least four scrape intervals.

    >>> from dashboards.observe import build
    >>> build().build().uid
    'codomyrmex-observe'
"""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from grafana_foundation_sdk.builders import bargauge, heatmap, stat, table, timeseries
    from grafana_foundation_sdk.builders import common as gcommonb
    from grafana_foundation_sdk.builders import dashboard as gdash
    from grafana_foundation_sdk.builders import heatmap as gheatmap
    from grafana_foundation_sdk.models import common as gcommon
    from grafana_foundation_sdk.models import dashboard as gmodel
    from grafana_foundation_sdk.models import heatmap as heatmapmodel

from ._common import (
    DATASOURCE,
    PanelBuilder,
    dashboard,
    datasource_variable,
    family,
    layout,
    prom,
    query_variable,
    sample,
    selector,
)

__all__ = ["TITLE", "UID", "build"]

UID = "codomyrmex-observe"
TITLE = "Codomyrmex / OBSERVE: caches and imports"

RATE = "[$__rate_interval]"
#: Matchers of every cache panel; import panels leave ``cache`` out.
CACHE = selector("job", "instance", "cache")
PROC = selector("job", "instance")

GETS = sample("CACHE_GETS")
PUTS = sample("CACHE_PUTS")
EVICTIONS = sample("CACHE_EVICTIONS")
ERRORS = sample("CACHE_ERRORS")
ENTRIES = sample("CACHE_ENTRIES")
LOAD = family("CACHE_LOAD_DURATION")
IMPORT = family("IMPORT_DURATION")
MODULE = sample("MODULE_IMPORT")
LAZY = sample("LAZY_IMPORTS")

#: The threshold of the CodomyrmexCacheHitRatioLow alert (deploy/rules/codomyrmex-alerts.yml),
#: drawn on the hit-ratio panels; a test checks that both say the same.
HIT_RATIO_ALERT = 0.5


def _alert_line(panel: timeseries.Panel) -> timeseries.Panel:
    """Red below the alert's threshold, drawn as a line."""
    steps = [gmodel.Threshold(value=None, color="red"), gmodel.Threshold(value=HIT_RATIO_ALERT, color="green")]
    return panel.thresholds(
        gdash.ThresholdsConfig().mode(gmodel.ThresholdsMode.ABSOLUTE).steps(steps)
    ).thresholds_style(gcommonb.GraphThresholdsStyleConfig().mode(gcommon.GraphThresholdsStyleMode.LINE))


# Every lookup reaches the memory tier first; the shared tiers only see memory misses. So the
# lookups of a cache are its memory-tier gets, and a lookup is a hit when any tier hit.
HIT_RATIO = (
    f'sum by (cache) (rate({GETS}{{{CACHE}, result="hit"}}{RATE}))\n'
    f'/\nsum by (cache) (rate({GETS}{{{CACHE}, tier="memory"}}{RATE}))'
)
HIT_RATIO_BY_TIER = (
    f'sum by (cache, tier) (rate({GETS}{{{CACHE}, result="hit"}}{RATE}))\n'
    f"/\nsum by (cache, tier) (rate({GETS}{{{CACHE}}}{RATE}))"
)


def _quantile(q: float) -> str:
    return (
        f"histogram_quantile({q}, sum by (cache, le) "
        f'(rate({LOAD}_bucket{{{CACHE}, result="success"}}{RATE})))'
    )


def _ts(title: str, unit: str, description: str) -> timeseries.Panel:
    return (
        timeseries.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .line_width(1)
        .fill_opacity(10)
        .span(12)
        .height(8)
    )


def _cache_panels() -> list[PanelBuilder]:
    hit_ratio = (
        _ts(
            "Hit ratio (any tier)",
            "percentunit",
            "Lookups answered by any tier divided by all lookups, per cache. Computed from "
            f"{GETS}; a ratio is never exported. The line is the CodomyrmexCacheHitRatioLow "
            f"alert's threshold ({HIT_RATIO_ALERT:g}).",
        )
        .min(0)
        .max(1)
        .with_target(prom(HIT_RATIO, "{{cache}}"))
    )
    hit_ratio = _alert_line(hit_ratio)
    by_tier = (
        _ts(
            "Hit ratio by tier",
            "percentunit",
            "Hits of each tier divided by the lookups that reached that tier (disk and redis "
            "are only asked after a memory miss).",
        )
        .min(0)
        .max(1)
        .with_target(prom(HIT_RATIO_BY_TIER, "{{cache}} {{tier}}"))
    )
    by_tier = _alert_line(by_tier)
    misses = (
        _ts("Misses and puts per second", "ops", "Misses of each tier and values stored.")
        .with_target(
            prom(
                f'sum by (cache, tier) (rate({GETS}{{{CACHE}, result="miss"}}{RATE}))',
                "{{cache}} miss {{tier}}",
            )
        )
        .with_target(
            prom(f"sum by (cache) (rate({PUTS}{{{CACHE}}}{RATE}))", "{{cache}} put", ref_id="B")
        )
    )
    evictions = _ts(
        "Evictions per second by cause",
        "ops",
        "size: pushed out by maxsize; expired: TTL ran out; explicit: invalidated by the caller.",
    ).with_target(
        prom(f"sum by (cache, cause) (rate({EVICTIONS}{{{CACHE}}}{RATE}))", "{{cache}} {{cause}}")
    )
    latency = (
        _ts(
            "Load latency p50 / p95 / p99",
            "s",
            "Time to compute a value on a miss (successful loads), from the load histogram.",
        )
        .with_target(prom(_quantile(0.5), "{{cache}} p50", ref_id="A"))
        .with_target(prom(_quantile(0.95), "{{cache}} p95", ref_id="B"))
        .with_target(prom(_quantile(0.99), "{{cache}} p99", ref_id="C"))
    )
    heat = (
        heatmap.Panel()
        .title("Load latency distribution")
        .description("Loads per second in each bucket of the load histogram (all selected caches).")
        .datasource(DATASOURCE)
        .span(12)
        .height(8)
        .calculate(False)
        .y_axis(gheatmap.YAxisConfig().unit("s"))
        .color(
            gheatmap.HeatmapColorOptions()
            .mode(heatmapmodel.HeatmapColorMode.SCHEME)
            .scheme("Oranges")
            .steps(64)
        )
        .cell_gap(1)
        .with_target(
            prom(f"sum by (le) (rate({LOAD}_bucket{{{CACHE}}}{RATE}))", "{{le}}", heatmap=True)
        )
    )
    loads = _ts("Loads per second by result", "ops", "Misses that computed a value, by outcome.")
    loads = loads.with_target(
        prom(
            f"sum by (cache, result) (rate({LOAD}_count{{{CACHE}}}{RATE}))", "{{cache}} {{result}}"
        )
    )
    errors = _ts(
        "Tier errors per second",
        "ops",
        "Backend errors (Redis down, disk full, corrupt row); the call fell back to computing.",
    ).with_target(
        prom(
            f"sum by (cache, tier, op) (rate({ERRORS}{{{CACHE}}}{RATE}))",
            "{{cache}} {{tier}} {{op}}",
        )
    )
    entries = (
        stat.Panel()
        .title("Entries in memory")
        .description("Entries currently held in the in-process tier of each cache.")
        .datasource(DATASOURCE)
        .span(12)
        .height(8)
        .unit("short")
        .graph_mode(gcommon.BigValueGraphMode.AREA)
        .with_target(prom(f"sum by (cache) ({ENTRIES}{{{CACHE}}})", "{{cache}}"))
    )
    return [hit_ratio, by_tier, misses, evictions, latency, heat, loads, errors, entries]


def _import_panels() -> list[PanelBuilder]:
    def mean_import(kind: str) -> str:
        # Mean per import: sum/count over every selected process, so several instances of the
        # same agent average instead of adding up.
        sel = f'{{{PROC}, kind="{kind}"}}'
        return (
            f"topk(15, sum by (package) ({IMPORT}_sum{sel})\n"
            f"/\nsum by (package) ({IMPORT}_count{sel}))"
        )

    def bars(title: str, description: str, expr: str, legend: str) -> bargauge.Panel:
        return (
            bargauge.Panel()
            .title(title)
            .description(description)
            .datasource(DATASOURCE)
            .span(8)
            .height(10)
            .unit("s")
            .min(0)
            .orientation(gcommon.VizOrientation.HORIZONTAL)
            .display_mode(gcommon.BarGaugeDisplayMode.GRADIENT)
            .with_target(prom(expr, legend, instant=True))
        )

    packages = bars(
        "Slowest packages at import (cumulative)",
        "Mean import time of each top-level package including what it imports, top 15.",
        mean_import("cumulative"),
        "{{package}}",
    )
    packages_self = bars(
        "Slowest packages at import (self)",
        "Mean import time of each top-level package's own modules only, top 15.",
        mean_import("self"),
        "{{package}}",
    )
    modules = bars(
        "Slowest modules at import",
        "Cumulative import time of the slowest modules (the library exports only the top K).",
        f"topk(15, max by (module) ({MODULE}{{{PROC}}}))",
        "{{module}}",
    )
    lazy_rate = _ts(
        "Lazy imports per second",
        "ops",
        "Deferred imports resolved on first use, by package and outcome.",
    ).with_target(
        prom(f"sum by (package, state) (rate({LAZY}{{{PROC}}}{RATE}))", "{{package}} {{state}}")
    )
    lazy_total = (
        table.Panel()
        .title("Lazy imports resolved (per process, summed)")
        .description("How many lazy imports each package resolved since the processes started.")
        .datasource(DATASOURCE)
        .span(12)
        .height(8)
        .with_target(prom(f"sum by (package, state) ({LAZY}{{{PROC}}})", "", instant=True))
    )
    return [packages, packages_self, modules, lazy_rate, lazy_total]


def build() -> gdash.Dashboard:
    """The OBSERVE dashboard builder (``.build()`` gives the model)."""
    variables = [
        datasource_variable(),
        query_variable("job", "Job", 'label_values({__name__=~"codomyrmex_.+"}, job)'),
        query_variable(
            "instance",
            "Instance",
            'label_values({__name__=~"codomyrmex_.+", job=~"$job"}, instance)',
        ),
        query_variable(
            "cache", "Cache", f'label_values({GETS}{{job=~"$job", instance=~"$instance"}}, cache)'
        ),
    ]
    d = dashboard(
        TITLE,
        UID,
        "Live view of the caches, lazy imports and import times of agent processes "
        "using codomyrmex-performance.",
        tag="observe", refresh="30s", since="now-1h", link_to="LEARN", variables=variables,
    )  # fmt: skip
    return layout(d, [*(("Caches", _cache_panels()), ("Imports", _import_panels()))])
