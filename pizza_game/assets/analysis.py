"""The analysis: do matches move orders? Tests over a rolling horizon of merged days."""

import dagster as dg
import pandas as pd

from pizza_game.analysis.engine import AnalysisResult, analyse
from pizza_game.analysis.merge import MergedDay
from pizza_game.assets.metadata import preview
from pizza_game.assets.raw import OWNERS
from pizza_game.resources import AnalysisSettings
from pizza_game.storage import layout
from pizza_game.storage.io_manager import Stamped
from pizza_game.storage.partitioned import MergedStore
from pizza_game.storage.resource import StorageResource


class AnalysisRunConfig(dg.Config):
    """Which days to analyse: the horizon ends on ``as_of`` (YYYY-MM-DD, UTC).

    Without it, the horizon ends on the latest day that has merged data.
    """

    as_of: str | None = None


@dg.multi_asset(
    outs={
        "correlation_results": dg.AssetOut(
            description="One row per statistical test: n, statistic, p-value, effect size with 95% CI, "
            "Benjamini-Hochberg adjusted p-value, significance and the real-data share behind it.",
            kinds={"pandas", "csv"},
        ),
        "significant_correlations": dg.AssetOut(
            description="The tests significant at alpha 0.05 after Benjamini-Hochberg adjustment.",
            kinds={"pandas", "csv"},
        ),
        "correlation_summary": dg.AssetOut(
            description="The answer in plain words: lift per match window with its CI, the strongest "
            "relationships and the quality of the data behind them.",
            kinds={"json"},
        ),
    },
    deps=["merged_dataset"],
    group_name="analysis",
    owners=OWNERS,
)
def correlation_analysis(
    context: dg.AssetExecutionContext,
    config: AnalysisRunConfig,
    storage: StorageResource,
    analysis_settings: AnalysisSettings,
):
    """Reads the merged days of the horizon (missing days are tolerated) and tests whether match
    windows see more or fewer orders than their baseline, and what about a match moves them."""
    merged = MergedStore(storage.store())
    as_of = pd.Timestamp(config.as_of, tz="UTC") if config.as_of else latest_merged_day(storage)
    horizon = pd.date_range(end=as_of, periods=analysis_settings.horizon_days, freq="D")
    days = merged.read_days(horizon)
    context.log.info(
        f"analysing {len(days)} merged day(s) of the {len(horizon)}-day horizon ending {as_of:%Y-%m-%d}"
    )
    result = analyse_days(days, analysis_settings)
    summary = {**result.summary, "as_of": f"{as_of:%Y-%m-%d}", "days_analysed": len(days), "horizon_days": len(horizon)}
    yield dg.Output(
        Stamped(as_of, result.results),
        output_name="correlation_results",
        metadata={"tests": len(result.results), "preview": preview(result.results, 10)},
    )
    yield dg.Output(
        Stamped(as_of, result.significant),
        output_name="significant_correlations",
        metadata={"significant": len(result.significant), "preview": preview(result.significant, 10)},
    )
    yield dg.Output(Stamped(as_of, summary), output_name="correlation_summary", metadata=summary_metadata(summary))


def concat_days(days: list[MergedDay]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The series, windows and matches tables of several merged days, stacked."""
    if not days:
        raise ValueError("no merged data in the analysis horizon: materialize merged_dataset first")
    return (
        pd.concat([d.series for d in days], ignore_index=True),
        pd.concat([d.windows for d in days], ignore_index=True),
        pd.concat([d.matches for d in days], ignore_index=True),
    )


def analyse_days(days: list[MergedDay], settings: AnalysisSettings) -> AnalysisResult:
    series, windows, matches = concat_days(days)
    return analyse(series, windows, matches, settings.config())


def latest_merged_day(storage: StorageResource) -> pd.Timestamp:
    """The newest day with merged data, found by walking the dated folders from the end."""
    store = storage.store()
    prefix = f"{layout.MERGED_PREFIX}/"
    for _ in range(3):  # YYYY/ then MM/ then DD/
        folders = store.list_dirs(prefix)
        if not folders:
            raise ValueError("no merged data yet: materialize merged_dataset first")
        prefix = folders[-1]
    year, month, day = prefix.rstrip("/").split("/")[-3:]
    return pd.Timestamp(f"{year}-{month}-{day}", tz="UTC")


def summary_metadata(summary: dict) -> dict:
    lifts = pd.DataFrame(summary.get("windows", []))
    metadata = {
        "headline": dg.MetadataValue.text(summary.get("headline", "")),
        "findings": dg.MetadataValue.json(summary.get("findings", [])),
        "as_of": dg.MetadataValue.text(summary["as_of"]),
        "days_analysed": dg.MetadataValue.int(summary["days_analysed"]),
    }
    if len(lifts):
        metadata["lift_per_window"] = preview(lifts, 10)
    return metadata
