"""A backfill of old days, as the UI launches it (partition tags, no run config): its analysis goes
to the keys of those days and the newer analysis stays where the latest pointers are."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pandas as pd

from pizza_game.partition_keys import RANGE_END, RANGE_START
from pizza_game.runner import run_pipeline
from pizza_game.storage import layout

NEW = pd.Timestamp("2024-10-11", tz="UTC")
OLD = ("2024-10-01", "2024-10-02")


def stamped_keys(day: pd.Timestamp) -> list[str]:
    return [
        layout.correlation_results_key(day),
        layout.significant_correlations_key(day),
        layout.correlation_summary_key(day),
        layout.dashboard_data_key(day, "json"),
        layout.dashboard_data_key(day, "csv"),
        layout.report_key(day),
    ]


def test_a_backfill_of_old_days_writes_their_keys_and_leaves_the_latest_alone(
    defs: dg.Definitions, fresh_instance: dg.DagsterInstance, data_dir: Path
) -> None:
    run_pipeline(NEW, NEW + pd.Timedelta(days=1), defs=defs, instance=fresh_instance, log_level="ERROR")
    newer = {key: (data_dir / key).read_bytes() for key in [*stamped_keys(NEW), layout.REPORT_LATEST_KEY]}

    orders = defs.resolve_job_def("orders_job").execute_in_process(
        instance=fresh_instance, tags={RANGE_START: f"{OLD[0]}-00:00", RANGE_END: f"{OLD[1]}-23:00"}
    )
    backfill = defs.resolve_job_def("analysis_job").execute_in_process(
        instance=fresh_instance, tags={RANGE_START: OLD[0], RANGE_END: OLD[1]}
    )
    assert orders.success and backfill.success

    old = pd.Timestamp(OLD[1], tz="UTC")
    assert all((data_dir / key).is_file() for key in stamped_keys(old))
    assert {key: (data_dir / key).read_bytes() for key in newer} == newer
    summary = next(
        e.materialization.metadata
        for e in backfill.get_asset_materialization_events()
        if e.materialization.asset_key == dg.AssetKey("correlation_summary")
    )
    assert summary["as_of"].value == OLD[1]
    report = next(
        e.materialization.metadata
        for e in backfill.get_asset_materialization_events()
        if e.materialization.asset_key == dg.AssetKey("dashboard_report")
    )
    assert report["latest_updated"].value is False
