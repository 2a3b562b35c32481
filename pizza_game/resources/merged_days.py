"""The IO manager of merged_dataset: one merged day per daily partition (MergedStore)."""

from __future__ import annotations

import dagster as dg

from pizza_game.model import MergedDay
from pizza_game.partition_keys import partition_spans
from pizza_game.progress import Progress
from pizza_game.resources.storage import StorageResource, storage_failures
from pizza_game.resources.written import record_written
from pizza_game.storage.partitioned import MergedStore

MERGED_IO = "merged_days_io_manager"


class MergedDaysIOManager(dg.ConfigurableIOManager):
    """Merged days at their layout keys, under the storage resource's root (local or S3)."""

    storage: StorageResource

    def handle_output(self, context: dg.OutputContext, obj: dict[str, MergedDay]) -> None:
        with storage_failures("merged_dataset"):
            merged = MergedStore(self.storage.store())
            keys = list(context.asset_partition_keys)
            progress = Progress("merged_dataset: days written", len(keys), context.log.info)
            written = []
            for key in keys:
                objects = merged.write(obj[key])
                written.extend([objects["json"], objects["csv"]])
                progress.advance()
            record_written(context, self.storage.store(), written)

    def load_input(self, context: dg.InputContext) -> dict[str, MergedDay]:
        with storage_failures("merged_dataset"):
            days = (w.start for w in partition_spans(list(context.asset_partition_keys)))
            return {day.day.strftime("%Y-%m-%d"): day for day in MergedStore(self.storage.store()).read_days(days)}
