"""Landing imported real data in the raw partitions it belongs to.

An imported file covers every partition (hour for orders, day for matches) from its first row to
its last: a partition of that span without rows is a real zero (a closed store, a day without
matches), not missing data. Rows are merged into the real object of each partition: rows already
there stay, rows with the same id are replaced by the imported version (a corrected export wins),
and the mock object of the partition, if any, is removed. The next materialization of those
partitions picks the real data up.

Concurrent imports (the CLI, the drop-area sensor, two users) merge: each partition is a
compare-and-swap read-modify-write (storage/atomic.py), retried until it applies to what the
other writer left, so no row is lost.

Rejected rows are kept once each: in the partition of their own time when the import writes that
partition, else (no parsable time, or outside the span of the good rows) in
``imports/rejected/<asset>/<fingerprint>.json``, one object per file content. An import records
itself in ``imports/journal/<asset>/<fingerprint>.json``: "started" before the first write,
"complete" after the last; an import killed midway stays "started" (importing the file again
completes it: every step is idempotent).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from pizza_game.model import RawPartition, Span, split_by_span
from pizza_game.normalize.json_text import record_json
from pizza_game.partition_keys import DAY_FORMAT, FIRST, HOUR_FORMAT, partition_spans
from pizza_game.schema import REJECTED_COLUMNS, Normalized, empty_rejected
from pizza_game.storage import layout
from pizza_game.storage.atomic import read_modify_write
from pizza_game.storage.codecs import (
    JSON_TYPE,
    decode_raw,
    decode_raw_many,
    encode_raw,
    encode_raw_many,
    records_table,
    to_json,
)
from pizza_game.storage.partitioned import RawStore, _chunks
from pizza_game.storage.store import ObjectStore

ID_COLUMN = {"raw_orders": "order_id", "raw_matches": "match_id"}
TIME_COLUMN = {"raw_orders": "ordered_at", "raw_matches": "kickoff_at"}
PARTITIONS = {"raw_orders": (HOUR_FORMAT, "h"), "raw_matches": (DAY_FORMAT, "D")}


@dataclass(frozen=True)
class Landed:
    """What an import wrote: rows landed, rows rejected, the partition keys touched, and where
    the rejected rows without a partition went (None when there were none)."""

    asset: str
    rows: int
    rejected: pd.DataFrame
    partitions: list[str]
    rejected_key: str | None = None


# The empty rejected table of the hours without rejected rows (nearly all), shared: a copy per
# hour, four per hour as it was, took a third of the CPU of a year's import. Nothing changes a
# landed table in place.
NO_REJECTED = empty_rejected()

def unfinished_import(store: ObjectStore, asset: str, fingerprint: str) -> dict | None:
    """The journal entry of an earlier import of the same content that never completed, if any."""
    data, _ = store.get_version(layout.import_journal_key(asset, fingerprint))
    entry = json.loads(data) if data else None
    return entry if entry and entry.get("status") != "complete" else None


def land_import(
    store: ObjectStore,
    asset: str,
    imported: Normalized,
    *,
    source_name: str,
    fingerprint: str,
    now: pd.Timestamp | None = None,
) -> Landed:
    rows = imported.rows
    time_column = TIME_COLUMN[asset]
    key_format, unit = PARTITIONS[asset]
    now = now or pd.Timestamp.now(tz="UTC")
    first = FIRST
    instants = rows[time_column]
    outside = ((instants < first) | (instants >= now)).to_numpy()
    rejected = [imported.rejected]
    if outside.any():
        rejected.append(
            pd.DataFrame(
                {
                    "where": f"{source_name} ({asset})",
                    "reason": f"{time_column} outside the partitions (before {first:%Y-%m-%d} or in the future)",
                    "record": [record_json(r) for r in rows.loc[outside].to_dict(orient="records")],
                    "at": rows.loc[outside, time_column].to_numpy(),
                }
            )
        )
    rows = rows.loc[~outside]
    all_rejected = pd.concat([r for r in rejected if len(r)], ignore_index=True) if any(len(r) for r in rejected) else empty_rejected()
    journal = {"asset": asset, "file": source_name, "started": f"{now:%Y-%m-%dT%H:%M:%SZ}", "status": "started"}
    store.put(layout.import_journal_key(asset, fingerprint), to_json(journal), JSON_TYPE)
    spans: list[Span] = []
    if len(rows):
        starts = pd.date_range(rows[time_column].min().floor(unit), rows[time_column].max().floor(unit), freq=unit)
        spans = partition_spans([start.strftime(key_format) for start in starts])
    homeless = _land_rows(store, asset, spans, rows, all_rejected, source_name)
    key = None
    if len(homeless):
        key = layout.import_rejected_key(asset, fingerprint)
        read_modify_write(store, key, lambda old: _merge_rejected_object(asset, old, homeless), JSON_TYPE)
    keys = [s.key for s in spans]
    done = {**journal, "status": "complete", "rows": len(rows), "rejected": len(all_rejected)}
    if keys:
        done |= {"first_partition": keys[0], "last_partition": keys[-1]}
    store.put(layout.import_journal_key(asset, fingerprint), to_json(done), JSON_TYPE)
    return Landed(asset, len(rows), _stored(all_rejected), keys, key)


def _land_rows(
    store: ObjectStore, asset: str, spans: list[Span], rows: pd.DataFrame, rejected: pd.DataFrame, source_name: str
) -> pd.DataFrame:
    """Merge ``rows`` and the ``rejected`` rows of their spans into each span's real object;
    remove the spans' mock objects. Returns the rejected rows that fall in no span."""
    if not spans:
        return rejected
    raw = RawStore(store, asset)
    split = split_by_span(rows, TIME_COLUMN[asset], spans)
    at = pd.Series(pd.NaT, index=rejected.index, dtype="datetime64[ns, UTC]")
    if "at" in rejected.columns:
        at = pd.to_datetime(rejected["at"], utc=True).astype("datetime64[ns, UTC]")
    placed = split_by_span(rejected.assign(at=at), "at", spans) if at.notna().any() else {}
    homeless = rejected.loc[~at.between(spans[0].start, spans[-1].end, inclusive="left").fillna(False).to_numpy()]
    real_keys = {raw.key("real", s) for s in spans}
    present = {key for folder in sorted({layout.month_folder(k) for k in real_keys}) for key in store.list(folder)}
    for chunk in _chunks(spans):
        landed = {s.key: (split[s.key], placed.get(s.key, NO_REJECTED)) for s in chunk}
        _land_chunk(store, raw, chunk, present, landed, source_name)
    mock_keys = {raw.key("mock", s) for s in spans}
    present = {key for folder in sorted({layout.month_folder(k) for k in mock_keys}) for key in store.list(folder)}
    for key in sorted(mock_keys & present):
        store.delete(key)
    return homeless


