"""The merged dataset: each day's orders lined up against that day's match windows."""

from collections import Counter

import dagster as dg
import numpy as np
import pandas as pd

from pizza_game.analysis.merge import ALL_REGIONS, merge_day
from pizza_game.assets.checks import (
    MIN_REAL_SHARE,
    VOLUME_TOLERANCE,
    check_result,
    partitions_text,
    real_share_spec,
    reference_keys,
    schema_spec,
    stored_order_days,
    typical_volume_spec,
)
from pizza_game.assets.metadata import preview
from pizza_game.assets.raw import GROUP, OWNERS
from pizza_game.model import SERIES_COLUMNS, MergedDay, RawPartition, to_ns
from pizza_game.partition_keys import partition_spans
from pizza_game.partitions import daily_partitions, hourly_partitions
from pizza_game.progress import Progress
from pizza_game.quality import (
    real_share_verdict,
    schema_verdict,
    typical_volume_verdict,
    volumes_by_slot,
)
from pizza_game.resources.analysis_settings import AnalysisSettings
from pizza_game.resources.merged_days import MERGED_IO
from pizza_game.resources.storage import StorageResource, storage_failures
from pizza_game.schema import empty_matches, empty_orders

# Metadata: [orders, days] per weekday, what the typical_volume check compares runs by.
VOLUMES_BY_WEEKDAY = "orders_by_weekday"

# Match windows cross midnight (up to 12 h either side by default), so day D reads the order hours
# of D-1, D and D+1. Hours that do not exist yet (the future) are simply not read.
ORDER_HOURS_AROUND_DAY = dg.TimeWindowPartitionMapping(
    start_offset=-1, end_offset=1, allow_nonexistent_upstream_partitions=True
)


@dg.asset(
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    ins={
        "raw_orders": dg.AssetIn(partition_mapping=ORDER_HOURS_AROUND_DAY),
        "raw_matches": dg.AssetIn(),
    },
    group_name=GROUP,
    kinds={"pandas", "csv", "json"},
    owners=OWNERS,
    io_manager_key=MERGED_IO,
    check_specs=[
        schema_spec("merged_dataset"),
        typical_volume_spec("merged_dataset", "the orders per day"),
        real_share_spec("merged_dataset"),
    ],
)
def merged_dataset(
    context: dg.AssetExecutionContext,
    analysis_settings: AnalysisSettings,
    storage: StorageResource,
    raw_orders: dict[str, RawPartition],
    raw_matches: dict[str, RawPartition],
):  # see VALUE_WITH_CHECKS
    """Per day: orders per 15 minutes (national and per region) with match windows overlaid, and
    the orders observed in every window of every match that kicked off that day, and the rows
    rejected on input in that day's own raw partitions, by reason (coverage "rejected")."""
    windows = analysis_settings.windows()
    orders, hours = _orders_and_hours(raw_orders)
    rejected_orders = _rejected_orders_by_day(raw_orders)
    order_ns = to_ns(orders["ordered_at"])
    out: dict[str, MergedDay] = {}
    days = partition_spans(context.partition_keys)
    progress = Progress("merged_dataset: days merged", len(days), context.log.info)
    for day in days:
        lo, hi = np.searchsorted(order_ns, [(day.start - pd.Timedelta(days=1)).value, (day.end + pd.Timedelta(days=1)).value])
        near_hours = hours[(hours >= day.start - pd.Timedelta(days=1)) & (hours < day.end + pd.Timedelta(days=1))]
        known = day.key in raw_matches and not raw_matches[day.key].missing
        matches = raw_matches[day.key].rows if known else empty_matches()
        if not known:
            context.log.warning(f"merged_dataset {day.key}: raw_matches has no data for this day")
        out[day.key] = merge_day(day.start, orders.iloc[lo:hi], matches, near_hours, windows)
        out[day.key].coverage["rejected"] = {
            "raw_orders": dict(sorted(rejected_orders.get(day.key, Counter()).items())),
            "raw_matches": _rejected_by_reason(raw_matches[day.key]) if known else {},
        }
        progress.advance()
    series = pd.concat([d.series for d in out.values()], ignore_index=True)
    national = series[(series["region"] == ALL_REGIONS) & series["covered"]]
    volumes = volumes_by_slot((f"{w.start:%A}", daily_orders(out[w.key])) for w in days)
    with storage_failures("merged_dataset"):
        history = stored_order_days(storage.store(), reference_keys(daily_partitions, days[0].key, "D"), daily_orders)
    total = float(national["orders"].sum())
    judged = partitions_text(context.partition_keys)
    return dg.MaterializeResult(
        value=out,
        metadata={**_metadata(out, series, national), VOLUMES_BY_WEEKDAY: dg.MetadataValue.json(volumes)},
        check_results=[
            check_result("schema", schema_verdict(series, SERIES_COLUMNS), judged),
            check_result(
                "typical_volume",
                typical_volume_verdict(volumes, history, tolerance=VOLUME_TOLERANCE, unit="orders"),
                judged,
                dg.AssetCheckSeverity.WARN,
            ),
            check_result(
                "real_share",
                real_share_verdict(float(national["real_orders"].sum()), total, MIN_REAL_SHARE, unit="orders"),
                judged,
                dg.AssetCheckSeverity.WARN,
            ),
        ],
    )


