"""Reading and writing partitioned objects (raw data per hour or day, merged data per day).

One object per partition, at the layout key of the partition's span start. A raw partition is
either real or mock: writing one removes the other source's object for the same span, so a
partition never has two objects and nothing is counted twice.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator

import pandas as pd

from pizza_game.model import MergedDay, RawPartition, Span
from pizza_game.progress import Progress
from pizza_game.schema import SOURCES
from pizza_game.storage import columns, layout
from pizza_game.storage.codecs import (
    JSON_TYPE,
    decode_merged_days,
    decode_raw_many,
    encode_merged,
    encode_merged_columns,
    encode_raw_many,
    raw_rows,
    stack_merged_columns,
)
from pizza_game.storage.columns import COLUMNS_TYPE
from pizza_game.storage.csv_text import CSV_TYPE
from pizza_game.storage.decoded_days import DECODED, DecodedDays
from pizza_game.storage.known_digests import KNOWN_DIGESTS, SAVED_NAME, KnownDigests
from pizza_game.storage.settled_days import SETTLED_NAME, UNSETTLED_DAYS, Settled, encode_settled
from pizza_game.storage.stacked_days import StackedDays
from pizza_game.storage.store import LocalStore, ObjectStore, StorageError
from pizza_game.storage.written_raw import WRITTEN, WrittenRaw, as_decoded

# Partitions encoded or decoded in one pass: a month of hours.
CHUNK = 744
RAW_KEYS = {"raw_orders": layout.raw_orders_key, "raw_matches": layout.raw_matches_key}


def _month_folders(keys: Iterable[str]) -> set[str]:
    """The month folders holding ``keys`` (listing a month is one request on S3)."""
    return {layout.month_folder(key) for key in keys}


def _chunks(spans: list[Span]) -> Iterator[list[Span]]:
    """Spans in runs of ``CHUNK``: encoded or decoded together, without holding a whole range's
    intermediate records at once."""
    for first in range(0, len(spans), CHUNK):
        yield spans[first : first + CHUNK]


class RawStore:
    """The objects of ``raw_orders`` or ``raw_matches``; the partitions written are kept in
    ``written`` for a read in this process (storage/written_raw.py)."""

    def __init__(self, store: ObjectStore, asset: str, written: WrittenRaw = WRITTEN):
        if asset not in RAW_KEYS:
            raise ValueError(f"not a raw asset: {asset}")
        self.store = store
        self.asset = asset
        self.written = written

    def key(self, source: str, span: Span) -> str:
        return RAW_KEYS[self.asset](source, span.start)

    def write_many(
        self, spans: list[Span], batch: dict[str, RawPartition], progress: Progress | None = None
    ) -> list[tuple[str, int]]:
        """Write each span's partition and remove the other source's object for it, if any.

        Real data is never replaced by anything but real data: a mock or missing partition is not
        written where a real object already exists (say, written meanwhile by a parallel backfill
        or an import). Returns (key, bytes written) per span. Existing objects are found by
        listing, so nothing is deleted that is not there (on a versioned bucket a blind delete
        leaves a delete marker).
        """
        existing: set[str] = set()
        for source in SOURCES:
            for folder in sorted(_month_folders(self.key(source, s) for s in spans)):
                existing.update(self.store.list(folder))
        written = []
        for chunk in _chunks(spans):
            kept = [s for s in chunk if batch[s.key].is_real_data or self.key("real", s) not in existing]
            # Typed once for the encoder and for what is kept in memory (storage/written_raw.py).
            rows = raw_rows(self.asset, [batch[s.key].rows for s in kept]) if kept else None
            encoded = encode_raw_many(self.asset, [(s.key, s.start, s.end, batch[s.key]) for s in kept], rows)
            data_of = dict(zip((s.key for s in kept), encoded, strict=True))
            placeholders = {s.key: s for s in kept if batch[s.key].source == "real" and not batch[s.key].is_real_data}
            # A "missing" placeholder never replaces real data written since the listing.
            refused = {
                key for key, s in placeholders.items()
                if not self.store.put_if_version(self.key("real", s), data_of[key], JSON_TYPE, None)
            }  # fmt: skip
            plain = [s for s in kept if s.key not in placeholders]
            versions = self.store.put_many([(self.key(batch[s.key].source, s), data_of[s.key], JSON_TYPE) for s in plain])
            self._keep(kept, batch, dict(zip((s.key for s in plain), versions, strict=True)), rows)
            for span in chunk:
                if span.key not in data_of or span.key in refused:
                    written.append((self.key("real", span), 0))
                    continue
                part = batch[span.key]
                # The other source's object goes only once this partition's object is written.
                for other in SOURCES:
                    if other != part.source and self.key(other, span) in existing:
                        self.store.delete(self.key(other, span))
                        self.written.discard(self.store.uri(self.key(other, span)))
                written.append((self.key(part.source, span), len(data_of[span.key])))
                if progress:
                    progress.advance()
        self._drop_mock_overtaken(spans, batch)
        return written

    def _drop_mock_overtaken(self, spans: list[Span], batch: dict[str, RawPartition]) -> None:
        """Re-check at write time: remove the mock objects just written where real data appeared
        meanwhile (an import landing between the listing and the write). An import deletes the
        mock object after writing its real one, so whichever finishes last, one source remains."""
        mock = [s for s in spans if batch[s.key].source == "mock"]
        if not mock:
            return
        real_keys = {self.key("real", s) for s in mock}
        present = {key for folder in sorted(_month_folders(real_keys)) for key in self.store.list(folder)}
        for span in mock:
            if self.key("real", span) in present:
                self.store.delete(self.key("mock", span))
                self.written.discard(self.store.uri(self.key("mock", span)))

    def _keep(
        self, spans: list[Span], batch: dict[str, RawPartition], versions: dict[str, str], rows: pd.DataFrame | None
    ) -> None:
        """Keep the partitions of ``spans`` (``rows``: their rows typed) that were just written,
        each under the version its write gave (``versions``, by partition key)."""
        if not self.written.enabled or rows is None:
            return
        decoded = as_decoded(self.asset, [batch[s.key] for s in spans], rows)
        for span, part in zip(spans, decoded, strict=True):
            if part is not None and span.key in versions:
                self.written.put(self.store.uri(self.key(part.source, span)), versions[span.key], part)

    def read_many(
        self, spans: list[Span], sources: tuple[str, ...] = SOURCES, progress: Progress | None = None
    ) -> dict[str, RawPartition]:
        """The stored partitions among ``spans`` (real preferred), keyed by partition key.

        Missing partitions are simply absent. Folders are listed once per month rather than probing
        every key, which keeps a read to a handful of listings on S3. A partition this process
        wrote comes from ``written`` when the object listed is still the one it wrote; any other
        is read and decoded.
        """
        wanted = {source: {self.key(source, s): s for s in spans} for source in sources}
        versions: dict[str, str] = {}
        for source in sources:
            for folder in sorted(_month_folders(wanted[source])):
                versions.update(self.store.list_versions(folder))
        out: dict[str, RawPartition] = {}
        for chunk in _chunks(spans):
            taken: dict[str, RawPartition] = {}
            found = []
            for span in chunk:
                key = next((self.key(source, span) for source in sources if self.key(source, span) in versions), None)
                part = None if key is None else self.written.take(self.store.uri(key), versions[key])
                if part is not None:
                    taken[span.key] = part
                elif key is not None:
                    found.append((span.key, self.store.get(key), self.store.uri(key)))
                if progress:
                    progress.advance()
            parts = decode_raw_many(self.asset, [(data, where) for _, data, where in found])
            taken.update((key, part) for (key, _, _), part in zip(found, parts, strict=True))
            # In the order of the spans, as read before.
            out.update((span.key, taken[span.key]) for span in chunk if span.key in taken)
        return out


class MergedStore:
    """The objects of ``merged_dataset``: a CSV of the series and the full JSON document per day,
    and the same day column by column (storage/columns.py), which is what ``read_days`` decodes."""

    def __init__(self, store: ObjectStore, decoded: DecodedDays = DECODED, digests: KnownDigests = KNOWN_DIGESTS):
        self.store = store
        self.decoded = decoded
        self.digests = digests

    def write(self, day: MergedDay) -> dict[str, tuple[str, int]]:
        """Writes the JSON and CSV, then the columnar copy. The copy names the digest of the JSON it
        was built from, so whatever happens between the writes, a reader never takes a copy that
        does not match the JSON stored (it decodes the JSON instead)."""
        keys = layout.merged_keys(day.day)
        encoded = encode_merged(day)
        for ext, data in encoded.items():
            self.store.put(keys[ext], data, JSON_TYPE if ext == "json" else CSV_TYPE)
        self.store.put(layout.merged_columns_key(day.day), encode_merged_columns(day, encoded["json"]), COLUMNS_TYPE)
        return {ext: (keys[ext], len(encoded[ext])) for ext in encoded}

    def read_days(self, days: Iterable[pd.Timestamp]) -> list[MergedDay]:
        """The stored merged days among ``days``, oldest first; missing days are skipped.

        A day whose stored JSON has the bytes of a day decoded earlier in this process comes from
        ``decoded`` (storage/decoded_days.py); any other day from its columnar copy when that copy
        matches the stored JSON (same tables, same types), else from the JSON."""
        stacked, singles = self._read(*self._listed(days), StackedDays.of([]), use_decoded=True)
        return stacked.merged_days() if singles is None else singles

    def read_stacked(self, days: Iterable[pd.Timestamp]) -> StackedDays:
        """The same days as ``read_days``, with their tables stacked (storage/stacked_days.py).

        This is the analysis's read of its horizon. Its first days come, while their JSON is
        unchanged, from the horizon this process read last (when it keeps decoded days:
        storage/decoded_days.py), else in a local store from the file of the days settled at the
        last such read (storage/settled_days.py), which is rewritten when the days settled now are
        others; the rest from their columnar copies."""
        keys, merged_json, digests = self._listed(days)
        stored = [(f"{day:%Y-%m-%d}", digest) for day, digest in digests.items()]
        kept = self.decoded.horizon()
        first = Settled.holding(*kept).prefix(stored) if kept else StackedDays.of([])
        settled = None
        if len(first) < len(stored) - UNSETTLED_DAYS and isinstance(self.store, LocalStore):
            settled = Settled(self._settled_file())
            first = max(first, settled.prefix(stored), key=len)
        # The days after ``first`` are the newest ones, from their copies (not from decoded days,
        # which would take the stacked tables apart).
        stacked, singles = self._read(keys, merged_json, digests, first, use_decoded=False)
        if singles is not None:
            # Some days had no usable copy and were decoded from their JSON (``digests`` now holds
            # the digests of the bytes decoded): kept, they are not decoded again next time.
            stacked = StackedDays.of(singles)
            self.decoded.keep_horizon([(f"{day:%Y-%m-%d}", digest) for day, digest in digests.items()], stacked)
            return stacked
        ripe = stored[: max(len(stored) - UNSETTLED_DAYS, 0)]
        if settled and ripe and ripe != settled.held:
            with contextlib.suppress(StorageError):  # a cache, as the known digests
                self.store.put(SETTLED_NAME, encode_settled(stacked.between(0, len(ripe)), [d for _, d in ripe]), COLUMNS_TYPE)
        self.decoded.keep_horizon(stored, stacked)
        return stacked

    def _settled_file(self) -> bytes | None:
        try:
            return self.store.get(SETTLED_NAME)
        except (KeyError, StorageError):
            return None

    def _listed(self, days: Iterable[pd.Timestamp]) -> tuple[dict[pd.Timestamp, str], dict[pd.Timestamp, bytes], dict[pd.Timestamp, str]]:
        """Of ``days``: the JSON key of each, the JSON objects read to hash them, and the digest of
        each stored day's JSON (``_digests``), oldest first."""
        keys = {day: layout.merged_keys(day)["json"] for day in sorted(set(days))}
        merged_json: dict[pd.Timestamp, bytes] = {}
        return keys, merged_json, self._digests(keys, merged_json)

    def _read(
        self,
        keys: dict[pd.Timestamp, str],
        merged_json: dict[pd.Timestamp, bytes],
        digests: dict[pd.Timestamp, str],
        first: StackedDays,
        use_decoded: bool,
    ) -> tuple[StackedDays, list[MergedDay] | None]:
        """The stored days (``_listed``'s): stacked when every one came from ``first`` (the first
        stored days, already read) or its columnar copy (None), else each day on its own (and an
        empty StackedDays). Days decoded earlier in this process are taken from ``decoded`` if
        ``use_decoded``."""
        stored = list(digests)[len(first) :]
        cached = {day: known for day in stored if use_decoded and (known := self.decoded.get(digests[day])) is not None}
        # A day merged before copies existed has none.
        copy_keys = {day: layout.merged_columns_key(day) for day in stored if day not in cached}
        found = self.store.get_many(list(copy_keys.values()))
        copies = {day: found[key][0] for day, key in copy_keys.items() if key in found}
        usable, from_copies = stack_merged_columns([(digests[day], copy) for day, copy in copies.items()])
        order = list(copies)
        copied = [order[i] for i in usable]
        if len(copied) == len(stored):
            if self.decoded.enabled:
                for day, decoded in zip(copied, from_copies.merged_days(), strict=True):
                    self.decoded.put(digests[day], decoded)
            return first.then(from_copies), None
        done = set(copied)
        rest = [day for day in stored if day not in cached and day not in done]
        for day in rest:
            if day not in merged_json:
                # Decoded from the JSON: its digest is that of the bytes decoded.
                merged_json[day] = self.store.get(keys[day])
                digests[day] = columns.digest(merged_json[day])
        from_json = zip(rest, decode_merged_days([(merged_json[d], self.store.uri(keys[d])) for d in rest]), strict=True)
        fresh = {**dict(zip(copied, from_copies.merged_days(), strict=True)), **dict(from_json)}
        for day, decoded in fresh.items():
            self.decoded.put(digests[day], decoded)
        every = {**dict(zip(list(digests)[: len(first)], first.merged_days(), strict=True)), **cached, **fresh}
        return StackedDays.of([]), [every[day] for day in digests]

    def _digests(self, keys: dict[pd.Timestamp, str], merged_json: dict[pd.Timestamp, bytes]) -> dict[pd.Timestamp, str]:
        """The SHA-256 of each stored day's JSON object (``keys``: day -> JSON key, oldest first).
        A digest comes from an earlier read of the object at the version listed now
        (storage/known_digests.py); any other object is read (its bytes kept in ``merged_json``)
        and hashed. A day whose object is gone since the listing is left out."""
        versions: dict[str, str] = {}
        for folder in sorted(_month_folders(keys.values())):
            versions.update(self.store.list_versions(folder))
        listed = {day: key for day, key in keys.items() if key in versions}
        saved = isinstance(self.store, LocalStore)
        if saved:
            self.digests.load(self.store.uri(SAVED_NAME), lambda: self.store.get(SAVED_NAME))
        known = {day: digest for day, key in listed.items() if (digest := self.digests.get(self.store.uri(key), versions[key]))}
        read = self.store.get_many([key for day, key in listed.items() if day not in known])
        for day, key in listed.items():
            if day in known or key not in read:
                continue
            data, version = read[key]
            merged_json[day], known[day] = data, columns.digest(data)
            self.digests.put(self.store.uri(key), version, known[day])
        if saved and read:
            # For the next process (known_digests.py): Dagster's daemon runs each run in a new one.
            # A cache: a data directory that can be read but not written is read as before.
            with contextlib.suppress(StorageError):
                self.store.put(SAVED_NAME, self.digests.saved(self.store.uri("") + "/"), JSON_TYPE)
        return {day: known[day] for day in listed if day in known}
