"""Asset checks: declared on the assets they judge, evaluated in the same step as the data.

A run may cover a range of partitions (single-run backfills), and Dagster records a check
evaluated in such a run once, for the run, not per partition. So every check judges everything
the materialization wrote, the whole range at once (ids unique across the range, the volume of
the range against the volume typical for the same hours of day), and names the range it judged
in its metadata (``partitions``). The typical volume is taken from the stored partitions before
the range. The freshness checks are separate: they look at storage (the newest stored hour, the
newest publish's lineage record), not at a run's data, and run on freshness_schedule.
"""

from collections.abc import Callable
from typing import Any

import dagster as dg
import pandas as pd

from pizza_game import settings
from pizza_game.model import MergedDay
from pizza_game.partition_keys import HOUR, partition_spans
from pizza_game.partitions import hourly_partitions
from pizza_game.quality import Verdict, Volumes, freshness_verdict
from pizza_game.resources.storage import StorageResource
from pizza_game.schema import SOURCES
from pizza_game.storage import layout
from pizza_game.storage.layout import LINEAGE_PREFIX
from pizza_game.storage.lookup import existing, newest_day
from pizza_game.storage.partitioned import MergedStore, RawStore
from pizza_game.storage.store import ObjectStore

# VALUE_WITH_CHECKS: an asset with check_specs that returns MaterializeResult(value=...) carries no
# `-> dg.MaterializeResult` annotation: with check specs, Dagster 1.13 reads that annotation as an
# output of type Nothing and rejects the value.
MIN_REAL_SHARE = float(settings.setting(settings.PIZZA_GAME_MIN_REAL_SHARE))
VOLUME_TOLERANCE = 3.0
# How far back the typical volume looks: a week of hours, four weeks of days.
HISTORY = {"h": 7 * 24, "D": 28}
# The newest hour of orders may be this old: the hour ends, the schedule runs on the hour, plus slack.
ORDERS_MAX_AGE = pd.Timedelta(minutes=90)
PUBLISH_MAX_AGE = pd.Timedelta(hours=2)

RAW_ORDERS = dg.AssetKey("raw_orders")
QUICKSIGHT_MANIFEST = dg.AssetKey("quicksight_manifest")


