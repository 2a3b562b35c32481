"""Raw assets: pizza orders per hour and football matches per day, as collected."""

import dagster as dg
import pandas as pd

from pizza_game.assets.checks import (
    MIN_REAL_SHARE,
    VOLUME_TOLERANCE,
    check_result,
    partitions_text,
    real_share_spec,
    reference_keys,
    schema_spec,
    stored_order_hours,
    typical_volume_spec,
    unique_ids_spec,
)
from pizza_game.assets.metadata import raw_metadata, unknown_teams_metadata
from pizza_game.collectors.collect import (
    Collected,
    NoDataError,
    fill_partitions,
    mock_matches,
    mock_orders,
    real_matches,
    real_orders,
)
from pizza_game.model import RawPartition, Span
from pizza_game.partition_keys import partition_spans
from pizza_game.partitions import daily_partitions, hourly_partitions, refusal
from pizza_game.quality import (
    real_share_verdict,
    schema_verdict,
    typical_volume_verdict,
    unique_ids_verdict,
    volumes_by_slot,
)
from pizza_game.resources.football_data import FootballDataResource
from pizza_game.resources.mock_data import MockDataResource
from pizza_game.resources.orders_api import OrdersApiResource
from pizza_game.resources.raw_partitions import RAW_IO
from pizza_game.resources.storage import StorageResource, storage_failures
from pizza_game.schema import MATCH_COLUMNS, ORDER_COLUMNS, empty_matches, empty_orders
from pizza_game.storage.partitioned import RawStore

OWNERS = ["team:pizza-game"]
# One group for the whole graph: Dagster 1.13's lineage view draws several groups collapsed, so the
# nine assets show at first sight only when they share one. Kinds and descriptions tell them apart.
GROUP = "pizza_game"
# Metadata: [orders, hours] per hour of day, what the typical_volume check compares runs by.
VOLUMES_BY_HOUR = "orders_by_hour_of_day"

# The API clients already retry each request; this retries the whole step later (e.g. after an
# outage), with growing, jittered delays.
COLLECTOR_RETRY = dg.RetryPolicy(max_retries=2, delay=30, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.FULL)


@dg.asset(
    partitions_def=hourly_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name=GROUP,
    kinds={"python", "json"},
    owners=OWNERS,
    retry_policy=COLLECTOR_RETRY,
    io_manager_key=RAW_IO,
    check_specs=[
        schema_spec("raw_orders"),
        unique_ids_spec("raw_orders", "order_id"),
        typical_volume_spec("raw_orders", "the orders per hour"),
        real_share_spec("raw_orders"),
    ],
)
def raw_orders(
    context: dg.AssetExecutionContext,
    storage: StorageResource,
    orders_api: OrdersApiResource,
    mock_data: MockDataResource,
):  # see VALUE_WITH_CHECKS
    """Pizza orders per hour (canonical: order_id, ordered_at UTC, store, region, items, total, source).

    From the orders API when DOMINOS_API_URL and DOMINOS_API_KEY are set; else real orders imported
    with `pizza-game import orders`; else (fallback on) generated orders labelled mock.
    """
    _refuse_long_ranges(context, "raw_orders", hourly_partitions)
    windows = partition_spans(context.partition_keys)
    batch = _fill(
        context,
        storage,
        "raw_orders",
        windows,
        real_orders(orders_api.client, windows),
        mock_data,
        lambda run, why: mock_orders(run, seed=mock_data.seed, reason=why),
    )
    rows = _rows(batch)
    # A missing hour is unknown, not zero orders: it does not count towards the volume.
    volumes = volumes_by_slot((f"{w.start:%H}", len(batch[w.key].rows)) for w in windows if not batch[w.key].missing)
    with storage_failures("raw_orders"):
        history = stored_order_hours(storage.store(), reference_keys(hourly_partitions, windows[0].key, "h"))
    judged = partitions_text(context.partition_keys)
    _range_metadata(context, {**raw_metadata(batch, rows, windows, "ordered_at"), VOLUMES_BY_HOUR: dg.MetadataValue.json(volumes)})
    return dg.MaterializeResult(
        value=batch,
        check_results=[
            check_result("schema", schema_verdict(rows, ORDER_COLUMNS), judged),
            check_result("unique_order_ids", unique_ids_verdict(rows, "order_id"), judged),
            check_result(
                "typical_volume",
                typical_volume_verdict(volumes, history, tolerance=VOLUME_TOLERANCE, unit="orders"),
                judged,
                dg.AssetCheckSeverity.WARN,
            ),
            check_result("real_share", _real_share(batch, rows), judged, dg.AssetCheckSeverity.WARN),
        ],
    )


