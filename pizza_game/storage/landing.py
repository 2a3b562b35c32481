"""Landing imported real data in the raw partitions it belongs to.

An imported file covers every partition (hour for orders, day for matches) from its first row to
its last: a partition of that span without rows is a real zero (a closed store, a day without
matches), not missing data. Rows are merged into the real object of each partition: rows already there stay, rows with the same id are
replaced by the imported version (a corrected export wins), and the mock object of the partition,
if any, is removed. The next materialization of those partitions picks the real data up.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pizza_game.collectors.raw import RawPartition, split_by_window
from pizza_game.partitions import daily_partitions, hourly_partitions
from pizza_game.schema import Normalized, empty_rejected
from pizza_game.storage.io_manager import partition_windows
from pizza_game.storage.partitioned import RawStore
from pizza_game.storage.store import ObjectStore

ID_COLUMN = {"raw_orders": "order_id", "raw_matches": "match_id"}
TIME_COLUMN = {"raw_orders": "ordered_at", "raw_matches": "kickoff_at"}
PARTITIONS = {"raw_orders": (hourly_partitions, "h"), "raw_matches": (daily_partitions, "D")}


@dataclass(frozen=True)
class Landed:
    """What an import wrote: rows per partition key, rows rejected, and the keys touched."""

    asset: str
    rows: int
    rejected: pd.DataFrame
    partitions: list[str]


def land_import(
    store: ObjectStore,
    asset: str,
    imported: Normalized,
    *,
    source_name: str,
    now: pd.Timestamp | None = None,
) -> Landed:
    rows = imported.rows
    time_column = TIME_COLUMN[asset]
    partitions_def, unit = PARTITIONS[asset]
    now = now or pd.Timestamp.now(tz="UTC")
    first = pd.Timestamp(partitions_def.start).tz_convert("UTC")
    instants = rows[time_column]
    outside = ((instants < first) | (instants >= now)).to_numpy()
    rejected = [imported.rejected]
    if outside.any():
        rejected.append(
            pd.DataFrame(
                {
                    "where": f"{source_name} ({asset})",
                    "reason": f"{time_column} outside the partitions (before {first:%Y-%m-%d} or in the future)",
                    "record": rows.loc[outside, ID_COLUMN[asset]].astype(str).to_numpy(),
                }
            )
        )
    rows = rows.loc[~outside]
    rejected_table = pd.concat([r for r in rejected if len(r)], ignore_index=True) if any(len(r) for r in rejected) else empty_rejected()
    if rows.empty:
        return Landed(asset, 0, rejected_table, [])
    span = pd.date_range(rows[time_column].min().floor(unit), rows[time_column].max().floor(unit), freq=unit)
    keys = [start.strftime(partitions_def.fmt) for start in span]
    windows = partition_windows(partitions_def, keys)
    raw = RawStore(store, asset)
    existing = raw.read_many(windows, sources=("real",))
    batch: dict[str, RawPartition] = {}
    split = split_by_window(rows, time_column, windows)
    for i, window in enumerate(windows):
        batch[window.key] = _merge(asset, existing.get(window.key), split[window.key], rejected_table if i == 0 else empty_rejected(), source_name)
    raw.write_many(windows, batch)
    return Landed(asset, len(rows), rejected_table, keys)


def _merge(asset: str, old: RawPartition | None, new_rows: pd.DataFrame, rejected: pd.DataFrame, source_name: str) -> RawPartition:
    id_column = ID_COLUMN[asset]
    notes = {"collector": "import", "files": [source_name]}
    if old is None or old.missing:
        return RawPartition("real", new_rows.reset_index(drop=True), rejected, [], notes)
    kept = old.rows[~old.rows[id_column].isin(new_rows[id_column])]
    merged = pd.concat([kept, new_rows], ignore_index=True).sort_values(TIME_COLUMN[asset], kind="stable", ignore_index=True)
    # The same file landed again changes nothing, not even the list of files.
    files = [*(f for f in old.notes.get("files", []) if f != source_name), source_name]
    old_rejected = [r for r in (old.rejected, rejected) if len(r)]
    return RawPartition(
        "real",
        merged,
        pd.concat(old_rejected, ignore_index=True) if old_rejected else empty_rejected(),
        old.responses,
        {**old.notes, "collector": "import", "files": files},
    )
