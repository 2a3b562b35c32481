"""The analysis: do matches move orders? Tests over a rolling horizon of merged days."""

import dagster as dg
import pandas as pd

from pizza_game.analysis.engine import analyse
from pizza_game.analysis.horizon import (
    analysis_horizon,
    horizon_summary,
    horizon_tables,
    latest_merged_day,
)
from pizza_game.analysis.match_table import match_table
from pizza_game.assets.analysis_metadata import outputs_metadata
from pizza_game.assets.common import GROUP, OWNERS
from pizza_game.model import Stamped
from pizza_game.quicksight.dashboard import DASHBOARD_DAYS, build_dashboard_data
from pizza_game.resources.analysis_settings import AnalysisSettings
from pizza_game.resources.dated_outputs import DATED_IO, run_day
from pizza_game.resources.storage import StorageResource
from pizza_game.storage.partitioned import MergedStore


class AnalysisRunConfig(dg.Config):
    """Which days to analyse: the horizon ends on ``as_of`` (YYYY-MM-DD, UTC).

    Without it, the horizon ends on the last day the run merged (a backfill of old days analyses
    those days, at their keys), else on the latest day that has merged data.
    """

    as_of: str | None = None


def _out(description: str, kinds: set[str]) -> dg.AssetOut:
    """An analysis output: stored by the dated-outputs IO manager at its day's key."""
    return dg.AssetOut(description=description, kinds=kinds, group_name=GROUP, owners=OWNERS, io_manager_key=DATED_IO)


@dg.multi_asset(
    outs={
        "correlation_results": _out(
            "One row per statistical test: n, statistic, p-value, effect size with 95% CI, "
            "Benjamini-Hochberg adjusted p-value, significance and the real-data share behind it.",
            {"pandas", "csv"},
        ),
        "significant_correlations": _out(
            "The tests significant at alpha 0.05 after Benjamini-Hochberg adjustment.", {"pandas", "csv"}
        ),
        "correlation_summary": _out(
            "The answer in plain words: lift per match window with its CI, the strongest "
            "relationships and the quality of the data behind them.",
            {"json"},
        ),
        "match_windows": _out(
            "The per-match drill-down over the whole horizon: one row per analysed match, "
            "window and region with observed and expected orders, the (descriptive) lift, the "
            "anomaly flag, the data source, whether its test used it and why not; plus one row per "
            "match left out, with the reason.",
            {"pandas", "csv"},
        ),
        "dashboard_data": _out(
            "What the QuickSight dashboard shows, as one flat table (JSON and CSV): KPIs, "
            "lift per window, hourly orders with match overlays and per-match window results, "
            f"for the last {DASHBOARD_DAYS} days.",
            {"json", "csv"},
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
    requested = pd.Timestamp(config.as_of, tz="UTC") if config.as_of else run_day({}, context.run.tags)
    as_of = requested if requested is not None else latest_merged_day(storage.store())
    horizon = analysis_horizon(as_of, analysis_settings.horizon_days)
    days = MergedStore(storage.store()).read_stacked(horizon)
    context.log.info(f"analysing {len(days)} merged day(s) of the {len(horizon)}-day horizon ending {as_of:%Y-%m-%d}")
    series, windows, matches = horizon_tables(days)
    # The dashboard shows only its last days: only their series is cut out of the stacked tables.
    recent = days.since(as_of.normalize() - pd.Timedelta(days=DASHBOARD_DAYS - 1)).tables.get("series", pd.DataFrame())
    result = analyse(series, windows, matches, analysis_settings.config())
    summary = horizon_summary(result.summary, days.coverage, as_of, len(horizon))
    dashboard = build_dashboard_data(recent, summary, result.match_windows, matches, as_of)
    tables = {
        "correlation_results": result.results,
        "significant_correlations": result.significant,
        "match_windows": match_table(result.match_windows, matches, result.excluded_matches),
    }
    metadata = outputs_metadata(summary, tables, dashboard, as_of)
    values = {**tables, "correlation_summary": summary, "dashboard_data": dashboard}
    # In the order the outputs are declared (outputs_metadata keeps it).
    for name in metadata:
        yield dg.Output(Stamped(as_of, values[name]), output_name=name, metadata=metadata[name])
