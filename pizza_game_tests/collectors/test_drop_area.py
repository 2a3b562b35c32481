"""The drop area without Dagster: keys, the cursor, partial and failed imports, the scan budget."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from pizza_game.collectors.drop_area import (
    DropCursor,
    DropLayoutError,
    handled_key,
    parse_key,
    scan_drop_area,
)
from pizza_game.storage.store import LocalStore

NOW = pd.Timestamp("2024-11-01T09:30:05Z")
GOOD_AND_BAD = b"""order_id,ordered_at,store_id,region,items,total
G-1,2024-10-15T18:05:00Z,st-1,London,2,21.50
G-2,2024-10-15T18:20:00Z,st-1,London,0,5.00
G-3,2024-10-15T19:10:00+01:00,st-1,London,1,7.25
"""


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path)


def put(store: LocalStore, key: str, data: bytes) -> None:
    store.put(key, data, "text/csv")


def scan_twice(store: LocalStore, max_files: int = 20):
    """Two scans: the first sees each file's size, the second handles the files whose size held."""
    first = scan_drop_area(store, DropCursor(), now=NOW, max_files=max_files)
    return scan_drop_area(store, first.cursor, now=NOW, max_files=max_files)


@pytest.mark.parametrize(
    ("key", "kind", "timezone"),
    [
        ("imports/orders/a.csv", "orders", None),
        ("imports/orders/Europe__London/a.csv", "orders", "Europe/London"),
        ("imports/matches/America__Argentina__Buenos_Aires/b.JSON", "matches", "America/Argentina/Buenos_Aires"),
        ("imports/matches/UTC/b.json", "matches", "UTC"),
    ],
)
def test_a_key_says_what_the_file_holds_and_how_to_read_its_times(key: str, kind: str, timezone: str | None) -> None:
    dropped = parse_key(key)
    assert (dropped.kind, dropped.timezone) == (kind, timezone)


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("imports/orders/notes.txt", "not a .csv or .json file"),
        ("imports/orders/Europe/London/a.csv", "nested too deep"),
        ("imports/stores/a.csv", "not under imports/orders/ or imports/matches/"),
    ],
)
def test_a_key_off_the_layout_is_refused_with_the_reason(key: str, reason: str) -> None:
    with pytest.raises(DropLayoutError, match=reason):
        parse_key(key)


def test_handled_files_keep_their_folder_and_name_behind_a_stamp_and_a_fingerprint() -> None:
    key = handled_key("imports/done", "imports/orders/Europe__London/a.csv", "0123456789abcdef", NOW)
    assert key == "imports/done/orders/Europe__London/20241101T093005Z_01234567_a.csv"


def test_the_cursor_survives_its_text_form() -> None:
    cursor = DropCursor(sizes={"imports/orders/a.csv": 12}, pending={"imports/orders/b.csv": "ab"}, done=("ab", "cd"))
    assert DropCursor.from_json(cursor.to_json()) == cursor
    assert DropCursor.from_json(None) == DropCursor()


def test_good_rows_land_and_bad_rows_are_kept_with_their_reason(store: LocalStore) -> None:
    put(store, "imports/orders/mixed.csv", GOOD_AND_BAD)
    scan = scan_twice(store)

    (imported,) = scan.imported
    assert (imported.rows, imported.rejected) == (2, 1)
    assert (imported.first, imported.last) == ("2024-10-15-18:00", "2024-10-15-18:00")
    document = json.loads(store.get("raw-data/dominos-orders/real/2024/10/15/20241015_180000_orders.json"))
    assert sorted(r["order_id"] for r in document["rows"]) == ["G-1", "G-3"]
    (rejected,) = document["rejected"]
    assert rejected["reason"] == "items must be from 1 to 1,000"
    assert rejected["where"] == f"{store.uri('imports/orders/mixed.csv')} row 2"


def test_a_file_without_one_good_row_fails_with_every_reason(store: LocalStore) -> None:
    put(store, "imports/orders/bad.csv", b"order_id,ordered_at,items,total\nB-1,2024-10-15T18:05:00Z,0,1\nB-2,,1,1\n")
    scan = scan_twice(store)

    (failed,) = scan.failed
    assert "no row could be imported" in failed.error
    assert "items must be from 1 to 1,000" in failed.error and "missing timestamp" in failed.error
    assert store.get(failed.moved_to + ".error.txt").decode().startswith(store.uri("imports/orders/bad.csv"))
    assert store.exists(failed.moved_to)
    assert not store.exists("imports/orders/bad.csv")


def test_a_file_still_growing_waits(store: LocalStore) -> None:
    put(store, "imports/orders/big.csv", GOOD_AND_BAD[:60])
    first = scan_drop_area(store, DropCursor(), now=NOW)
    put(store, "imports/orders/big.csv", GOOD_AND_BAD)
    second = scan_drop_area(store, first.cursor, now=NOW)
    assert second.imported == [] and second.waiting == ["imports/orders/big.csv"]
    third = scan_drop_area(store, second.cursor, now=NOW)
    assert [i.key for i in third.imported] == ["imports/orders/big.csv"]


def test_a_scan_handles_at_most_its_budget_and_leaves_the_rest_for_the_next(store: LocalStore) -> None:
    for n in range(3):
        put(store, f"imports/orders/part{n}.csv", GOOD_AND_BAD.replace(b"G-", f"P{n}-".encode()))
    scan = scan_twice(store, max_files=2)
    assert [i.key for i in scan.imported] == ["imports/orders/part0.csv", "imports/orders/part1.csv"]
    assert scan.waiting == ["imports/orders/part2.csv"]
    after = scan_drop_area(store, scan.cursor, now=NOW, max_files=2)
    assert sorted(after.archived) == ["imports/orders/part0.csv", "imports/orders/part1.csv"]
    final = scan_drop_area(store, after.cursor, now=NOW, max_files=2)
    assert [i.key for i in final.imported] == ["imports/orders/part2.csv"]
