"""What every IO manager records about a write: where it went and how much was written."""

from __future__ import annotations

import dagster as dg

from pizza_game.storage.store import ObjectStore


def record_written(context: dg.OutputContext, store: ObjectStore, written: list[tuple[str, int]]) -> None:
    """The storage URI (the first and last for many objects), the objects and bytes written.

    For partitioned assets it is recorded once, on the last partition's materialization (see
    assets/raw.py), not copied into every partition's.
    """
    keys = [key for key, _ in written]
    first, last = store.uri(keys[0]), store.uri(keys[-1])
    metadata = {
        "storage_uri": dg.MetadataValue.path(first) if len(keys) == 1 else dg.MetadataValue.text(f"{first} … {last}"),
        "objects_written": dg.MetadataValue.int(len(keys)),
        "bytes_written": dg.MetadataValue.int(sum(size for _, size in written)),
    }
    if context.has_asset_partitions:
        context.step_context.add_asset_metadata(
            metadata, asset_key=context.asset_key, partition_key=context.asset_partition_keys[-1]
        )
    else:
        context.add_output_metadata(metadata)
