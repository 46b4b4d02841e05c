"""LEARN: trends of the recorded benchmark results, regressions and staleness.

Benchmark results reach Prometheus through the Pushgateway (scraped with ``honor_labels``), so
every query aggregates away ``job``/``instance`` with ``max by (suite, benchmark, ...)``: one
line per benchmark, whoever pushed it.

    >>> from dashboards.learn import build
    >>> build().build().uid
    'codomyrmex-learn'
"""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from grafana_foundation_sdk.builders import common as gcommonb
    from grafana_foundation_sdk.builders import dashboard as gdash
    from grafana_foundation_sdk.builders import prometheus as gprom
    from grafana_foundation_sdk.builders import stat, statetimeline, timeseries
    from grafana_foundation_sdk.cog import builder as cogbuilder
    from grafana_foundation_sdk.models import common as gcommon
    from grafana_foundation_sdk.models import dashboard as gmodel

from ._common import (
    DATASOURCE,
    PanelBuilder,
    dashboard,
    datasource_variable,
    layout,
    prom,
    query_variable,
    sample,
    selector,
)

__all__ = ["TITLE", "UID", "build"]

UID = "codomyrmex-learn"
TITLE = "Codomyrmex / LEARN: benchmark trends"

DURATION = sample("BENCHMARK_DURATION")
REGRESSION = sample("BENCHMARK_REGRESSION")
CHANGE = sample("BENCHMARK_CHANGE_RATIO")
LAST_RUN = sample("BENCHMARK_LAST_RUN")
INSTRUCTIONS = sample("BENCHMARK_INSTRUCTIONS")
#: a suite or benchmark shows up in the variables whether it is timed, counted, or both
MEASURED = f'{{__name__=~"{DURATION}|{INSTRUCTIONS}"}}'

BENCH = selector("suite", "benchmark")
SUITE = selector("suite")

#: Staleness thresholds (seconds) shared with the CodomyrmexBenchmarkResultsStale alert.
STALE_WARN = 86_400
STALE_ALERT = 172_800

#: The PromQL fallback of the regression alert: the current p50 against its own 7-day median,
#: per host as in the alert, so one machine's regression is not hidden by another's numbers.
P50_VS_MEDIAN = (
    f'max by (suite, benchmark, host) ({DURATION}{{{BENCH}, stat="p50"}})\n/\n'
    f'max by (suite, benchmark, host) (quantile_over_time(0.5, {DURATION}{{{BENCH}, stat="p50"}}[7d]))'
)


def _steps(*steps: tuple[float | None, str]) -> list[gmodel.Threshold]:
    return [gmodel.Threshold(value=v, color=c) for v, c in steps]


def _thresholds(*steps: tuple[float | None, str]) -> gdash.ThresholdsConfig:
    return gdash.ThresholdsConfig().mode(gmodel.ThresholdsMode.ABSOLUTE).steps(_steps(*steps))


def _stat(title: str, description: str, unit: str) -> stat.Panel:
    return (
        stat.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .span(8)
        .height(5)
        .color_mode(gcommon.BigValueColorMode.BACKGROUND)
        .graph_mode(gcommon.BigValueGraphMode.NONE)
    )


def _overview() -> list[PanelBuilder]:
    stale = (
        _stat(
            "Time since the last run",
            "Per suite: now minus the push time of its last run. "
            "Orange after one day, red (and alerting) after two.",
            "s",
        )
        .thresholds(_thresholds((None, "green"), (STALE_WARN, "orange"), (STALE_ALERT, "red")))
        # last_over_time: with sparse pushes the gauge is absent between runs (as in the alert).
        .with_target(
            prom(
                f"time() - max by (suite) (last_over_time({LAST_RUN}{{{SUITE}}}[30d]))", "{{suite}}"
            )
        )
    )
    regressed = (
        _stat(
            "Benchmarks regressed now",
            "How many selected benchmarks the library's last regression check flagged.",
            "short",
        )
        .thresholds(_thresholds((None, "green"), (1, "red")))
        .with_target(prom(f"sum(max by (suite, benchmark) ({REGRESSION}{{{BENCH}}}))", "regressed"))
    )
    worst = (
        _stat(
            "Worst change ratio",
            "Largest current median / baseline median among the "
            "selected benchmarks (1 = unchanged).",
            "none",
        )
        .decimals(2)
        .thresholds(_thresholds((None, "green"), (1.1, "orange"), (1.2, "red")))
        .with_target(prom(f"max(max by (suite, benchmark) ({CHANGE}{{{BENCH}}}))", "worst"))
    )
    flags = (
        statetimeline.Panel()
        .title("Regression flags")
        .description(
            "The library's verdict after each run: 1 when the benchmark regressed "
            "against its baseline."
        )
        .datasource(DATASOURCE)
        .span(24)
        .height(6)
        .mappings(
            [
                gmodel.ValueMap(
                    options={
                        "0": gmodel.ValueMappingResult(text="ok", color="green", index=0),
                        "1": gmodel.ValueMappingResult(text="REGRESSION", color="red", index=1),
                    }
                )
            ]
        )
        .thresholds(_thresholds((None, "green"), (1, "red")))
        .with_target(
            prom(f"max by (suite, benchmark) ({REGRESSION}{{{BENCH}}})", "{{suite}}/{{benchmark}}")
        )
    )
    change = (
        timeseries.Panel()
        .title("Change ratio against baseline")
        .description(
            "Current median / baseline median, as computed by the library's "
            "regression check. Above 1 is slower."
        )
        .datasource(DATASOURCE)
        .unit("none")
        .span(12)
        .height(8)
        .thresholds(_thresholds((None, "green"), (1.1, "orange"), (1.2, "red")))
        .thresholds_style(
            gcommonb.GraphThresholdsStyleConfig().mode(gcommon.GraphThresholdsStyleMode.LINE)
        )
        .with_target(
            prom(f"max by (suite, benchmark) ({CHANGE}{{{BENCH}}})", "{{suite}}/{{benchmark}}")
        )
    )
    vs_median = (
        timeseries.Panel()
        .title("p50 against its 7-day median")
        .description(
            "The PromQL fallback of CodomyrmexBenchmarkRegression: the last p50 divided "
            "by the median of the p50 over seven days."
        )
        .datasource(DATASOURCE)
        .unit("none")
        .span(12)
        .height(8)
        .with_target(prom(P50_VS_MEDIAN, "{{suite}}/{{benchmark}} {{host}}"))
    )
    return [stale, regressed, worst, flags, change, vs_median]