def _land_chunk(
    store: ObjectStore,
    raw: RawStore,
    chunk: list[Span],
    present: set[str],
    landed: dict[str, tuple[pd.DataFrame, pd.DataFrame]],
    source_name: str,
) -> None:
    """Compare and swap a chunk of spans' real objects in one pass: read those that exist (with
    their versions), merge, encode all together, write each only if still at the version read.
    A span whose object changed meanwhile is landed again on its own (``read_modify_write``)."""
    asset = raw.asset
    keys = [raw.key("real", s) for s in chunk]
    read = {key: store.get_version(key) for key in keys if key in present}
    stored = [(key, data) for key, (data, _) in read.items() if data is not None]
    previous = dict(zip((key for key, _ in stored), decode_raw_many(asset, [(data, store.uri(key)) for key, data in stored]), strict=True))
    parts = [_merge(asset, previous.get(key), *landed[s.key], source_name) for key, s in zip(keys, chunk, strict=True)]
    encoded = encode_raw_many(asset, [(s.key, s.start, s.end, part) for s, part in zip(chunk, parts, strict=True)])
    written = store.put_if_versions(
        [(key, data, JSON_TYPE, read.get(key, (None, None))[1]) for key, data in zip(keys, encoded, strict=True)]
    )
    for key, span, done in zip(keys, chunk, written, strict=True):
        if not done:
            read_modify_write(store, key, _change(store, asset, key, span, landed[span.key], source_name), JSON_TYPE)


def _change(
    store: ObjectStore, asset: str, key: str, span: Span, new: tuple[pd.DataFrame, pd.DataFrame], source_name: str
) -> Callable[[bytes | None], bytes]:
    """The read-modify-write step of one span's real object."""
    def change(old: bytes | None) -> bytes:
        previous = decode_raw(asset, old, store.uri(key)) if old else None
        return encode_raw(asset, span.key, span.start, span.end, _merge(asset, previous, *new, source_name))

    return change


def _stored(rejected: pd.DataFrame) -> pd.DataFrame:
    """Rejected rows in their stored columns (the ``at`` column only places them)."""
    return rejected[list(REJECTED_COLUMNS)].reset_index(drop=True) if len(rejected) else empty_rejected()


def merge_rejected(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """``old`` and ``new`` rejected rows with each distinct row (where, reason, record) once;
    ``old`` itself when both are empty."""
    if not len(old) and not len(new):
        return old
    tables = [t for t in (old, _stored(new)) if len(t)]
    if not tables:
        return empty_rejected()
    return pd.concat(tables, ignore_index=True).drop_duplicates(list(REJECTED_COLUMNS), ignore_index=True)


def _merge_rejected_object(asset: str, old: bytes | None, new: pd.DataFrame) -> bytes | None:
    previous = records_table(json.loads(old)["rejected"], REJECTED_COLUMNS) if old else empty_rejected()
    merged = merge_rejected(previous, new)
    if old and len(merged) == len(previous):
        return None
    return to_json({"asset": asset, "rejected_count": len(merged), "rejected": merged})


def _numbered(table: pd.DataFrame) -> bool:
    """Whether ``table``'s index is already 0, 1, 2... (split_by_span's tables are)."""
    index = table.index
    return isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1


def _merge(asset: str, old: RawPartition | None, new_rows: pd.DataFrame, rejected: pd.DataFrame, source_name: str) -> RawPartition:
    id_column = ID_COLUMN[asset]
    notes = {"collector": "import", "files": [source_name]}
    if old is None or old.missing:
        rows = new_rows if _numbered(new_rows) else new_rows.reset_index(drop=True)
        return RawPartition("real", rows, merge_rejected(NO_REJECTED, rejected), [], notes)
    kept = old.rows[~old.rows[id_column].isin(new_rows[id_column])]
    merged = pd.concat([kept, new_rows], ignore_index=True).sort_values(TIME_COLUMN[asset], kind="stable", ignore_index=True)
    # The same file landed again changes nothing, not even the list of files.
    files = [*(f for f in old.notes.get("files", []) if f != source_name), source_name]
    return RawPartition(
        "real",
        merged,
        merge_rejected(old.rejected, rejected),
        old.responses,
        {**old.notes, "collector": "import", "files": files},
    )
