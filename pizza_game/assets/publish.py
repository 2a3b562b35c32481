"""Publishing: the QuickSight datasets, their manifests, then a refresh of each dataset."""

import json
from importlib.metadata import PackageNotFoundError, version

import dagster as dg
import pandas as pd

from pizza_game.assets.checks import MANIFEST_VALID, check_result
from pizza_game.assets.common import GROUP, OWNERS
from pizza_game.model import Stamped
from pizza_game.quality import Verdict, manifest_verdict
from pizza_game.quicksight.datasets import DATASETS, PRIMARY, build_datasets
from pizza_game.quicksight.manifest import LOCAL_SCHEMES, URI_SCHEMES
from pizza_game.quicksight.publish import lineage_key, listed_uris, publish_datasets
from pizza_game.quicksight.refresh import RefreshResult
from pizza_game.resources.quicksight import QuickSightResource
from pizza_game.resources.storage import StorageResource, storage_failures
from pizza_game.storage.store import LocalStore, ObjectStore


def code_version() -> str:
    try:
        return version("pizza-game")
    except PackageNotFoundError:
        return "unknown (not installed)"


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
    if dashboard_data.stamp != correlation_summary.stamp:
        raise ValueError(
            f"dashboard_data ({dashboard_data.stamp:%Y-%m-%d}) and correlation_summary "
            f"({correlation_summary.stamp:%Y-%m-%d}) describe different days; materialize the analysis again"
        )
    store = storage.store()
    dashboard = pd.DataFrame(dashboard_data.value)
    for column in ("time", "kickoff_at", "window_end"):
        dashboard[column] = pd.to_datetime(dashboard[column], utc=True, format="ISO8601")
    tables = build_datasets(dashboard, correlation_summary.value, dashboard_data.stamp)
    published_at = pd.Timestamp.now(tz="UTC")
    kpi = tables["kpis"].iloc[0]
    real_share = None if pd.isna(kpi["real_share"]) else float(kpi["real_share"])
    record = {
        "run_id": context.run.run_id,
        "published_at": published_at,
        "code_version": code_version(),
        "as_of": dashboard_data.stamp,
        "rows": {name: len(table) for name, table in tables.items()},
        "orders": None if pd.isna(kpi["orders"]) else int(kpi["orders"]),
        "real_share": real_share,
        "mock_share": None if real_share is None else 1.0 - real_share,
    }
    key = lineage_key(published_at, context.run.run_id)
    with storage_failures("quicksight_manifest"):
        published = publish_datasets(store, tables, dashboard_data.stamp, lineage=(key, record))
    verdicts = {name: written_manifest_verdict(store, p.manifest_key) for name, p in published.items()}
    refreshes = quicksight.refresh(list(DATASETS))
    for name, refresh in refreshes.items():
        if refresh.status == "failed":
            context.log.warning(f"QuickSight refresh of {name} failed (the published data stands): {refresh.reason}")
    primary = published[PRIMARY]
    days = [uri.rsplit("/", 1)[-1][:8] for uri in primary.uris]
    failed = [f"{name}: {v.description}" for name, v in verdicts.items() if not v.passed]
    verdict = Verdict(
        not failed,
        "; ".join(failed) or f"{len(published)} valid manifests, every listed file present.",
        {name: v.metadata for name, v in verdicts.items()},
    )
    return dg.MaterializeResult(
        metadata={
            "storage_uri": dg.MetadataValue.path(store.uri(primary.manifest_key)),
            "manifests": dg.MetadataValue.json({name: store.uri(p.manifest_key) for name, p in published.items()}),
            "rows_published": dg.MetadataValue.json({name: p.rows_written for name, p in published.items()}),
            "files": dg.MetadataValue.json({name: len(p.uris) for name, p in published.items()}),
            "manifest_days": dg.MetadataValue.json({name: f"{p.last_day:%Y-%m-%d}" for name, p in published.items()}),
            "manifests_kept": dg.MetadataValue.json(sorted(name for name, p in published.items() if not p.moved)),
            "lineage_record": dg.MetadataValue.path(store.uri(key)),
            "refresh": dg.MetadataValue.json({name: refresh_metadata(r) for name, r in refreshes.items()}),
            "refresh_status": dg.MetadataValue.text(refresh_status(refreshes)),
            "manifest": dg.MetadataValue.json(primary.document),
            "time_range": dg.MetadataValue.text(
                f"{days[0][:4]}-{days[0][4:6]}-{days[0][6:]} – {days[-1][:4]}-{days[-1][4:6]}-{days[-1][6:]} (orders_hourly days listed)"
                if days else "no orders_hourly days listed"
            ),
            "dagster/row_count": dg.MetadataValue.int(sum(p.rows_written for p in published.values())),
            "real_share": dg.MetadataValue.float(real_share or 0.0),
            "mock_share": dg.MetadataValue.float(0.0 if real_share is None else 1.0 - real_share),
            "preview": dg.MetadataValue.md("\n".join(f"- `{uri}`" for uri in primary.uris[-5:])),
        },
        check_results=[check_result("manifest_valid", verdict, f"as of {dashboard_data.stamp:%Y-%m-%d}")],
    )


def refresh_metadata(result: RefreshResult) -> dict:
    return {
        "status": result.status,
        "reason": result.reason,
        "refreshes_24h": result.refreshes_24h,
        "quota": result.quota,
        **({"ingestion": result.ingestion} if result.ingestion else {}),
    }


def refresh_status(refreshes: dict[str, RefreshResult]) -> str:
    """One word when every dataset agrees, else each dataset's."""
    statuses = {r.status for r in refreshes.values()}
    return statuses.pop() if len(statuses) == 1 else ", ".join(f"{n}: {r.status}" for n, r in refreshes.items())


def written_manifest_verdict(store: ObjectStore, key: str) -> Verdict:
    """A manifest as stored (read back, not as built): valid, and every listed file present."""
    document = json.loads(store.get(key))
    root = store.uri("").rstrip("/") + "/"
    missing = [uri for uri in listed_uris(document) if not (uri.startswith(root) and store.exists(uri[len(root):]))]
    schemes = LOCAL_SCHEMES if isinstance(store, LocalStore) else URI_SCHEMES
    return manifest_verdict(document, schemes=schemes, missing_files=missing)
