"""The IO manager of the raw assets (raw_orders, raw_matches): one object per partition.

Also when a run covers a range of partitions (single-run backfills). Read back as a RawRange,
which decodes the partitions a consumer asks for when it asks (a season at once does not fit).
"""

from __future__ import annotations

import dagster as dg

from pizza_game.model import RawPartition
from pizza_game.partition_keys import partition_spans
from pizza_game.progress import Progress
from pizza_game.resources.storage import StorageResource, storage_failures
from pizza_game.resources.written import record_written
from pizza_game.storage.partitioned import RawStore
from pizza_game.storage.raw_range import RawRange

RAW_IO = "raw_partitions_io_manager"


class RawPartitionsIOManager(dg.ConfigurableIOManager):
    """Raw partitions at their layout keys, under the storage resource's root (local or S3)."""

    storage: StorageResource

    def handle_output(self, context: dg.OutputContext, obj: dict[str, RawPartition]) -> None:
        asset = context.asset_key.path[-1]
        with storage_failures(asset):
            spans = partition_spans(list(context.asset_partition_keys))
            missing = [s.key for s in spans if s.key not in obj]
            if missing:
                raise dg.DagsterInvariantViolationError(f"{asset} produced no data for partitions {missing[:5]}")
            progress = Progress(f"{asset}: partitions written", len(spans), context.log.info)
            written = RawStore(self.storage.store(), asset).write_many(spans, obj, progress)
            record_written(context, self.storage.store(), written)

    def load_input(self, context: dg.InputContext) -> RawRange:
        asset = context.asset_key.path[-1]
        return RawRange(RawStore(self.storage.store(), asset), partition_spans(list(context.asset_partition_keys)))
