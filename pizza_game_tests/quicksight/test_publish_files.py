"""The daily dataset files: one encoding of every day gives each day's own bytes, and a file whose
bytes did not change is left as it is."""

from __future__ import annotations

import pandas as pd

from pizza_game.quicksight.datasets import DATASETS, conform, daily_rows, encode
from pizza_game.quicksight.publish import encode_daily
from pizza_game.storage.csv_text import CSV_TYPE
from pizza_game.storage.store import LocalStore, put_if_changed

DATASET = DATASETS["orders_hourly"]


def orders_hourly(text: str) -> pd.DataFrame:
    """Three days of rows of every column kind; ``text`` goes in every STRING cell of one row."""
    times = pd.date_range("2025-03-01T22:00Z", periods=30, freq="h")
    values: dict[str, object] = {}
    for name, kind in DATASET.columns.items():
        if kind in ("DATETIME", "DATE"):
            values[name] = times
        elif kind in ("INTEGER", "BOOLEAN"):
            values[name] = [i % 2 if kind == "BOOLEAN" else i for i in range(30)]
        elif kind == "DECIMAL":
            values[name] = [i / 7 if i % 5 else None for i in range(30)]
        else:
            values[name] = [text if i == 3 else f"r{i % 4}" if i % 6 else None for i in range(30)]
    return conform(DATASET, pd.DataFrame(values))


def test_one_encoding_of_every_day_gives_each_days_own_bytes():
    for text in ("=1+1", "plain, with a comma", 'a "quoted" word', "two\nlines"):
        daily = daily_rows(DATASET, orders_hourly(text))
        assert len(daily.days) >= 2
        assert encode_daily(DATASET, daily) == {day: encode(DATASET, rows) for day, rows in daily.slices().items()}


def test_a_file_with_the_same_bytes_is_not_rewritten(tmp_path):
    store = LocalStore(tmp_path)
    put_if_changed(store, "a/day.csv", b"x,y\n1,2\n", CSV_TYPE)
    path = tmp_path / "a" / "day.csv"
    before = path.stat().st_ino
    put_if_changed(store, "a/day.csv", b"x,y\n1,2\n", CSV_TYPE)
    assert path.stat().st_ino == before  # an atomic write replaces the file (a new inode)
    put_if_changed(store, "a/day.csv", b"x,y\n1,3\n", CSV_TYPE)
    assert path.read_bytes() == b"x,y\n1,3\n"


def test_daily_rows_are_each_days_rows_sorted():
    """One sort of every day gives what sorting each day's rows gives; rows without a day are left out."""
    table = orders_hourly("x")
    no_day = table.iloc[:2].copy()
    no_day["hour"] = pd.Series([pd.NaT, pd.NaT], index=no_day.index, dtype=table["hour"].dtype)
    table = pd.concat([table.sample(frac=1, random_state=3), no_day], ignore_index=True)
    days = table["hour"].dt.floor("D")
    expected = {day: rows.sort_values(list(DATASET.key)).reset_index(drop=True) for day, rows in table.groupby(days)}
    slices = daily_rows(DATASET, table).slices()
    assert list(slices) == list(expected)
    for day, rows in expected.items():
        pd.testing.assert_frame_equal(slices[day], rows, check_exact=True)
