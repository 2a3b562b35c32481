"""The columnar copy of each merged day: the analysis reads exactly what the merged JSON holds.

A real run over three days (with matches) writes the merged days and their copies; reading them
back through the copies must give the same tables, types and coverage as decoding the JSON, and a
copy that no longer matches its JSON (rewritten day, damaged copy) must never be read. The same
holds for the days decoded earlier in the process (storage/decoded_days.py). Each test reads with
its own empty cache of decoded days unless it tests that cache.
"""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from pizza_game.definitions import make_definitions
from pizza_game.model import MergedDay
from pizza_game.runner import run_pipeline
from pizza_game.storage import layout
from pizza_game.storage.codecs import (
    decode_merged_days,
    encode_merged_columns,
    stack_merged_columns,
    to_json,
)
from pizza_game.storage.columns import digest
from pizza_game.storage.decoded_days import DecodedDays
from pizza_game.storage.known_digests import SAVED_NAME, KnownDigests
from pizza_game.storage.partitioned import MergedStore
from pizza_game.storage.store import LocalStore, StorageError

START, END = pd.Timestamp("2024-10-05", tz="UTC"), pd.Timestamp("2024-10-08", tz="UTC")
DAYS = list(pd.date_range(START, END, freq="D", inclusive="left"))
TABLES = ("series", "windows", "matches")


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> LocalStore:
    root = tmp_path_factory.mktemp("data")
    run_pipeline(START, END, defs=make_definitions(data_dir=str(root), seed=7), instance=dg.DagsterInstance.ephemeral(), log_level="ERROR")
    return LocalStore(root)


def from_json(store: LocalStore, days: list[pd.Timestamp]) -> list:
    keys = [layout.merged_keys(day)["json"] for day in days]
    return decode_merged_days([(store.get(key), key) for key in keys])


def assert_same(got: list, expected: list) -> None:
    assert [d.day for d in got] == [d.day for d in expected]
    for a, b in zip(got, expected, strict=True):
        assert a.coverage == b.coverage
        for name in TABLES:
            pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)


def test_every_merged_day_has_a_copy_that_decodes_to_what_its_json_holds(store: LocalStore) -> None:
    pairs = [(digest(store.get(layout.merged_keys(d)["json"])), store.get(layout.merged_columns_key(d))) for d in DAYS]
    usable, copies = stack_merged_columns(pairs)
    assert usable == list(range(len(DAYS))), "a copy was not usable"
    expected = from_json(store, DAYS)
    assert sum(len(d.matches) for d in expected) > 0 and sum(len(d.windows) for d in expected) > 0
    assert_same(copies.merged_days(), expected)
    assert_same(MergedStore(store, DecodedDays()).read_days(DAYS), expected)
    # Stacked, the tables are those of the days one after the other.
    stacked = MergedStore(store, DecodedDays()).read_stacked(DAYS)
    assert stacked.days == DAYS and stacked.coverage == [d.coverage for d in expected]
    for name in TABLES:
        pd.testing.assert_frame_equal(stacked.tables[name], pd.concat([getattr(d, name) for d in expected], ignore_index=True), check_exact=True)


def test_a_day_whose_json_changed_is_read_from_the_json_not_its_stale_copy(store: LocalStore, tmp_path: Path) -> None:
    day = DAYS[1]
    key = layout.merged_keys(day)["json"]
    original = store.get(key)
    document = json.loads(original)
    document["series"][0]["orders"] += 1000
    document["coverage"]["orders_in_day"] += 1000
    try:
        store.put(key, to_json(document), "application/json")
        read = MergedStore(store, DecodedDays()).read_days(DAYS)
        assert int(read[1].series["orders"].iloc[0]) == document["series"][0]["orders"]
        assert read[1].coverage["orders_in_day"] == document["coverage"]["orders_in_day"]
        assert_same(read, from_json(store, DAYS))
        # Stacked too: the rewritten day's rows among the others (one day from its JSON, two from copies).
        stacked = MergedStore(store, DecodedDays()).read_stacked(DAYS)
        assert_same(stacked.merged_days(), read)
        pd.testing.assert_frame_equal(stacked.tables["series"], pd.concat([d.series for d in read], ignore_index=True), check_exact=True)
    finally:
        store.put(key, original, "application/json")


