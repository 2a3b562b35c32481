"""Raw partitions this process wrote, kept as decoding their objects would give them, until read.

`pizza-game run` writes a range's raw partitions (orders_job) and reads them back for the merge
(analysis_job) a few seconds later, in the same process: decoding the 3,600 hourly objects of a
5-month run again was 3.2 s of it under cProfile (issue 14). ``RawStore.write_many`` keeps each partition here
under the version token its own write returned (``ObjectStore.put_many``), never one listed after
the write, which could already be another writer's object (an import: its rows would be lost);
``RawStore.read_many`` takes a partition from here only when the version it lists now is that
token, so an object replaced since is read and decoded as before.

A partition is kept in the form ``decode_raw_many`` gives for the bytes written (``as_decoded``),
and only where that form is certain to be equal: not where a timestamp has a fraction finer than
the microseconds the JSON keeps, or a number is infinite (written as null).

A read takes the entry out: the merge reads each partition once (the hours around its chunk
boundaries twice: the second read decodes), so the rows held shrink as the merge goes. Bounded by
rows held, oldest written first out, for a range larger than a season.

Off unless a process turns it on (``keeping_written_raw``): only ``run_pipeline`` reads back what
its own process wrote (the CLI, the Lambda), and only while its two runs execute. Dagster's UI
runs each run in a new process, where what is kept would only be memory.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd

from pizza_game.model import RawPartition
from pizza_game.schema import REJECTED_COLUMNS
from pizza_game.storage.codecs import raw_rows, records_json, records_table, table_records
from pizza_game.storage.iso_times import utc_nanos

# Rows held at most: a season's mock orders (2024-08-16 to 2025-05-25) are 1.38 million, all kept
# until the merge reads them. A longer range loses its oldest hours, which are then decoded. Once
# the written partitions themselves are gone, a row held costs about 160 bytes (two months of
# orders: 294,000 rows, 46 MB); with them the season run's peak RSS still fell, 796 -> 765 MB.
LIMIT = 1_500_000


def as_decoded(asset: str, parts: list[RawPartition], rows: pd.DataFrame | None = None) -> list[RawPartition | None]:
    """Each partition as ``decode_raw_many`` gives it for the object ``encode_raw_many`` writes
    for it, or None where that is not certain. The rows are typed together as the encoder types
    them (``raw_rows``; ``rows``, when the caller has it already), then cut back per partition,
    numbered from 0."""
    if not parts:
        return []
    tables = [part.rows for part in parts]
    bounds = np.cumsum([0, *(len(t) for t in tables)]).tolist()
    table = raw_rows(asset, tables) if rows is None else rows
    # Rows not written exactly before each row: a partition is exact when none is in its rows.
    inexact = np.concatenate([[0], np.cumsum(~_exact_rows(table))]).tolist()
    # As the decoder: one empty table for every partition without rows, one without rejected rows.
    no_rows, no_rejected = table.iloc[0:0], records_table([], REJECTED_COLUMNS)
    out: list[RawPartition | None] = []
    for i, part in enumerate(parts):
        start, end = bounds[i], bounds[i + 1]
        if inexact[end] != inexact[start]:
            out.append(None)
            continue
        own = no_rows if start == end else table.iloc[start:end]
        if start and start != end:
            own.index = pd.RangeIndex(end - start)
        out.append(_with_fields(part, own, no_rejected))
    return out


def _exact_rows(table: pd.DataFrame) -> np.ndarray:
    """Per row of a coerced raw table: does the JSON written for it decode to its exact values?
    Text, integers and booleans always do; a float unless infinite (null, then NaN); an instant
    unless finer than a microsecond (storage/iso_times.py). A column of any other type: no row."""
    exact = np.ones(len(table), dtype=bool)
    for name in table.columns:
        column = table[name]
        if isinstance(column.dtype, pd.DatetimeTZDtype):
            nanos = utc_nanos(column)
            exact &= np.isnat(nanos) | (nanos.view(np.int64) % 1000 == 0)
        elif isinstance(column.dtype, np.dtype) and column.dtype.kind == "f":
            exact &= ~np.isinf(column.to_numpy())
        elif not (column.dtype == object or str(column.dtype) in ("int64", "Int64", "bool")):
            exact[:] = False
    return exact


def _with_fields(part: RawPartition, rows: pd.DataFrame, no_rejected: pd.DataFrame) -> RawPartition:
    """``part`` with ``rows``, its other fields as read back from their JSON: the object holds
    them as ``records_json`` writes them, and JSON text decodes the same inside a document or
    alone (tuples come back as lists, timestamps as text, NaN as None)."""
    fields = {
        "source": part.source,
        "notes": part.notes,
        "rejected": table_records(part.rejected) if len(part.rejected) else [],
        "responses": part.responses,
    }
    back = json.loads(records_json(fields))
    return RawPartition(
        source=back["source"],
        rows=rows,
        rejected=records_table(back["rejected"], REJECTED_COLUMNS) if back["rejected"] else no_rejected,
        responses=back["responses"],
        notes=back["notes"],
    )


class WrittenRaw:
    """A bounded map from an object's URI to the version written there and its partition."""

    def __init__(self, limit: int = LIMIT):
        self.limit = limit
        self._entries: OrderedDict[str, tuple[str, RawPartition]] = OrderedDict()
        self._rows = 0
        # Dagster may run steps in threads of one process; the map is changed under this lock.
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.limit > 0

    def put(self, uri: str, version: str, part: RawPartition) -> None:
        if not self.enabled:
            return
        with self._lock:
            self._drop(uri)
            self._entries[uri] = (version, part)
            self._rows += _weight(part)
            while self._rows > self.limit:
                self._drop(next(iter(self._entries)))

    def take(self, uri: str, version: str) -> RawPartition | None:
        """The partition written at ``uri`` if the object there is still at ``version``, taken out;
        None otherwise (an entry at another version is dropped: that object was replaced)."""
        with self._lock:
            entry = self._drop(uri)
        return entry[1] if entry is not None and entry[0] == version else None

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._rows = 0

    def discard(self, uri: str) -> None:
        """Forget ``uri`` (its object was removed)."""
        with self._lock:
            self._drop(uri)

    def _drop(self, uri: str) -> tuple[str, RawPartition] | None:
        entry = self._entries.pop(uri, None)
        if entry is not None:
            self._rows -= _weight(entry[1])
        return entry

    @property
    def rows(self) -> int:
        """The rows held (an entry without rows counts as one)."""
        return self._rows

    def __len__(self) -> int:
        return len(self._entries)


def _weight(part: RawPartition) -> int:
    return max(len(part.rows), 1)


# The process's map, which RawStore uses: empty and off until keeping_written_raw.
WRITTEN = WrittenRaw(limit=0)


@contextmanager
def keeping_written_raw(limit: int = LIMIT) -> Iterator[None]:
    """While the block runs, this process keeps the raw partitions it writes for its own reads;
    afterwards it keeps none and holds nothing (a warm Lambda waits with an empty map)."""
    before = WRITTEN.limit
    WRITTEN.limit = limit
    try:
        yield
    finally:
        WRITTEN.limit = before
        WRITTEN.clear()
