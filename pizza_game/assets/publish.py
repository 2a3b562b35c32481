"""Publishing: the QuickSight manifest over the recent dashboard data, then a dataset refresh."""

import json
from importlib.metadata import PackageNotFoundError, version

import dagster as dg
import pandas as pd

from pizza_game.assets.checks import MANIFEST_VALID, check_result
from pizza_game.assets.raw import GROUP, OWNERS
from pizza_game.quality import Verdict, manifest_verdict
from pizza_game.quicksight.manifest import LOCAL_SCHEMES, URI_SCHEMES
from pizza_game.quicksight.publish import build_dashboard_manifest, lineage_key
from pizza_game.resources import QuickSightResource
from pizza_game.storage import layout
from pizza_game.storage.codecs import JSON_TYPE, to_json
from pizza_game.storage.io_manager import Stamped
from pizza_game.storage.resource import StorageResource
from pizza_game.storage.store import LocalStore, ObjectStore


def code_version() -> str:
    try:
        return version("pizza-game")
    except PackageNotFoundError:
        return "unknown (not installed)"


@dg.asset(
    ins={"dashboard_data": dg.AssetIn()},
    group_name=GROUP,
    kinds={"quicksight", "json", "s3"},
    owners=OWNERS,
    check_specs=[MANIFEST_VALID],
)
def quicksight_manifest(
    context: dg.AssetExecutionContext,
    dashboard_data: Stamped,
    storage: StorageResource,
    quicksight: QuickSightResource,
) -> dg.MaterializeResult:
    """quicksight-ready/metadata/manifest.json: the QuickSight S3 manifest listing the dashboard
    data of the last 30 days, a lineage record of this publish beside it, then (when configured)
    a dataset refresh within the daily quota. A failed refresh warns; it does not fail the data.

    The manifest is written here rather than by the IO manager so the refresh follows the write.
    """
    store = storage.store()
    manifest = build_dashboard_manifest(store, dashboard_data.stamp)
    manifest_bytes = to_json(manifest.document)
    store.put(layout.MANIFEST_KEY, manifest_bytes, JSON_TYPE)
    published_at = pd.Timestamp.now(tz="UTC")
    records = dashboard_data.value
    kpis = {r["metric"]: r["value"] for r in records if r.get("record_type") == "kpi"}
    lineage = {
        "run_id": context.run.run_id,
        "published_at": published_at,
        "code_version": code_version(),
        "manifest": store.uri(layout.MANIFEST_KEY),
        "dashboard_day": dashboard_data.stamp,
        "dashboard_rows": len(records),
        "orders": kpis.get("orders"),
        "real_share": kpis.get("real_share"),
        "mock_share": None if kpis.get("real_share") is None else 1.0 - kpis["real_share"],
        "upstream_keys": manifest.keys,
    }
    store.put(lineage_key(published_at, context.run.run_id), to_json(lineage), JSON_TYPE)
    verdict = written_manifest_verdict(store)
    refresh = quicksight.refresh(store)
    if refresh.status == "failed":
        context.log.warning(f"QuickSight refresh failed (the published data stands): {refresh.reason}")
    return dg.MaterializeResult(
        metadata={
            "storage_uri": dg.MetadataValue.path(store.uri(layout.MANIFEST_KEY)),
            "files": dg.MetadataValue.int(len(manifest.keys)),
            "rolling_days": dg.MetadataValue.int(manifest.days),
            "lineage_record": dg.MetadataValue.path(store.uri(lineage_key(published_at, context.run.run_id))),
            "refresh_status": dg.MetadataValue.text(refresh.status),
            "refresh_reason": dg.MetadataValue.text(refresh.reason),
            "refreshes_today": dg.MetadataValue.int(refresh.refreshes_today),
            "manifest": dg.MetadataValue.json(manifest.document),
            "time_range": dg.MetadataValue.text(f"{_day(manifest.keys[0])} – {_day(manifest.keys[-1])} (dashboard days listed)"),
            "dagster/row_count": dg.MetadataValue.int(len(records)),
            "real_share": dg.MetadataValue.float(kpis.get("real_share") or 0.0),
            "mock_share": dg.MetadataValue.float(lineage["mock_share"] or 0.0),
            "preview": dg.MetadataValue.md("\n".join(f"- `{store.uri(key)}`" for key in manifest.keys[-5:])),
        },
        check_results=[
            check_result("manifest_valid", verdict, f"{manifest.days} days ending {dashboard_data.stamp:%Y-%m-%d}")
        ],
    )


def _day(key: str) -> str:
    """The day of a dashboard-data key (``.../YYYY/MM/DD/...``)."""
    return "-".join(key.split("/")[-4:-1])


def written_manifest_verdict(store: ObjectStore) -> Verdict:
    """The manifest as stored (read back, not as built): valid, and every listed file present."""
    document = json.loads(store.get(layout.MANIFEST_KEY))
    root = store.uri("").rstrip("/") + "/"
    listed = [uri for loc in document.get("fileLocations", []) if isinstance(loc, dict) for uri in loc.get("URIs", [])]
    missing = [uri for uri in listed if not (uri.startswith(root) and store.exists(uri[len(root):]))]
    schemes = LOCAL_SCHEMES if isinstance(store, LocalStore) else URI_SCHEMES
    return manifest_verdict(document, schemes=schemes, missing_files=missing)
