"""Reading many merged days at once gives exactly what reading them one by one gives."""

from __future__ import annotations

import pandas as pd
import pytest

from pizza_game.analysis.merge import merge_day
from pizza_game.collectors.mock_matches import generate_matches
from pizza_game.collectors.mock_orders import generate_orders
from pizza_game.storage.codecs import decode_merged, decode_merged_days, encode_merged

START = pd.Timestamp("2024-10-18", tz="UTC")


@pytest.fixture(scope="module")
def encoded() -> list[tuple[bytes, str]]:
    """Four generated days around a Premier League weekend, some with matches, some without."""
    orders = generate_orders(START - pd.Timedelta(days=1), START + pd.Timedelta(days=5), seed=5)
    matches = generate_matches(START, START + pd.Timedelta(days=4), seed=5)
    hours = pd.date_range(START - pd.Timedelta(days=1), START + pd.Timedelta(days=5), freq="h", inclusive="left")
    out = []
    for offset in range(4):
        day = START + pd.Timedelta(days=offset)
        kicked_off = matches[(matches["kickoff_at"] >= day) & (matches["kickoff_at"] < day + pd.Timedelta(days=1))]
        out.append((encode_merged(merge_day(day, orders, kicked_off, hours))["json"], f"day {offset}"))
    return out


def test_together_equals_one_by_one(encoded: list[tuple[bytes, str]]) -> None:
    together = decode_merged_days(encoded)
    alone = [decode_merged(data, where) for data, where in encoded]
    assert [d.day for d in together] == [d.day for d in alone]
    assert sum(len(d.matches) for d in alone) > 0 and any(len(d.matches) == 0 for d in alone)
    for a, b in zip(together, alone, strict=True):
        for name in ("series", "windows", "matches"):
            pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
        assert a.coverage == b.coverage


def test_a_malformed_day_is_named(encoded: list[tuple[bytes, str]]) -> None:
    broken = encoded[2][0].replace(b'"bin_start":"2024', b'"bin_start":"soon', 1)
    with pytest.raises(ValueError, match="day 2 is not a valid merged_dataset object"):
        decode_merged_days([encoded[0], (broken, "day 2"), encoded[3]])