def _per_benchmark() -> PanelBuilder:
    def stat_query(s: str, ref_id: str) -> gprom.Dataquery:
        return prom(
            f'max by (suite, stat) ({DURATION}{{{BENCH}, stat="{s}"}})',
            f"{{{{suite}}}} {s}",
            ref_id=ref_id,
        )

    return (
        _repeated_per_benchmark(
            timeseries.Panel()
            .title("$benchmark: p50 / p95 / p99")
            .description("Statistics of each run of the benchmark, as pushed after the run."),
            unit="s",
        )
        .with_target(stat_query("p50", "A"))
        .with_target(stat_query("p95", "B"))
        .with_target(stat_query("p99", "C"))
    )


def _annotations() -> list[cogbuilder.Builder[gmodel.AnnotationQuery]]:
    builtin = (
        gdash.AnnotationQuery()
        .name("Annotations & Alerts")
        .datasource(gcommon.DataSourceRef(type_val="grafana", uid="-- Grafana --"))
        .enable(True)
        .hide(True)
        .icon_color("rgba(0, 211, 255, 1)")
        .type("dashboard")
        .built_in(1)
    )
    regressions = (
        gdash.AnnotationQuery()
        .name("Regressions")
        .datasource(DATASOURCE)
        .enable(True)
        .icon_color("red")
        .expr(f"max by (suite, benchmark) ({REGRESSION}{{{BENCH}}}) == 1")
        .step("60s")
        .title_format("Regression {{suite}}/{{benchmark}}")
        .text_format("The regression check flagged {{suite}}/{{benchmark}}.")
        .tag_keys("suite,benchmark")
    )
    runs = (
        gdash.AnnotationQuery()
        .name("Runs")
        .datasource(DATASOURCE)
        .enable(True)
        .icon_color("blue")
        # The gauge holds the run's unix time; Grafana places the mark at the value (ms).
        .expr(f"max by (suite) ({LAST_RUN}{{{SUITE}}}) * 1000")
        .step("60s")
        .use_value_for_time(True)
        .title_format("Run of {{suite}}")
        .tag_keys("suite")
    )
    return [builtin, regressions, runs]


def _instructions() -> PanelBuilder:
    # Instruction mode (measure="instructions") is deterministic to ~1e-4: a step in this line
    # is a change in what the code executes, not a neighbour on the machine.
    return _repeated_per_benchmark(
        timeseries.Panel()
        .title("$benchmark: CPU instructions per call")
        .description(
            "Instruction-mode runs (Valgrind): CPU instructions per call, one point per run. "
            "Blind to I/O, sleeps and cache misses; see the p50 panel for those."
        ),
        unit="short",
    ).with_target(prom(f"max by (suite) ({INSTRUCTIONS}{{{BENCH}}})", "{{suite}} instructions"))


def _repeated_per_benchmark(panel: timeseries.Panel, *, unit: str) -> timeseries.Panel:
    # One panel per selected benchmark (Grafana repeats it over the values of $benchmark), two
    # a row, every run a point: the layout of each per-benchmark panel.
    return (
        panel.datasource(DATASOURCE)
        .unit(unit)
        .span(12)
        .height(8)
        .show_points(gcommon.VisibilityMode.ALWAYS)
        .repeat("benchmark")
        .repeat_direction("h")
        .max_per_row(2)
    )


def build() -> gdash.Dashboard:
    """The LEARN dashboard builder (``.build()`` gives the model)."""
    variables = [
        datasource_variable(),
        query_variable("suite", "Suite", f"label_values({MEASURED}, suite)"),
        query_variable(
            "benchmark", "Benchmark",
            f'label_values({{__name__=~"{DURATION}|{INSTRUCTIONS}", suite=~"$suite"}}, benchmark)',
        ),
    ]
    d = dashboard(
        TITLE,
        UID,
        "Benchmark history of codomyrmex-performance suites: percentiles over "
        "time, change against baseline, regressions and stale results.",
        tag="learn", refresh="1m", since="now-7d", link_to="OBSERVE", variables=variables,
    ).annotations(_annotations())  # fmt: skip
    return layout(d, [*(("Overview", _overview()), ("Per benchmark", [_per_benchmark(), _instructions()]))])