@dg.asset(
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name=GROUP,
    kinds={"python", "json"},
    owners=OWNERS,
    retry_policy=COLLECTOR_RETRY,
    io_manager_key=RAW_IO,
    check_specs=[
        schema_spec("raw_matches"),
        unique_ids_spec("raw_matches", "match_id"),
        real_share_spec("raw_matches"),
    ],
)
def raw_matches(
    context: dg.AssetExecutionContext,
    storage: StorageResource,
    football_data: FootballDataResource,
    mock_data: MockDataResource,
):  # see VALUE_WITH_CHECKS
    """Football matches per kick-off day (canonical: teams, kick-off UTC, status, scores, source).

    From football-data.org v4 when FOOTBALL_API_KEY is set (the response bodies are kept as
    received); else real matches imported with `pizza-game import matches`; else (fallback on)
    a generated fixture list labelled mock.
    """
    _refuse_long_ranges(context, "raw_matches", daily_partitions)
    windows = partition_spans(context.partition_keys)
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
    rows = _rows(batch)
    judged = partitions_text(context.partition_keys)
    _range_metadata(
        context, {**raw_metadata(batch, rows, windows, "kickoff_at"), **unknown_teams_metadata(rows)}
    )
    return dg.MaterializeResult(
        value=batch,
        check_results=[
            check_result("schema", schema_verdict(rows, MATCH_COLUMNS), judged),
            check_result("unique_match_ids", unique_ids_verdict(rows, "match_id"), judged),
            check_result("real_share", _real_share(batch, rows), judged, dg.AssetCheckSeverity.WARN),
        ],
    )


def _refuse_long_ranges(context: dg.AssetExecutionContext, asset: str, partitions_def) -> None:
    """Fails the run at once, without retries, when its range is longer than PIZZA_GAME_MAX_RUN_DAYS."""
    keys = context.partition_key_range
    try:
        why = refusal(f"{asset}: this run", partitions_def, keys.start, keys.end)
    except ValueError as error:
        why = str(error)
    if why:
        raise dg.Failure(description=why, allow_retries=False)


def _range_metadata(context: dg.AssetExecutionContext, metadata: dict) -> None:
    """The run's metadata, about its whole range, on the materialization of its last partition.

    Dagster records one materialization per partition; metadata given for the asset is copied
    into each, and a range of thousands of hours then stores its summary thousands of times. The
    other partitions' events carry none: the UI marks them materialized by the event itself, and
    the latest materialization (what the UI, the runner and the volume check read) is the last
    partition's.
    """
    context.add_asset_metadata(metadata, partition_key=context.partition_keys[-1])


def _rows(batch: dict[str, RawPartition]) -> pd.DataFrame:
    """Every row of a batch in one table (the canonical columns even when there are none)."""
    parts = [p.rows for p in batch.values() if len(p.rows)]
    return pd.concat(parts, ignore_index=True) if parts else next(iter(batch.values())).rows


def _real_share(batch: dict[str, RawPartition], rows: pd.DataFrame):
    """Real rows among the rows; without rows (a day without matches), real partitions among partitions."""
    if len(rows):
        real = sum(len(p.rows) for p in batch.values() if p.is_real_data)
        return real_share_verdict(real, len(rows), MIN_REAL_SHARE)
    with_data = [p for p in batch.values() if not p.missing]
    return real_share_verdict(sum(p.is_real_data for p in with_data), len(with_data), MIN_REAL_SHARE, unit="partitions")


def _fill(context, storage, asset, windows: list[Span], collected: Collected, mock_data, generate) -> dict[str, RawPartition]:
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
    with storage_failures(asset):
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
