"""Publishing: the QuickSight datasets, their manifests, then a refresh of each dataset."""

import dagster as dg
import pandas as pd

from pizza_game.assets.checks import MANIFEST_VALID, check_result
from pizza_game.assets.common import GROUP, OWNERS
from pizza_game.assets.publish_metadata import manifests_verdict, publish_metadata
from pizza_game.model import Stamped
from pizza_game.quicksight.datasets import DATASETS, build_datasets
from pizza_game.quicksight.lineage import kpi_real_share, lineage_record
from pizza_game.quicksight.publish import publish_datasets
from pizza_game.resources.quicksight import QuickSightResource
from pizza_game.resources.storage import StorageResource, storage_failures
from pizza_game.storage import layout


@dg.asset(
    ins={"dashboard_data": dg.AssetIn(), "correlation_summary": dg.AssetIn()},
    # The report first: a run whose report fails publishes no manifest.
    deps=["dashboard_report"],
    group_name=GROUP,
    kinds={"quicksight", "csv", "s3"},
    owners=OWNERS,
    check_specs=[MANIFEST_VALID],
)
def quicksight_manifest(
    context: dg.AssetExecutionContext,
    dashboard_data: Stamped,
    correlation_summary: Stamped,
    storage: StorageResource,
    quicksight: QuickSightResource,
) -> dg.MaterializeResult:
    """The QuickSight datasets (docs/quicksight.md), one per grain: per-day files of hourly
    orders and the latest analysis's match windows, lifts, relationships and KPIs, each with its
    manifest (quicksight-ready/metadata/manifest.json for orders_hourly, <dataset>_manifest.json
    for the others), written after every file they list; a backfill of old days moves no manifest
    back. Then (when configured) a refresh of each dataset within QuickSight's 24-hour quota. A
    failed refresh warns; it does not fail the data."""
    if dashboard_data.as_of != correlation_summary.as_of:
        raise ValueError(
            f"dashboard_data ({dashboard_data.as_of:%Y-%m-%d}) and correlation_summary "
            f"({correlation_summary.as_of:%Y-%m-%d}) describe different days; materialize the analysis again"
        )
    store = storage.store()
    tables = build_datasets(dashboard_data.value, correlation_summary.value, dashboard_data.as_of)
    published_at = pd.Timestamp.now(tz="UTC")
    key = layout.lineage_key(published_at, context.run.run_id)
    record = lineage_record(context.run.run_id, published_at, dashboard_data.as_of, tables)
    with storage_failures("quicksight_manifest"):
        published = publish_datasets(store, tables, dashboard_data.as_of, lineage=(key, record))
    verdict = manifests_verdict(store, published)
    refreshes = quicksight.refresh(list(DATASETS))
    for name, refresh in refreshes.items():
        if refresh.status == "failed":
            context.log.warning(f"QuickSight refresh of {name} failed (the published data stands): {refresh.reason}")
    return dg.MaterializeResult(
        metadata=publish_metadata(store, published, refreshes, key, kpi_real_share(tables)),
        check_results=[check_result("manifest_valid", verdict, f"as of {dashboard_data.as_of:%Y-%m-%d}")],
    )
