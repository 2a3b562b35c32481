"""What quicksight_manifest reports: the manifests as written and judged, the refreshes."""

from __future__ import annotations

import json
from typing import Any

import dagster as dg

from pizza_game.quality import Verdict, manifest_verdict
from pizza_game.quicksight.datasets import PRIMARY
from pizza_game.quicksight.manifest import LOCAL_SCHEMES, URI_SCHEMES
from pizza_game.quicksight.publish import Published, listed_uris, uri_day
from pizza_game.quicksight.refresh import RefreshResult
from pizza_game.storage.store import LocalStore, ObjectStore


def publish_metadata(
    store: ObjectStore,
    published: dict[str, Published],
    refreshes: dict[str, RefreshResult],
    lineage_key: str,
    real_share: float | None,
) -> dict[str, Any]:
    """The metadata of a publish: where each manifest is, what it lists, how the refreshes went."""
    primary = published[PRIMARY]
    days = [day for uri in primary.uris if (day := uri_day(uri)) is not None]
    return {
        "storage_uri": dg.MetadataValue.path(store.uri(primary.manifest_key)),
        "manifests": dg.MetadataValue.json({name: store.uri(p.manifest_key) for name, p in published.items()}),
        "rows_published": dg.MetadataValue.json({name: p.rows_written for name, p in published.items()}),
        "files": dg.MetadataValue.json({name: len(p.uris) for name, p in published.items()}),
        "manifest_days": dg.MetadataValue.json({name: f"{p.last_day:%Y-%m-%d}" for name, p in published.items()}),
        "manifests_kept": dg.MetadataValue.json(sorted(name for name, p in published.items() if not p.moved)),
        "lineage_record": dg.MetadataValue.path(store.uri(lineage_key)),
        "refresh": dg.MetadataValue.json({name: refresh_metadata(r) for name, r in refreshes.items()}),
        "refresh_status": dg.MetadataValue.text(refresh_status(refreshes)),
        "manifest": dg.MetadataValue.json(primary.document),
        "time_range": dg.MetadataValue.text(
            f"{days[0]:%Y-%m-%d} – {days[-1]:%Y-%m-%d} (orders_hourly days listed)"
            if days else "no orders_hourly days listed"
        ),
        "dagster/row_count": dg.MetadataValue.int(sum(p.rows_written for p in published.values())),
        "real_share": dg.MetadataValue.float(real_share or 0.0),
        "mock_share": dg.MetadataValue.float(0.0 if real_share is None else 1.0 - real_share),
        "preview": dg.MetadataValue.md("\n".join(f"- `{uri}`" for uri in primary.uris[-5:])),
    }


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


def manifests_verdict(store: ObjectStore, published: dict[str, Published]) -> Verdict:
    """The manifest_valid check over every dataset's manifest as written."""
    verdicts = {name: written_manifest_verdict(store, p.manifest_key) for name, p in published.items()}
    failed = [f"{name}: {v.description}" for name, v in verdicts.items() if not v.passed]
    return Verdict(
        not failed,
        "; ".join(failed) or f"{len(published)} valid manifests, every listed file present.",
        {name: v.metadata for name, v in verdicts.items()},
    )


def written_manifest_verdict(store: ObjectStore, key: str) -> Verdict:
    """A manifest as stored (read back, not as built): valid, and every listed file present."""
    document = json.loads(store.get(key))
    root = store.uri("").rstrip("/") + "/"
    missing = [uri for uri in listed_uris(document) if not (uri.startswith(root) and store.exists(uri[len(root):]))]
    schemes = LOCAL_SCHEMES if isinstance(store, LocalStore) else URI_SCHEMES
    return manifest_verdict(document, schemes=schemes, missing_files=missing)