def test_a_damaged_or_missing_copy_falls_back_to_the_json(store: LocalStore) -> None:
    damaged, missing = (layout.merged_columns_key(d) for d in DAYS[:2])
    kept = {key: store.get(key) for key in (damaged, missing)}
    try:
        store.put(damaged, kept[damaged][: len(kept[damaged]) // 2], "application/octet-stream")
        store.delete(missing)
        assert_same(MergedStore(store, DecodedDays()).read_days(DAYS), from_json(store, DAYS))
    finally:
        for key, data in kept.items():
            store.put(key, data, "application/octet-stream")


def test_missing_values_and_every_column_type_survive_the_copy(store: LocalStore) -> None:
    day = next(d for d in from_json(store, DAYS) if len(d.matches))
    day.matches.loc[0, ["home_score", "winner", "kickoff_at"]] = [pd.NA, None, pd.NaT]
    day.windows.loc[0, ["revenue", "match_id"]] = [float("nan"), None]
    day.series.loc[0, ["orders", "window"]] = [pd.NA, None]
    merged_json = b'{"any": "bytes the copy is built from"}'
    usable, copies = stack_merged_columns([(digest(merged_json), encode_merged_columns(day, merged_json))])
    assert usable == [0]
    (copy,) = copies.merged_days()
    assert_same([copy], [day])
    assert copy.matches["home_score"].isna().iloc[0] and copy.matches["winner"].iloc[0] is None


def test_a_day_decoded_before_is_taken_from_the_cache_only_while_its_json_has_the_same_bytes(store: LocalStore) -> None:
    decoded = DecodedDays()
    expected = from_json(store, DAYS)
    assert_same(MergedStore(store, decoded).read_days(DAYS), expected)
    assert len(decoded) == len(DAYS)
    key = layout.merged_keys(DAYS[0])["json"]
    original = store.get(key)
    # A marker under the first day's digest: read_days returns what the cache holds for those bytes.
    marker = expected[1]
    decoded.put(digest(original), marker)
    assert_same(MergedStore(store, decoded).read_days(DAYS[:1]), [marker])
    document = json.loads(original)
    document["series"][0]["orders"] += 1000
    try:
        store.put(key, to_json(document), "application/json")
        (read,) = MergedStore(store, decoded).read_days(DAYS[:1])
        assert read.day == DAYS[0] and int(read.series["orders"].iloc[0]) == document["series"][0]["orders"]
    finally:
        store.put(key, original, "application/json")


def test_changing_a_day_read_from_the_cache_does_not_change_the_cache(store: LocalStore) -> None:
    decoded = DecodedDays()
    first = MergedStore(store, decoded).read_days(DAYS)
    first[0].series.loc[0, "orders"] = 10**6
    first[0].series["extra"] = 1
    first[0].coverage["orders_in_day"] = -1
    assert_same(MergedStore(store, decoded).read_days(DAYS), from_json(store, DAYS))


def test_the_cache_keeps_the_most_recently_used_days_up_to_its_limit() -> None:
    decoded = DecodedDays(limit=2)
    days = [MergedDay(day=day, series=pd.DataFrame(), windows=pd.DataFrame(), matches=pd.DataFrame(), coverage={}) for day in DAYS]
    decoded.put("a", days[0])
    decoded.put("b", days[1])
    assert decoded.get("a") is not None  # "a" is now the most recently used
    decoded.put("c", days[2])
    assert len(decoded) == 2 and decoded.get("b") is None
    assert [d.day if d else None for d in (decoded.get("a"), decoded.get("c"))] == [DAYS[0], DAYS[2]]


class CountingStore(LocalStore):
    """Counts the reads of merged JSON objects."""

    json_reads = 0

    def get(self, key: str) -> bytes:
        self.json_reads += key.endswith("_merged_data.json")
        return super().get(key)

    def get_version(self, key: str) -> tuple[bytes | None, str | None]:
        self.json_reads += key.endswith("_merged_data.json")
        return super().get_version(key)


def test_a_json_object_listed_at_a_version_read_before_is_not_read_again_until_rewritten(store: LocalStore) -> None:
    (store.root / SAVED_NAME).unlink(missing_ok=True)  # no digest saved by an earlier process
    counting, known = CountingStore(store.root), KnownDigests()
    first = MergedStore(counting, DecodedDays(), known).read_days(DAYS)
    assert counting.json_reads == len(DAYS)
    assert_same(MergedStore(counting, DecodedDays(), known).read_days(DAYS), first)
    assert counting.json_reads == len(DAYS), "a JSON object was read again at the version it was read at"
    key = layout.merged_keys(DAYS[1])["json"]
    original = store.get(key)
    document = json.loads(original)
    document["series"][0]["orders"] += 1000
    try:
        # Rewritten (its copy is now stale): read and hashed again, and decoded from the JSON.
        store.put(key, to_json(document), "application/json")
        read = MergedStore(counting, DecodedDays(), known).read_days(DAYS)
        assert int(read[1].series["orders"].iloc[0]) == document["series"][0]["orders"]
        assert_same(read, from_json(store, DAYS))
    finally:
        store.put(key, original, "application/json")


def test_the_next_process_starts_with_the_digests_this_one_read(store: LocalStore) -> None:
    """Dagster's daemon runs each run in a new process: the digests are saved beside the data."""
    (store.root / SAVED_NAME).unlink(missing_ok=True)
    first, known = CountingStore(store.root), KnownDigests()
    known.put("file:///elsewhere/day.json", "1-2-3", "0" * 64)  # another store's: not saved here
    days = MergedStore(first, DecodedDays(), known).read_days(DAYS)
    assert first.json_reads == len(DAYS)
    assert SAVED_NAME not in store.list("")  # a file of the store's own, not an object
    saved = json.loads((store.root / SAVED_NAME).read_bytes())["digests"]
    assert sorted(uri for uri, _, _ in saved) == sorted(store.uri(layout.merged_keys(d)["json"]) for d in DAYS)
    # A new process (its own, empty KnownDigests): every digest comes from the saved file.
    second = CountingStore(store.root)
    assert_same(MergedStore(second, DecodedDays(), KnownDigests()).read_days(DAYS), days)
    assert second.json_reads == 0
    # A rewritten day is read again (its token changed); a damaged file is only a cache missed.
    key = layout.merged_keys(DAYS[0])["json"]
    store.put(key, store.get(key), "application/json")
    third = CountingStore(store.root)
    MergedStore(third, DecodedDays(), KnownDigests()).read_days(DAYS)
    assert third.json_reads == 1
    (store.root / SAVED_NAME).write_bytes(b"{not json")
    fourth = CountingStore(store.root)
    assert_same(MergedStore(fourth, DecodedDays(), KnownDigests()).read_days(DAYS), days)
    assert fourth.json_reads == len(DAYS)


def test_a_data_directory_that_cannot_take_the_saved_digests_is_read_as_before(
    store: LocalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    (store.root / SAVED_NAME).unlink(missing_ok=True)
    read_only = CountingStore(store.root)

    def refused(key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        raise StorageError(f"cannot write {key}: read-only file system")

    monkeypatch.setattr(read_only, "put", refused)
    assert_same(MergedStore(read_only, DecodedDays(), KnownDigests()).read_days(DAYS), from_json(store, DAYS))
    assert not (store.root / SAVED_NAME).exists()



def test_tables_without_rows_have_the_entries_of_their_columns() -> None:
    """Empty tables take a shortcut (one entry per dtype): each column's entry is still what the
    column itself gives, and a missing column is still refused."""
    from pizza_game.schema import empty_table
    from pizza_game.storage import columns
    from pizza_game.storage.codecs import MERGED_TABLES

    tables = {name: (empty_table(cols), cols) for name, cols in MERGED_TABLES.items()}
    header, body = columns.read_header(columns.encode_columns({"day": "2024-10-01"}, tables))
    assert len(body) == 0
    for name, (table, cols) in tables.items():
        assert header["tables"][name]["rows"] == 0
        for column, dtype in cols.items():
            spec, arrays = columns._column(table[column], dtype)
            entry = dict(header["tables"][name]["columns"][column])
            assert entry.pop("buffers") == [[0, 0, array.dtype.str] for array in arrays], (name, column)
            assert entry == spec, (name, column)
    series = MERGED_TABLES["series"]
    with pytest.raises(KeyError):
        columns.encode_columns({}, {"series": (empty_table(series).drop(columns="orders"), series)})
