"""The analysis: do matches move orders? Tests over a rolling horizon of merged days."""

import dagster as dg
import pandas as pd

from pizza_game.analysis.engine import analyse
from pizza_game.analysis.match_table import match_table
from pizza_game.analysis.summary import anomaly_lines, rejected_rows
from pizza_game.assets.common import GROUP, OWNERS
from pizza_game.assets.metadata import preview
from pizza_game.model import MergedDay, Stamped
from pizza_game.quicksight.dashboard import DASHBOARD_DAYS, build_dashboard_data
from pizza_game.resources.analysis_settings import AnalysisSettings
from pizza_game.resources.dated_outputs import DATED_IO, run_day
from pizza_game.resources.storage import StorageResource
from pizza_game.storage import layout
from pizza_game.storage.lookup import newest_day
from pizza_game.storage.partitioned import MergedStore


class AnalysisRunConfig(dg.Config):
    """Which days to analyse: the horizon ends on ``as_of`` (YYYY-MM-DD, UTC).

    Without it, the horizon ends on the last day the run merged (a backfill of old days analyses
    those days, at their keys), else on the latest day that has merged data.
    """

    as_of: str | None = None


@dg.multi_asset(
    outs={
        "correlation_results": dg.AssetOut(
            description="One row per statistical test: n, statistic, p-value, effect size with 95% CI, "
            "Benjamini-Hochberg adjusted p-value, significance and the real-data share behind it.",
            kinds={"pandas", "csv"},
            group_name=GROUP,
            owners=OWNERS,
            io_manager_key=DATED_IO,
        ),
        "significant_correlations": dg.AssetOut(
            description="The tests significant at alpha 0.05 after Benjamini-Hochberg adjustment.",
            kinds={"pandas", "csv"},
            group_name=GROUP,
            owners=OWNERS,
            io_manager_key=DATED_IO,
        ),
        "correlation_summary": dg.AssetOut(
            description="The answer in plain words: lift per match window with its CI, the strongest "
            "relationships and the quality of the data behind them.",
            kinds={"json"},
            group_name=GROUP,
            owners=OWNERS,
            io_manager_key=DATED_IO,
        ),
        "match_windows": dg.AssetOut(
            description="The per-match drill-down over the whole horizon: one row per analysed match, "
            "window and region with observed and expected orders, the (descriptive) lift, the "
            "anomaly flag, the data source, whether its test used it and why not; plus one row per "
            "match left out, with the reason.",
            kinds={"pandas", "csv"},
            group_name=GROUP,
            owners=OWNERS,
            io_manager_key=DATED_IO,
        ),
        "dashboard_data": dg.AssetOut(
            description="What the QuickSight dashboard shows, as one flat table (JSON and CSV): KPIs, "
            "lift per window, hourly orders with match overlays and per-match window results, "
            f"for the last {DASHBOARD_DAYS} days.",
            kinds={"json", "csv"},
            group_name=GROUP,
            owners=OWNERS,
            io_manager_key=DATED_IO,
        ),
    },
    deps=["merged_dataset"],
    can_subset=False,
    internal_asset_deps={
        "correlation_results": {dg.AssetKey("merged_dataset")},
        "significant_correlations": {dg.AssetKey("correlation_results")},
        "correlation_summary": {dg.AssetKey("correlation_results")},
        "match_windows": {dg.AssetKey("merged_dataset")},
        "dashboard_data": {dg.AssetKey("correlation_results"), dg.AssetKey("correlation_summary")},
    },
)
def correlation_analysis(
    context: dg.AssetExecutionContext,
    config: AnalysisRunConfig,
    storage: StorageResource,
    analysis_settings: AnalysisSettings,
):
    """Reads the merged days of the horizon (missing days are tolerated) and tests whether match
    windows see more or fewer orders than their baseline, and what about a match moves them.
    The dashboard data comes out of the same run, so it shows exactly the lifts that were tested."""
    merged = MergedStore(storage.store())
    requested = pd.Timestamp(config.as_of, tz="UTC") if config.as_of else run_day({}, context.run.tags)
    as_of = requested if requested is not None else latest_merged_day(storage)
    horizon = pd.date_range(end=as_of, periods=analysis_settings.horizon_days, freq="D")
    days = merged.read_days(horizon)
    context.log.info(
        f"analysing {len(days)} merged day(s) of the {len(horizon)}-day horizon ending {as_of:%Y-%m-%d}"
    )
    series, windows, matches = concat_days(days)
    result = analyse(series, windows, matches, analysis_settings.config())
    summary = {
        **result.summary,
        "data_quality": {
            **result.summary["data_quality"],
            "rejected": rejected_rows([d.coverage for d in days]),
        },
        "as_of": f"{as_of:%Y-%m-%d}",
        "days_analysed": len(days),
        "horizon_days": len(horizon),
    }
    dashboard = build_dashboard_data(days, summary, result.match_windows, matches, as_of)
    shared = horizon_metadata(summary)
    yield dg.Output(
        Stamped(as_of, result.results),
        output_name="correlation_results",
        metadata={**shared, "tests": len(result.results), "preview": preview(result.results, 10)},
    )
    yield dg.Output(
        Stamped(as_of, result.significant),
        output_name="significant_correlations",
        metadata={**shared, "significant": len(result.significant), "preview": preview(result.significant, 10)},
    )
    yield dg.Output(Stamped(as_of, summary), output_name="correlation_summary", metadata={**shared, **summary_metadata(summary)})
    drill_down = match_table(result.match_windows, matches, result.excluded_matches)
    yield dg.Output(
        Stamped(as_of, drill_down),
        output_name="match_windows",
        metadata={**shared, "matches": int(drill_down["match_id"].nunique()), "preview": preview(drill_down, 10)},
    )
    yield dg.Output(
        Stamped(as_of, dashboard),
        output_name="dashboard_data",
        metadata={
            **shared,
            "time_range": dg.MetadataValue.text(f"{(as_of - pd.Timedelta(days=DASHBOARD_DAYS - 1)):%Y-%m-%d} – {as_of:%Y-%m-%d} (UTC days)"),
            "records": dg.MetadataValue.json({str(k): int(v) for k, v in dashboard["record_type"].value_counts().items()}),
        },
    )


