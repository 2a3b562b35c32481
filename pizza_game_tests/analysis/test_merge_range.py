"""merge_range builds, in one pass, the tables that merge_day builds day by day."""

import numpy as np
import pandas as pd
import pytest

from pizza_game.analysis.merge import merge_day, merge_range
from pizza_game.analysis.windows import WindowConfig
from pizza_game_tests.analysis.synthetic import make_matches, make_orders

DAYS = pd.date_range("2023-08-07", "2023-08-27", freq="D", tz="UTC")


@pytest.fixture(scope="module")
def data():
    matches = make_matches("2023-08-07", 3, seed=4)
    orders = make_orders("2023-08-07", 3, seed=4, matches=matches, per_day=600, real_share=0.5)
    return orders, matches


def _by_day(orders, matches, hours):
    merged = []
    for day in DAYS:
        on_day = matches[
            (matches["kickoff_at"] >= day) & (matches["kickoff_at"] < day + pd.Timedelta(days=1))
        ]
        merged.append(merge_day(day, orders, on_day, hours, WindowConfig()))
    return merged


def _compare(range_table, day_tables, keys):
    expected = pd.concat(day_tables, ignore_index=True).sort_values(keys, ignore_index=True)
    got = range_table.merge(expected[keys], on=keys).sort_values(keys, ignore_index=True)
    pd.testing.assert_frame_equal(got[expected.columns], expected, check_dtype=False, atol=1e-6)


def test_merge_range_equals_merge_day_concatenated(data):
    orders, matches = data
    hours = pd.date_range(
        DAYS[0] - pd.Timedelta(days=1), DAYS[-1] + pd.Timedelta(days=2), freq="h", inclusive="left"
    )
    hours = hours[(hours.day != 13) | (hours.hour != 15)]  # one hour without raw data
    merged = _by_day(orders, matches, hours)
    whole = merge_range(orders, matches, DAYS[0], DAYS[-1] + pd.Timedelta(days=1), hours)
    _compare(whole.series, [m.series for m in merged], ["bin_start", "region"])
    _compare(whole.windows, [m.windows for m in merged], ["match_id", "window", "region"])
    assert len(whole.windows) == sum(len(m.windows) for m in merged)
    assert not whole.series.loc[
        whole.series["bin_start"] == pd.Timestamp("2023-08-13 15:00", tz="UTC"), "covered"
    ].any()
    assert whole.coverage["hours_missing"] == 1
    assert whole.matches["analysable"].all() and len(whole.matches) == len(matches)


def test_windows_off_the_minute_use_exact_order_times(data):
    orders, matches = data
    odd = matches.copy()
    odd["kickoff_at"] = odd["kickoff_at"] + pd.Timedelta(seconds=30)
    whole = merge_range(orders, odd, DAYS[0], DAYS[-1] + pd.Timedelta(days=1))
    row = whole.windows[
        (whole.windows["region"] == "ALL") & (whole.windows["window"] == "pre")
    ].iloc[0]
    stamps = orders["ordered_at"]
    assert row["orders"] == int(((stamps >= row["start"]) & (stamps < row["end"])).sum())


def test_merge_range_rejects_an_empty_period(data):
    orders, matches = data
    with pytest.raises(ValueError, match="start < end"):
        merge_range(orders, matches, DAYS[3], DAYS[3])
    assert np.isclose(
        merge_range(orders, matches, DAYS[0], DAYS[1]).series["orders"].sum() / 2,
        ((orders["ordered_at"] >= DAYS[0]) & (orders["ordered_at"] < DAYS[1])).sum(),
    )
