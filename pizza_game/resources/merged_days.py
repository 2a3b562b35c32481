"""The IO manager of merged_dataset: one merged day per daily partition (MergedStore).

The asset writes its days itself, as it merges them (a season's merged days held until the end
of the step did not fit in memory, issue 14), and hands the IO manager what it wrote.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import dagster as dg

from pizza_game.model import MergedDay
from pizza_game.partition_keys import partition_spans
from pizza_game.resources.storage import StorageResource, storage_failures
from pizza_game.resources.written import record_written
from pizza_game.storage.partitioned import MergedStore

MERGED_IO = "merged_days_io_manager"


@dataclass
class MergedWritten:
    """The objects merged_dataset wrote: (key, bytes) of each day's JSON and CSV, oldest day first."""

    objects: list[tuple[str, int]] = field(default_factory=list)

    def write(self, store: MergedStore, day: MergedDay) -> None:
        written = store.write(day)
        self.objects.extend([written["json"], written["csv"]])


class MergedDaysIOManager(dg.ConfigurableIOManager):
    """Merged days at their layout keys, under the storage resource's root (local or S3)."""

    storage: StorageResource

    def handle_output(self, context: dg.OutputContext, obj: MergedWritten) -> None:
        record_written(context, self.storage.store(), obj.objects)

    def load_input(self, context: dg.InputContext) -> dict[str, MergedDay]:
        with storage_failures("merged_dataset"):
            days = (s.start for s in partition_spans(list(context.asset_partition_keys)))
            return {day.day.strftime("%Y-%m-%d"): day for day in MergedStore(self.storage.store()).read_days(days)}