def concat_days(days: list[MergedDay]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The series, windows and matches tables of several merged days, stacked."""
    if not days:
        raise ValueError("no merged data in the analysis horizon: materialize merged_dataset first")
    return (
        pd.concat([d.series for d in days], ignore_index=True),
        pd.concat([d.windows for d in days], ignore_index=True),
        pd.concat([d.matches for d in days], ignore_index=True),
    )


def latest_merged_day(storage: StorageResource) -> pd.Timestamp:
    """The newest day with merged data."""
    newest = newest_day(storage.store(), layout.MERGED_PREFIX)
    if newest is None:
        raise ValueError("no merged data yet: materialize merged_dataset first")
    return newest


def findings(summary: dict) -> list[str]:
    """The significant results, one plain sentence each."""
    lifts = [
        f"Orders {w['meaning']}: {w['lift']:+.1%} against the no-match baseline "
        f"(95% CI {w['ci_low']:+.1%} to {w['ci_high']:+.1%}, {w['slots']} match slots)."
        for w in summary.get("lift_by_window", [])
        if w.get("significant") and w.get("lift") is not None
    ]
    relationships = [r["sentence"] for r in summary.get("strongest_relationships", []) if r.get("significant")]
    return lifts + relationships


def lift_chart(summary: dict) -> str:
    """Lift per window as a small bar chart in markdown (the UI shows it on the asset)."""
    rows = ["| window | lift | 95% CI | |", "|---|---:|---|---|"]
    for w in summary.get("lift_by_window", []):
        if w.get("lift") is None:
            rows.append(f"| {w['window']} | not tested | | {w.get('not_run') or ''} |")
            continue
        bar = ("█" * min(40, round(abs(w["lift"]) * 100))) or "▏"
        sign = "+" if w["lift"] >= 0 else "−"
        mark = " *" if w.get("significant") else ""
        rows.append(f"| {w['window']} | {w['lift']:+.1%}{mark} | {w['ci_low']:+.1%} to {w['ci_high']:+.1%} | {sign}{bar} |")
    return "\n".join(rows) + "\n\n\\* significant after Benjamini-Hochberg adjustment within the primary family (alpha 0.05)"


def horizon_metadata(summary: dict) -> dict:
    """What every analysis output rests on: the days analysed and how much of their data is real."""
    period = summary.get("period", {})
    quality = summary.get("data_quality", {})
    real_share = quality.get("real_share") or 0.0
    if period.get("start") and period.get("end"):
        first, end = pd.Timestamp(period["start"]), pd.Timestamp(period["end"]) - pd.Timedelta(days=1)
        time_range = f"{first:%Y-%m-%d} – {end:%Y-%m-%d} (horizon ending {summary['as_of']})"
    else:
        time_range = f"no data in the horizon ending {summary['as_of']}"
    return {
        "time_range": dg.MetadataValue.text(time_range),
        "days_analysed": dg.MetadataValue.int(summary["days_analysed"]),
        "orders_analysed": dg.MetadataValue.int(int(quality.get("orders") or 0)),
        "real_share": dg.MetadataValue.float(real_share),
        "mock_share": dg.MetadataValue.float(1.0 - real_share if quality.get("orders") else 0.0),
    }


def summary_metadata(summary: dict) -> dict:
    quality = summary.get("data_quality", {})
    return {
        "headline": dg.MetadataValue.text(summary.get("headline", "")),
        "findings": dg.MetadataValue.json(findings(summary)),
        "lift_per_window": dg.MetadataValue.md(lift_chart(summary)),
        "as_of": dg.MetadataValue.text(summary["as_of"]),
        "tests_run": dg.MetadataValue.int(summary.get("tests", {}).get("run", 0)),
        **({} if (lift := headline_lift(summary)) is None else {"headline_lift": dg.MetadataValue.float(lift)}),
        "matches_used": dg.MetadataValue.int(quality.get("matches_used", 0)),
        "matches_unused_reasons": dg.MetadataValue.json(quality.get("matches_unused_reasons", {})),
        "rejected_rows": dg.MetadataValue.json(quality.get("rejected", {})),
        "anomalies": dg.MetadataValue.json(anomaly_lines(summary.get("spikes", {}))),
    }


def headline_lift(summary: dict) -> float | None:
    """The lift the headline reports (summary._headline): the largest significant primary lift, else
    the largest estimate; None when no primary test could be run."""
    lifts = [w for w in summary.get("lift_by_window", []) if w.get("lift") is not None]
    chosen = [w for w in lifts if w.get("significant")] or lifts
    return max((w["lift"] for w in chosen), key=abs, default=None)
