"""The analysis reads a rolling horizon of merged days and works with a day missing."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pandas as pd

from pizza_game.definitions import ASSETS
from pizza_game.runner import run_pipeline
from pizza_game.storage import layout

ANALYSIS = ["correlation_results", "significant_correlations", "correlation_summary", "match_windows", "dashboard_data", "quicksight_manifest"]


def test_a_missing_merged_day_is_skipped_not_fatal(defs: dg.Definitions, instance: dg.DagsterInstance, data_dir: Path) -> None:
    run_pipeline(pd.Timestamp("2024-10-01", tz="UTC"), pd.Timestamp("2024-10-05", tz="UTC"), defs=defs, instance=instance, log_level="ERROR")
    for key in layout.merged_keys(pd.Timestamp("2024-10-03", tz="UTC")).values():
        (data_dir / key).unlink()

    result = dg.materialize(
        ASSETS,
        selection=ANALYSIS,
        resources=defs.resources,
        instance=instance,
        run_config={"ops": {"correlation_analysis": {"config": {"as_of": "2024-10-04"}}}},
    )
    summary = next(
        e.materialization.metadata
        for e in result.get_asset_materialization_events()
        if e.materialization.asset_key == dg.AssetKey("correlation_summary")
    )
    assert summary["days_analysed"].value == 3
    assert summary["as_of"].value == "2024-10-04"
