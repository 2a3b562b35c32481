"""Raw assets: pizza orders per hour and football matches per day, as collected."""

import dagster as dg

from pizza_game.assets.metadata import raw_metadata
from pizza_game.collectors.collect import (
    Collected,
    NoDataError,
    fill_partitions,
    mock_matches,
    mock_orders,
    real_matches,
    real_orders,
)
from pizza_game.collectors.raw import RawPartition, Window
from pizza_game.partitions import daily_partitions, hourly_partitions
from pizza_game.resources import FootballDataResource, MockDataResource, OrdersApiResource
from pizza_game.schema import empty_matches, empty_orders
from pizza_game.storage.io_manager import partition_windows
from pizza_game.storage.partitioned import RawStore
from pizza_game.storage.resource import StorageResource

OWNERS = ["team:pizza-game"]

# The API clients already retry each request; this retries the whole step later (e.g. after an
# outage), with growing, jittered delays.
COLLECTOR_RETRY = dg.RetryPolicy(max_retries=2, delay=30, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.FULL)


@dg.asset(
    partitions_def=hourly_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="raw",
    kinds={"python", "json"},
    owners=OWNERS,
    retry_policy=COLLECTOR_RETRY,
)
def raw_orders(
    context: dg.AssetExecutionContext,
    storage: StorageResource,
    orders_api: OrdersApiResource,
    mock_data: MockDataResource,
) -> dg.MaterializeResult:
    """Pizza orders per hour (canonical: order_id, ordered_at UTC, store, region, items, total, source).

    From the orders API when DOMINOS_API_URL and DOMINOS_API_KEY are set; else real orders imported
    with `pizza-game import orders`; else (fallback on) generated orders labelled mock.
    """
    windows = partition_windows(hourly_partitions, context.partition_keys)
    batch = _fill(
        context,
        storage,
        "raw_orders",
        windows,
        real_orders(orders_api.client, windows),
        mock_data,
        lambda run, why: mock_orders(run, seed=mock_data.seed, reason=why),
    )
    return dg.MaterializeResult(value=batch, metadata=raw_metadata(batch, "ordered_at"))


@dg.asset(
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="raw",
    kinds={"python", "json"},
    owners=OWNERS,
    retry_policy=COLLECTOR_RETRY,
)
def raw_matches(
    context: dg.AssetExecutionContext,
    storage: StorageResource,
    football_data: FootballDataResource,
    mock_data: MockDataResource,
) -> dg.MaterializeResult:
    """Football matches per kick-off day (canonical: teams, kick-off UTC, status, scores, source).

    From football-data.org v4 when FOOTBALL_API_KEY is set (the response bodies are kept as
    received); else real matches imported with `pizza-game import matches`; else (fallback on)
    a generated fixture list labelled mock.
    """
    windows = partition_windows(daily_partitions, context.partition_keys)
    batch = _fill(
        context,
        storage,
        "raw_matches",
        windows,
        real_matches(football_data.client, windows),
        mock_data,
        # The generated world is one league: the Premier League.
        lambda run, why: mock_matches(run, seed=mock_data.seed, competitions=["PL"], reason=why),
    )
    return dg.MaterializeResult(value=batch, metadata=raw_metadata(batch, "kickoff_at"))


def _fill(context, storage, asset, windows: list[Window], collected: Collected, mock_data, generate) -> dict[str, RawPartition]:
    if collected.refused:
        context.log.warning(f"{asset}: the API refused the request, falling back: {collected.reason}")
    elif collected.reason:
        context.log.info(f"{asset}: no real data from an API ({collected.reason})")
    imported = {} if collected.partitions else RawStore(storage.store(), asset).read_many(windows, sources=("real",))
    try:
        batch = fill_partitions(
            windows,
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