def schema_spec(asset: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec("schema", asset=asset, description="Every canonical column is present with its type, and no other.")


def unique_ids_spec(asset: str, id_column: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        f"unique_{id_column}s", asset=asset, description=f"No {id_column} appears twice across the partitions written."
    )


def real_share_spec(asset: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        "real_share",
        asset=asset,
        description=f"Warns when less than {MIN_REAL_SHARE:.0%} of the rows are real data "
        f"(${settings.PIZZA_GAME_MIN_REAL_SHARE}).",
    )


def typical_volume_spec(asset: str, what: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        "typical_volume",
        asset=asset,
        description=f"Warns when {what} differ more than {VOLUME_TOLERANCE:g}x from the median of recent "
        "materializations (compared slot by slot, so night hours meet night hours).",
    )


MANIFEST_VALID = dg.AssetCheckSpec(
    "manifest_valid",
    asset="quicksight_manifest",
    description="Every dataset's manifest as written is a valid QuickSight manifest and every file it lists exists.",
)


def check_result(
    name: str,
    verdict: Verdict,
    partitions: str,
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR,
) -> dg.AssetCheckResult:
    """The result of check ``name`` from a verdict; ``partitions`` says which partitions it judged."""
    return dg.AssetCheckResult(
        check_name=name,
        passed=verdict.passed,
        severity=severity,
        description=verdict.description,
        metadata={**{k: _metadata_value(v) for k, v in verdict.metadata.items()}, "partitions": partitions},
    )


def _metadata_value(value: object) -> Any:
    return dg.MetadataValue.json(value) if isinstance(value, (list, dict)) else value


def partitions_text(keys: list[str]) -> str:
    return keys[0] if len(keys) == 1 else f"{keys[0]} to {keys[-1]} ({len(keys):,} partitions)"


def reference_keys(partitions_def: dg.TimeWindowPartitionsDefinition, first_key: str, unit: str) -> list[str]:
    """The partition keys just before ``first_key`` that the typical volume is taken from."""
    start = pd.Timestamp(partitions_def.time_window_for_partition_key(first_key).start).tz_convert("UTC")
    earliest = pd.Timestamp(partitions_def.start).tz_convert("UTC")
    before = pd.date_range(end=start, periods=HISTORY[unit] + 1, freq=unit, inclusive="left")
    return [t.strftime(partitions_def.fmt) for t in before if t >= earliest]


def stored_order_hours(store: ObjectStore, keys: list[str]) -> list[Volumes]:
    """The typical-volume history from storage: per stored hour of ``keys``, its orders at its
    hour of day (a missing hour is unknown, not zero orders). Storage, not the Dagster instance,
    so a fresh instance (a Lambda cold start) compares with the same history."""
    parts = RawStore(store, "raw_orders").read_many(partition_spans(keys))
    return [{f"{w.start:%H}": [float(len(p.rows)), 1.0]} for w in partition_spans(keys) if (p := parts.get(w.key)) and not p.missing]


def stored_order_days(store: ObjectStore, keys: list[str], daily_orders: Callable[[MergedDay], float]) -> list[Volumes]:
    """The same for merged days: per stored day of ``keys``, ``daily_orders`` at its weekday."""
    days = MergedStore(store).read_days(w.start for w in partition_spans(keys))
    return [{f"{day.day:%A}": [daily_orders(day), 1.0]} for day in days]


def newest_stored_hour(store: ObjectStore, keys: list[str]) -> str | None:
    """The newest of the hourly partition ``keys`` stored (any source), from storage."""
    raw = RawStore(store, "raw_orders")
    keys_of = {raw.key(source, w): w.key for w in partition_spans(keys) for source in SOURCES}
    return max((keys_of[k] for k in existing(store, keys_of)), default=None)


@dg.asset_check(
    asset=RAW_ORDERS,
    name="orders_fresh",
    description=f"The newest hour of orders collected ended at most {ORDERS_MAX_AGE.total_seconds() / 60:.0f} "
    "minutes ago: the hourly pipeline is keeping up.",
)
def orders_fresh(context: dg.AssetCheckExecutionContext, storage: StorageResource) -> dg.AssetCheckResult:
    now = pd.Timestamp.now(tz="UTC")
    recent = pd.date_range(end=now.floor("h") - HOUR, periods=24, freq="h")
    keys = [t.strftime(hourly_partitions.fmt) for t in recent]
    newest = newest_stored_hour(storage.store(), keys)
    as_of = pd.Timestamp(hourly_partitions.time_window_for_partition_key(newest).end).tz_convert("UTC") if newest else None
    verdict = freshness_verdict(
        as_of,
        now=now,
        max_age=ORDERS_MAX_AGE,
        what="The newest hour of orders collected",
        missing="No hour of orders of the last 24 hours has been collected.",
    )
    return check_result("orders_fresh", verdict, newest or "none in the last 24 hours")


@dg.asset_check(
    asset=QUICKSIGHT_MANIFEST,
    name="published_recently",
    description=f"The QuickSight manifest was published at most {PUBLISH_MAX_AGE.total_seconds() / 3600:.0f} hours ago.",
)
def published_recently(context: dg.AssetCheckExecutionContext, storage: StorageResource) -> dg.AssetCheckResult:
    # Every publish writes one lineage record, named by the time it published (quicksight/publish.py).
    store = storage.store()
    newest = newest_day(store, LINEAGE_PREFIX)
    keys = store.list(f"{LINEAGE_PREFIX}/{newest:%Y/%m/%d}/") if newest is not None else []
    parsed = [p for key in keys if (p := layout.parse_dated(key))]
    as_of = pd.Timestamp(max(p[1] for p in parsed)) if parsed else None
    verdict = freshness_verdict(
        as_of,
        now=pd.Timestamp.now(tz="UTC"),
        max_age=PUBLISH_MAX_AGE,
        what="The published QuickSight manifest",
        missing="The QuickSight manifest has never been published.",
    )
    return check_result("published_recently", verdict, "unpartitioned")


FRESHNESS_CHECKS = [orders_fresh, published_recently]
