"""The IO manager that stores every asset at its key of the bucket layout (DESIGN.md).

Partitioned assets (``raw_orders``, ``raw_matches``, ``merged_dataset``) are written one object per
partition, also when a run covers a range of partitions (single-run backfills), and read back the
same way. The analysis and publishing assets are ``Stamped`` values written at keys stamped with
the day they describe, so re-running the same dates rewrites the same keys.
Every write records the storage URI, the bytes written and, for tables, rows, schema and a preview.
"""

from __future__ import annotations

import json
from typing import Any

import dagster as dg
import pandas as pd

from pizza_game.assets.metadata import table_metadata
from pizza_game.model import MergedDay, RawPartition, Stamped
from pizza_game.partition_keys import partition_spans
from pizza_game.progress import Progress
from pizza_game.resources.storage import StorageResource, storage_failures
from pizza_game.storage import layout
from pizza_game.storage.codecs import CSV_TYPE, JSON_TYPE, from_csv, to_csv, to_json
from pizza_game.storage.partitioned import RAW_KEYS, MergedStore, RawStore

# For each unpartitioned asset: how to name its objects and how to encode its value.
STAMPED_OUTPUTS = {
    "correlation_results": (lambda s: {"csv": layout.correlation_results_key(s)}),
    "significant_correlations": (lambda s: {"csv": layout.significant_correlations_key(s)}),
    "correlation_summary": (lambda s: {"json": layout.correlation_summary_key(s)}),
    "match_windows": (lambda s: {"csv": layout.match_windows_key(s)}),
    "dashboard_data": (
        lambda s: {"json": layout.dashboard_data_key(s, "json"), "csv": layout.dashboard_data_key(s, "csv")}
    ),
}


class LayoutIOManager(dg.ConfigurableIOManager):
    """Stores assets in the bucket layout under the storage resource's root (local or S3)."""

    storage: StorageResource

    def handle_output(self, context: dg.OutputContext, obj: Any) -> None:
        with storage_failures(context.asset_key.path[-1]):
            self._handle_output(context, obj)

    def _handle_output(self, context: dg.OutputContext, obj: Any) -> None:
        name = context.asset_key.path[-1]
        store = self.storage.store()
        if name in RAW_KEYS:
            written = self._write_raw(context, name, obj)
        elif name == "merged_dataset":
            written = self._write_merged(context, obj)
        elif name in STAMPED_OUTPUTS:
            written = self._write_stamped(context, name, obj)
        else:
            raise dg.DagsterInvariantViolationError(f"LayoutIOManager has no layout for asset {name}")
        keys = [key for key, _ in written]
        first, last = store.uri(keys[0]), store.uri(keys[-1])
        metadata = {
            "storage_uri": dg.MetadataValue.path(first) if len(keys) == 1 else dg.MetadataValue.text(f"{first} … {last}"),
            "objects_written": dg.MetadataValue.int(len(keys)),
            "bytes_written": dg.MetadataValue.int(sum(size for _, size in written)),
        }
        if context.has_asset_partitions:
            # About the whole range: recorded once, on the last partition's materialization (see
            # assets/raw.py), not copied into every partition's.
            context.step_context.add_asset_metadata(
                metadata, asset_key=context.asset_key, partition_key=context.asset_partition_keys[-1]
            )
        else:
            context.add_output_metadata(metadata)

    def _write_raw(self, context: dg.OutputContext, name: str, batch: dict[str, RawPartition]) -> list:
        raw = RawStore(self.storage.store(), name)
        windows = partition_spans(list(context.asset_partition_keys))
        missing = [w.key for w in windows if w.key not in batch]
        if missing:
            raise dg.DagsterInvariantViolationError(f"{name} produced no data for partitions {missing[:5]}")
        return raw.write_many(windows, batch, Progress(f"{name}: partitions written", len(windows), context.log.info))

    def _write_merged(self, context: dg.OutputContext, days: dict[str, MergedDay]) -> list:
        merged = MergedStore(self.storage.store())
        keys = list(context.asset_partition_keys)
        progress = Progress("merged_dataset: days written", len(keys), context.log.info)
        out = []
        for key in keys:
            written = merged.write(days[key])
            out.extend([written["json"], written["csv"]])
            progress.advance()
        return out

    def _write_stamped(self, context: dg.OutputContext, name: str, obj: Stamped) -> list:
        store = self.storage.store()
        out = []
        for ext, key in STAMPED_OUTPUTS[name](obj.stamp).items():
            value = obj.value
            if ext == "csv":
                table = value if isinstance(value, pd.DataFrame) else pd.DataFrame(value)
                data, kind = to_csv(table), CSV_TYPE
            else:
                data, kind = to_json(value), JSON_TYPE
            store.put(key, data, kind)
            out.append((key, len(data)))
        context.add_output_metadata({"stamp": obj.stamp.isoformat(), "storage_keys": dg.MetadataValue.json([k for k, _ in out])})
        if isinstance(obj.value, pd.DataFrame):
            context.add_output_metadata(table_metadata(obj.value))
        return out

    def load_input(self, context: dg.InputContext) -> Any:
        with storage_failures(context.asset_key.path[-1]):
            return self._load_input(context)

    def _load_input(self, context: dg.InputContext) -> Any:
        name = context.asset_key.path[-1]
        store = self.storage.store()
        if name in RAW_KEYS:
            windows = partition_spans(list(context.asset_partition_keys))
            progress = Progress(f"{name}: partitions read", len(windows), context.log.info)
            return RawStore(store, name).read_many(windows, progress=progress)
        if name == "merged_dataset":
            windows = partition_spans(list(context.asset_partition_keys))
            return {day.day.strftime("%Y-%m-%d"): day for day in MergedStore(store).read_days(w.start for w in windows)}
        if name in STAMPED_OUTPUTS:
            return self._load_stamped(context, name)
        raise dg.DagsterInvariantViolationError(f"LayoutIOManager has no layout for asset {name}")

    def _load_stamped(self, context: dg.InputContext, name: str) -> Stamped:
        """The latest materialization's object (its keys are in the event's metadata)."""
        event = context.instance.get_latest_materialization_event(context.asset_key)
        metadata = event.asset_materialization.metadata if event and event.asset_materialization else {}
        if "storage_keys" not in metadata or "stamp" not in metadata:
            raise dg.DagsterInvariantViolationError(
                f"{name} has no materialization in this Dagster instance; materialize it first"
            )
        keys = metadata["storage_keys"].value
        stamp = pd.Timestamp(metadata["stamp"].value)
        key = next((k for k in keys if k.endswith(".json")), keys[0])
        data = self.storage.store().get(key)
        value = from_csv(data) if key.endswith(".csv") else json.loads(data)
        return Stamped(stamp, value)
