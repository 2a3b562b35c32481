"""The merged dataset: each day's orders lined up against that day's match windows.

A range is merged four weeks at a time (analysis/raw_days.py) and each day written as soon as it
is merged: a season held at once, raw hours or merged days, was the peak memory of a run (issue 14).
"""

import dagster as dg

from pizza_game.analysis.raw_days import day_chunks, has_matches, merge_days, order_reach
from pizza_game.assets.checks import (
    partitions_text,
    real_share_spec,
    reference_keys,
    schema_spec,
    stored_order_days,
    typical_volume_spec,
)
from pizza_game.assets.common import GROUP, OWNERS
from pizza_game.assets.merged_summary import MergedSummary, daily_orders
from pizza_game.partition_keys import partition_spans
from pizza_game.partitions import daily_partitions
from pizza_game.progress import Progress
from pizza_game.resources.analysis_settings import AnalysisSettings
from pizza_game.resources.merged_days import MERGED_IO, MergedWritten
from pizza_game.resources.storage import StorageResource, storage_failures
from pizza_game.storage.partitioned import MergedStore
from pizza_game.storage.raw_range import RawRange

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
    raw_orders: RawRange,
    raw_matches: RawRange,
):  # see VALUE_WITH_CHECKS
    """Per day: orders per 15 minutes (national and per region) with match windows overlaid, and
    the orders observed in every window of every match that kicked off that day, and the rows
    rejected on input in that day's own raw partitions, by reason (coverage "rejected")."""
    days = partition_spans(context.partition_keys)
    with storage_failures("merged_dataset"):
        # Days before the run's first: read before this run writes anything.
        history = stored_order_days(storage.store(), reference_keys(daily_partitions, days[0].key, "D"), daily_orders)
    windows, summary, written = analysis_settings.windows(), MergedSummary(), MergedWritten()
    merged_store = MergedStore(storage.store())
    progress = Progress("merged_dataset: days merged and written", len(days), context.log.info)
    for chunk in day_chunks(days):
        with storage_failures("raw_orders"):
            orders = raw_orders.read(*order_reach(chunk))
        with storage_failures("raw_matches"):
            matches = raw_matches.read(chunk[0].start, chunk[-1].end)
        for day in chunk:
            if not has_matches(matches, day.key):
                context.log.warning(f"merged_dataset {day.key}: raw_matches has no data for this day")
        for day, merged in zip(chunk, merge_days(chunk, orders, matches, windows), strict=True):
            with storage_failures("merged_dataset"):
                written.write(merged_store, merged)
            summary.add(day.key, merged)
            progress.advance()
    return summary.result(written, history, partitions_text(context.partition_keys))
