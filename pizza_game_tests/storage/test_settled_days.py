"""The analysis's read of its horizon takes the settled days from one file (storage/settled_days.py).

A real run over eight days writes the merged days and their copies. The analysis's read
(``read_stacked``) must give exactly what decoding every day's JSON gives, whether the settled days
come from the file or not, take from the file only days whose JSON is unchanged, and never use a
file it cannot read. Each read starts with nothing in memory: its own known digests and decoded days.
"""

from __future__ import annotations

import json
import struct

import dagster as dg
import pandas as pd
import pytest

from pizza_game.definitions import make_definitions
from pizza_game.model import MergedDay
from pizza_game.runner import run_pipeline
from pizza_game.storage import columns, layout
from pizza_game.storage.codecs import decode_merged_days
from pizza_game.storage.decoded_days import DecodedDays
from pizza_game.storage.known_digests import KnownDigests
from pizza_game.storage.partitioned import MergedStore
from pizza_game.storage.settled_days import SETTLED_NAME, UNSETTLED_DAYS, Settled
from pizza_game.storage.store import LocalStore

START, END = pd.Timestamp("2024-10-01", tz="UTC"), pd.Timestamp("2024-10-09", tz="UTC")
DAYS = list(pd.date_range(START, END, freq="D", inclusive="left"))
TABLES = ("series", "windows", "matches")


class CountingStore(LocalStore):
    """A local store that records the keys of the objects read in bulk (the copies)."""

    def __init__(self, root):
        super().__init__(root)
        self.asked: list[str] = []

    def get_many(self, keys: list[str]) -> dict[str, tuple[bytes, str]]:
        self.asked += keys
        return super().get_many(keys)


@pytest.fixture
def store(tmp_path_factory) -> CountingStore:
    root = tmp_path_factory.mktemp("data")
    run_pipeline(START, END, defs=make_definitions(data_dir=str(root), seed=11), instance=dg.DagsterInstance.ephemeral(), log_level="ERROR")
    return CountingStore(root)


def read(store: CountingStore, days: list[pd.Timestamp]):
    store.asked = []
    return MergedStore(store, DecodedDays(), KnownDigests()).read_stacked(days)


def copies_read(store: CountingStore) -> list[str]:
    return [key for key in store.asked if key.startswith(layout.MERGED_COLUMNS_PREFIX)]


def assert_as_json(store: LocalStore, stacked, days: list[pd.Timestamp]) -> None:
    expected = decode_merged_days([(store.get(layout.merged_keys(d)["json"]), d.isoformat()) for d in days])
    assert stacked.days == [d.day for d in expected]
    assert stacked.coverage == [d.coverage for d in expected]
    for name in TABLES:
        pd.testing.assert_frame_equal(stacked.tables[name], pd.concat([getattr(d, name) for d in expected], ignore_index=True), check_exact=True)
        assert list(stacked.bounds[name]) == [0, *pd.Series([len(getattr(d, name)) for d in expected]).cumsum()]


def held_days(store: LocalStore) -> list[str]:
    return [day for day, _ in Settled(store.get(SETTLED_NAME)).held]


def test_the_settled_days_come_from_the_file_and_read_as_their_json(store: CountingStore) -> None:
    # The run's analysis read its horizon, which wrote the file; without it every copy is read.
    assert held_days(store)
    store.delete(SETTLED_NAME)
    first = read(store, DAYS)
    assert_as_json(store, first, DAYS)
    assert len(copies_read(store)) == len(DAYS)
    settled = len(DAYS) - UNSETTLED_DAYS
    assert held_days(store) == [f"{d:%Y-%m-%d}" for d in DAYS[:settled]]
    again = read(store, DAYS)
    assert_as_json(store, again, DAYS)
    assert copies_read(store) == [layout.merged_columns_key(d) for d in DAYS[settled:]]
    # The next day's horizon starts a day later: the file still gives its settled days.
    later = read(store, DAYS[1:])
    assert_as_json(store, later, DAYS[1:])
    assert copies_read(store) == [layout.merged_columns_key(d) for d in DAYS[settled:]]


def test_a_settled_day_merged_again_is_read_from_its_copy_and_the_file_follows(store: CountingStore) -> None:
    read(store, DAYS)
    day = decode_merged_days([(store.get(layout.merged_keys(DAYS[2])["json"]), "day 3")])[0]
    series = day.series.copy()
    series["orders"] = series["orders"] + (series.index == 0) * 1000
    MergedStore(store).write(MergedDay(day=day.day, series=series, windows=day.windows, matches=day.matches, coverage={**day.coverage, "orders_in_day": day.coverage["orders_in_day"] + 1000}))
    changed = read(store, DAYS)
    assert_as_json(store, changed, DAYS)
    assert int(changed.tables["series"]["orders"].iloc[changed.bounds["series"][2]]) == int(series["orders"].iloc[0])
    # The days before it came from the file, the rest from their copies; the file now holds the new day.
    assert copies_read(store) == [layout.merged_columns_key(d) for d in DAYS[2:]]
    again = read(store, DAYS)
    assert_as_json(store, again, DAYS)
    assert copies_read(store) == [layout.merged_columns_key(d) for d in DAYS[len(DAYS) - UNSETTLED_DAYS :]]


def with_rows_moved(data: bytes) -> bytes:
    """The file with a well-formed header whose rows per day no longer add up to its series."""
    header, body = columns.read_header(data)
    header["day_rows"]["series"][0] += 1
    head = json.dumps(header).encode()
    return columns.MAGIC + struct.pack("<Q", len(head)) + head + bytes(body)


@pytest.mark.parametrize("damage", ["truncated", "garbage", "other rows"])
def test_a_file_that_cannot_be_read_is_not_used_and_is_written_again(store: CountingStore, damage: str) -> None:
    read(store, DAYS)
    data = store.get(SETTLED_NAME)
    damaged = {
        "truncated": data[: len(data) // 2],
        "garbage": b"not a settled-days file",
        "other rows": with_rows_moved(data),
    }[damage]
    assert damaged != data
    store.put(SETTLED_NAME, damaged)
    assert_as_json(store, read(store, DAYS), DAYS)
    assert len(copies_read(store)) == len(DAYS)
    assert store.get(SETTLED_NAME) != damaged
    assert_as_json(store, read(store, DAYS), DAYS)
    assert len(copies_read(store)) == UNSETTLED_DAYS
