"""Raw assets: pizza orders per hour and football matches per day, as collected."""


import dagster as dg

from pizza_game.assets.metadata import raw_metadata
from pizza_game.collectors.collect import fill_partitions, mock_matches, mock_orders
from pizza_game.collectors.raw import RawPartition
from pizza_game.partitions import daily_partitions, hourly_partitions
from pizza_game.resources import MockDataResource
from pizza_game.storage.io_manager import partition_windows
from pizza_game.storage.partitioned import RawStore
from pizza_game.storage.resource import StorageResource

OWNERS = ["team:pizza-game"]

# Collectors call rate-limited APIs: retry a failed step later, with growing, jittered delays.
COLLECTOR_RETRY = dg.RetryPolicy(max_retries=3, delay=10, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.FULL)

NO_API = "no API configured"


@dg.asset(
    partitions_def=hourly_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="raw",
    kinds={"python", "json"},
    owners=OWNERS,
    retry_policy=COLLECTOR_RETRY,
)
def raw_orders(
    context: dg.AssetExecutionContext, storage: StorageResource, mock_data: MockDataResource
) -> dg.MaterializeResult:
    """Pizza orders per hour (canonical: order_id, ordered_at UTC, store, region, items, total, source).

    Real orders come from the orders API or from files imported with `pizza-game import orders`;
    hours without real data are generated (labelled mock) when the fallback is on.
    """
    windows = partition_windows(hourly_partitions, context.partition_keys)
    batch = _fill(context, storage, "raw_orders", windows, mock_data, lambda run, why: mock_orders(run, seed=mock_data.seed, reason=why))
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
    context: dg.AssetExecutionContext, storage: StorageResource, mock_data: MockDataResource
) -> dg.MaterializeResult:
    """Football matches per kick-off day (canonical: teams, kick-off UTC, status, scores, source).

    Real matches come from football-data.org v4 or from `pizza-game import matches`; days without
    real data are generated (labelled mock) when the fallback is on.
    """
    windows = partition_windows(daily_partitions, context.partition_keys)
    batch = _fill(
        context, storage, "raw_matches", windows, mock_data,
        lambda run, why: mock_matches(run, seed=mock_data.seed, competitions=["PL"], reason=why),
    )
    return dg.MaterializeResult(value=batch, metadata=raw_metadata(batch, "kickoff_at"))


def _fill(context, storage, asset, windows, mock_data, generate) -> dict[str, RawPartition]:
    imported = RawStore(storage.store(), asset).read_many(windows, sources=("real",))
    batch = fill_partitions(
        windows, collected={}, imported=imported, generate=generate, fallback=mock_data.fallback, reason=NO_API
    )
    real = sum(p.source == "real" for p in batch.values())
    context.log.info(f"{asset}: {len(batch)} partition(s), {real} real, {len(batch) - real} mock")
    return batch
