"""What the two raw assets share: their settings, the guard against long ranges, the collection
with its fallbacks, and where a run's metadata goes."""

from collections.abc import Callable, Sequence
from typing import Any

import dagster as dg
import pandas as pd

from pizza_game.assets.common import GROUP, OWNERS
from pizza_game.collectors.collect import Collected, NoDataError, fill_partitions
from pizza_game.model import RawPartition, Span
from pizza_game.partitions import refusal
from pizza_game.resources.mock_data import MockDataResource
from pizza_game.resources.raw_partitions import RAW_IO
from pizza_game.resources.storage import StorageResource, storage_failures
from pizza_game.schema import empty_matches, empty_orders
from pizza_game.storage.partitioned import RawStore

# The API clients already retry each request; this retries the whole step later (e.g. after an
# outage), with growing, jittered delays.
COLLECTOR_RETRY = dg.RetryPolicy(max_retries=2, delay=30, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.FULL)


def raw_asset(partitions_def: dg.TimeWindowPartitionsDefinition, check_specs: Sequence[dg.AssetCheckSpec]):
    """The decorator of a raw asset: one single-run backfill per range, stored by the raw IO manager."""
    return dg.asset(
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        group_name=GROUP,
        kinds={"python", "json"},
        owners=OWNERS,
        retry_policy=COLLECTOR_RETRY,
        io_manager_key=RAW_IO,
        check_specs=check_specs,
    )


def refuse_long_ranges(context: dg.AssetExecutionContext, asset: str, partitions_def: dg.TimeWindowPartitionsDefinition) -> None:
    """Fails the run at once, without retries, when its range is longer than PIZZA_GAME_MAX_RUN_DAYS."""
    keys = context.partition_key_range
    try:
        why = refusal(f"{asset}: this run", partitions_def, keys.start, keys.end)
    except ValueError as error:
        why = str(error)
    if why:
        raise dg.Failure(description=why, allow_retries=False)


def range_metadata(context: dg.AssetExecutionContext, metadata: dict[str, Any]) -> None:
    """The run's metadata, about its whole range, on the materialization of its last partition.

    Dagster records one materialization per partition; metadata given for the asset is copied
    into each, and a range of thousands of hours then stores its summary thousands of times. The
    other partitions' events carry none: the UI marks them materialized by the event itself, and
    the latest materialization (what the UI, the runner and the volume check read) is the last
    partition's.
    """
    context.add_asset_metadata(metadata, partition_key=context.partition_keys[-1])


def batch_rows(batch: dict[str, RawPartition]) -> pd.DataFrame:
    """Every row of a batch in one table (the canonical columns even when there are none)."""
    parts = [p.rows for p in batch.values() if len(p.rows)]
    return pd.concat(parts, ignore_index=True) if parts else next(iter(batch.values())).rows


def collect(
    context: dg.AssetExecutionContext,
    storage: StorageResource,
    asset: str,
    spans: list[Span],
    collected: Collected,
    mock_data: MockDataResource,
    generate: Callable[[list[Span], str], dict[str, RawPartition]],
) -> dict[str, RawPartition]:
    """The run's partitions: collected from the API, else imported real ones, else generated
    (when the fallback allows it); fails the run when the API broke and the fallback is off."""
    _report_api(context, asset, collected, mock_data)
    with storage_failures(asset):
        imported = {} if collected.partitions else RawStore(storage.store(), asset).read_many(spans, sources=("real",))
    try:
        batch = fill_partitions(
            spans,
            collected=collected.partitions,
            imported=imported,
            generate=generate,
            empty_rows=empty_orders if asset == "raw_orders" else empty_matches,
            fallback=mock_data.fallback,
            reason=collected.reason,
        )
    except NoDataError as error:
        # Only an API that could not answer is worth retrying; a refusal or a missing key is not.
        raise dg.Failure(description=str(error), allow_retries=collected.transient) from None
    real = sum(p.is_real_data for p in batch.values())
    missing = sum(p.missing for p in batch.values())
    context.log.info(f"{asset}: {len(batch)} partition(s): {real} real, {len(batch) - real - missing} mock, {missing} missing")
    return batch


def _report_api(context: dg.AssetExecutionContext, asset: str, collected: Collected, mock_data: MockDataResource) -> None:
    """Logs why no real data came from the API; fails the run when it broke and the fallback is off."""
    if collected.broken and not mock_data.fallback_on_api_errors:
        raise dg.Failure(
            description=f"{asset}: the API failed ({collected.reason}); fix it, or set "
            "PIZZA_GAME_FALLBACK=on to use other data meanwhile",
            allow_retries=False,
        )
    if collected.broken:
        context.log.warning(f"{asset}: the API failed, falling back (PIZZA_GAME_FALLBACK=on): {collected.reason}")
    elif collected.reason:
        context.log.info(f"{asset}: no real data from an API ({collected.reason})")
