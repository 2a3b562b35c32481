"""Asset checks: declared on the assets they judge, evaluated in the same step as the data.

A run may cover a range of partitions (single-run backfills), and Dagster records a check
evaluated in such a run once, for the run, not per partition. So every check judges everything
the materialization wrote, the whole range at once (ids unique across the range, the volume of
the range against the volume typical for the same hours of day), and names the range it judged
in its metadata (``partitions``). The typical volume is taken from the stored partitions before
the range. The freshness checks, which look at storage and not at a run's data, are in
freshness.py.
"""

from collections.abc import Callable
from typing import Any

import dagster as dg
import pandas as pd

from pizza_game import settings
from pizza_game.model import MergedDay
from pizza_game.partition_keys import partition_spans
from pizza_game.quality import Verdict, Volumes
from pizza_game.storage.partitioned import MergedStore, RawStore
from pizza_game.storage.store import ObjectStore

# VALUE_WITH_CHECKS: an asset with check_specs that returns MaterializeResult(value=...) carries no
# `-> dg.MaterializeResult` annotation: with check specs, Dagster 1.13 reads that annotation as an
# output of type Nothing and rejects the value.
MIN_REAL_SHARE = float(settings.setting(settings.PIZZA_GAME_MIN_REAL_SHARE))
VOLUME_TOLERANCE = 3.0
# How far back the typical volume looks: a week of hours, four weeks of days.
HISTORY = {"h": 7 * 24, "D": 28}


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
        "materializations (compared bucket by bucket, so night hours meet night hours).",
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
    return [{f"{s.start:%H}": [float(len(p.rows)), 1.0]} for s in partition_spans(keys) if (p := parts.get(s.key)) and not p.missing]


def stored_order_days(store: ObjectStore, keys: list[str], daily_orders: Callable[[MergedDay], float]) -> list[Volumes]:
    """The same for merged days: per stored day of ``keys``, ``daily_orders`` at its weekday."""
    days = MergedStore(store).read_days(s.start for s in partition_spans(keys))
    return [{f"{day.day:%A}": [daily_orders(day), 1.0]} for day in days]
