"""raw_orders: pizza orders per hour, as collected."""

import dagster as dg

from pizza_game.assets.checks import partitions_text, reference_keys, stored_order_hours
from pizza_game.assets.raw import batch_rows, collect, range_metadata, raw_asset, refuse_long_ranges
from pizza_game.assets.raw_checks import ORDER_CHECKS, order_check_results
from pizza_game.assets.raw_metadata import raw_metadata
from pizza_game.collectors.collect import mock_orders, real_orders
from pizza_game.partition_keys import partition_spans
from pizza_game.partitions import hourly_partitions
from pizza_game.quality import volumes_by_bucket
from pizza_game.resources.dominos_orders import DominosOrdersResource
from pizza_game.resources.mock_data import MockDataResource
from pizza_game.resources.storage import StorageResource, storage_failures

# Metadata: [orders, hours] per hour of day, what the typical_volume check compares runs by.
VOLUMES_BY_HOUR = "orders_by_hour_of_day"


@raw_asset(hourly_partitions, ORDER_CHECKS)
def raw_orders(
    context: dg.AssetExecutionContext,
    storage: StorageResource,
    dominos_orders: DominosOrdersResource,
    mock_data: MockDataResource,
):  # see VALUE_WITH_CHECKS
    """Pizza orders per hour (canonical: order_id, ordered_at UTC, store, region, items, total, source).

    From the orders API when DOMINOS_API_URL and DOMINOS_API_KEY are set; else real orders imported
    with `pizza-game import orders`; else (fallback on) generated orders labelled mock.
    """
    refuse_long_ranges(context, "raw_orders", hourly_partitions)
    spans = partition_spans(context.partition_keys)
    batch = collect(
        context,
        storage,
        "raw_orders",
        spans,
        real_orders(dominos_orders.client, spans),
        mock_data,
        lambda run, why: mock_orders(run, seed=mock_data.seed, reason=why),
    )
    rows = batch_rows(batch)
    # A missing hour is unknown, not zero orders: it does not count towards the volume.
    volumes = volumes_by_bucket((f"{s.start:%H}", len(batch[s.key].rows)) for s in spans if not batch[s.key].missing)
    with storage_failures("raw_orders"):
        history = stored_order_hours(storage.store(), reference_keys(hourly_partitions, spans[0].key, "h"))
    metadata = raw_metadata(batch, rows, spans, "ordered_at")
    range_metadata(context, {**metadata, VOLUMES_BY_HOUR: dg.MetadataValue.json(volumes)})
    return dg.MaterializeResult(
        value=batch,
        check_results=order_check_results(batch, rows, volumes, history, partitions_text(context.partition_keys)),
    )
