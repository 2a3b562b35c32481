"""The freshness checks: is the pipeline keeping up? They look at storage (the newest stored hour,
the newest publish's lineage record), not at a run's data, and run on freshness_schedule."""

import dagster as dg
import pandas as pd

from pizza_game.assets.checks import check_result
from pizza_game.partition_keys import HOUR, partition_spans
from pizza_game.partitions import hourly_partitions
from pizza_game.quality import freshness_verdict
from pizza_game.resources.storage import StorageResource
from pizza_game.schema import SOURCES
from pizza_game.storage import layout
from pizza_game.storage.lookup import existing, newest_day
from pizza_game.storage.partitioned import RawStore
from pizza_game.storage.store import ObjectStore

# The newest hour of orders may be this old: the hour ends, the schedule runs on the hour, plus slack.
ORDERS_MAX_AGE = pd.Timedelta(minutes=90)
PUBLISH_MAX_AGE = pd.Timedelta(hours=2)

RAW_ORDERS = dg.AssetKey("raw_orders")
QUICKSIGHT_MANIFEST = dg.AssetKey("quicksight_manifest")


def newest_stored_hour(store: ObjectStore, keys: list[str]) -> str | None:
    """The newest of the hourly partition ``keys`` stored (any source), from storage."""
    raw = RawStore(store, "raw_orders")
    keys_of = {raw.key(source, s): s.key for s in partition_spans(keys) for source in SOURCES}
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
    newest = newest_day(store, layout.LINEAGE_PREFIX)
    keys = store.list(layout.day_folder(layout.LINEAGE_PREFIX, newest)) if newest is not None else []
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
