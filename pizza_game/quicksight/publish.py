"""Publishing to QuickSight: the manifest over the recent dashboard data, and a lineage record.

QuickSight imports the files the manifest lists. It lists the dashboard-data JSON objects of a
rolling window of days (default 30) ending on the published day: only objects that exist, one
schema, at most 1,000 files and none over 1 GB (``build_manifest`` enforces the format and limits).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from pizza_game.quicksight.manifest import LOCAL_SCHEMES, URI_SCHEMES, build_manifest
from pizza_game.storage import layout
from pizza_game.storage.store import LocalStore, ObjectStore

ROLLING_DAYS = 30
LINEAGE_PREFIX = "quicksight-ready/metadata/lineage"
_DASHBOARD_JSON = re.compile(r"/(\d{8})_\d{6}_dashboard_data\.json$")


@dataclass(frozen=True)
class Manifest:
    document: dict
    keys: list[str]
    days: int


def dashboard_keys(store: ObjectStore, last_day: pd.Timestamp, days: int = ROLLING_DAYS) -> list[str]:
    """The dashboard-data JSON keys dated within the ``days`` days ending on ``last_day``."""
    first_day = last_day.normalize() - pd.Timedelta(days=days - 1)
    months = pd.period_range(first_day.tz_localize(None), last_day.tz_localize(None), freq="M")
    keys = []
    for month in months:
        for key in store.list(f"{layout.DASHBOARD_PREFIX}/{month.year:04d}/{month.month:02d}/"):
            match = _DASHBOARD_JSON.search(key)
            if match and first_day <= pd.Timestamp(match.group(1), tz="UTC") <= last_day:
                keys.append(key)
    return sorted(keys)


def build_dashboard_manifest(store: ObjectStore, last_day: pd.Timestamp, days: int = ROLLING_DAYS) -> Manifest:
    """The manifest of the recent dashboard data in ``store`` (file:// URIs for a local store)."""
    keys = dashboard_keys(store, last_day, days)
    if not keys:
        raise ValueError(f"no dashboard data in the {days} days ending {last_day:%Y-%m-%d}: materialize dashboard_data first")
    uris = [store.uri(key) for key in keys]
    sizes = {store.uri(key): store.size(key) for key in keys}
    schemes = LOCAL_SCHEMES if isinstance(store, LocalStore) else URI_SCHEMES
    document = build_manifest(uris, fmt="JSON", sizes=sizes, schemes=schemes)
    return Manifest(document=document, keys=keys, days=days)


def lineage_key(published_at: pd.Timestamp, run_id: str) -> str:
    """One record per publish, so every publish of the same day keeps its own record."""
    return f"{LINEAGE_PREFIX}/{published_at:%Y/%m/%d}/{published_at:%Y%m%d_%H%M%S}_{run_id[:8]}.json"