def daily_orders(day: MergedDay) -> float:
    """The day's orders: national, in the bins with order data (what typical_volume judges)."""
    series = day.series
    national = series[(series["region"] == ALL_REGIONS) & series["covered"] & (series["bin_start"].dt.floor("D") == day.day)]
    return float(national["orders"].sum())


def _orders_and_hours(raw_orders: dict[str, RawPartition]) -> tuple[pd.DataFrame, pd.DatetimeIndex]:
    parts = [p.rows for p in raw_orders.values() if len(p.rows)]
    orders = pd.concat(parts, ignore_index=True) if parts else empty_orders()
    orders = orders.sort_values("ordered_at", kind="stable", ignore_index=True)
    # A partition marked missing holds no knowledge of its hour: it is not an hour with data.
    starts = [hourly_partitions.time_window_for_partition_key(k).start for k, p in raw_orders.items() if not p.missing]
    return orders, pd.DatetimeIndex(sorted(starts)).tz_convert("UTC") if starts else pd.DatetimeIndex([], tz="UTC")


def _rejected_by_reason(part: RawPartition) -> dict[str, int]:
    return dict(sorted(Counter(part.rejected["reason"].astype(str)).items()))


def _rejected_orders_by_day(raw_orders: dict[str, RawPartition]) -> dict[str, Counter]:
    """Rejected order rows by reason, per UTC day of their hour partition. A merged day records
    those of its own 24 hours only (not the D-1 and D+1 hours it reads), so that summing days
    counts each rejected row once."""
    out: dict[str, Counter] = {}
    for key, part in raw_orders.items():
        if len(part.rejected):
            day = f"{hourly_partitions.time_window_for_partition_key(key).start:%Y-%m-%d}"
            out.setdefault(day, Counter()).update(_rejected_by_reason(part))
    return out


def _metadata(days: dict[str, MergedDay], series: pd.DataFrame, national_series: pd.DataFrame) -> dict:
    coverage = [d.coverage for d in days.values()]
    windows = pd.concat([d.windows for d in days.values()], ignore_index=True)
    national = windows[windows["region"] == ALL_REGIONS]
    orders = float(national_series["orders"].sum())
    real_share = float(national_series["real_orders"].sum()) / orders if orders else 0.0
    return {
        "days": dg.MetadataValue.int(len(days)),
        "orders": dg.MetadataValue.int(int(orders)),
        "real_share": dg.MetadataValue.float(real_share),
        "mock_share": dg.MetadataValue.float(1.0 - real_share if orders else 0.0),
        "matches": dg.MetadataValue.int(sum(c["matches"] for c in coverage)),
        "matches_analysable": dg.MetadataValue.int(sum(c["matches_analysable"] for c in coverage)),
        "matches_excluded": dg.MetadataValue.int(sum(c["matches_excluded"] for c in coverage)),
        "hours_missing": dg.MetadataValue.int(sum(len(c["hours_missing"]) for c in coverage)),
        "dagster/row_count": dg.MetadataValue.int(len(series)),
        "time_range": dg.MetadataValue.text(f"{min(days)} – {max(days)} (UTC days)"),
        "window_preview": preview(national[["match_id", "window", "start", "orders", "coverage"]], 8),
    }
