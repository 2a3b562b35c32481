"""The orders the typical_volume check counts of a merged day."""

from __future__ import annotations

import pandas as pd

from pizza_game.analysis.merge import ALL_REGIONS
from pizza_game.assets.merged_summary import daily_orders
from pizza_game.model import MergedDay

DAY = pd.Timestamp("2024-10-05", tz="UTC")


def test_daily_orders_counts_the_national_covered_bins_of_the_day_only() -> None:
    bins = pd.to_datetime(
        [
            *("2024-10-04T23:45Z", "2024-10-05T00:00Z", "2024-10-05T12:00Z", "2024-10-05T23:45Z"),
            *("2024-10-06T00:00Z", "NaT", "2024-10-05T13:00Z", "2024-10-05T14:00Z"),
        ],
        utc=True,
    )
    series = pd.DataFrame(
        {
            "bin_start": bins,
            "region": [ALL_REGIONS] * 6 + ["London", ALL_REGIONS],
            "covered": [True, True, True, True, True, True, True, False],
            # Counted: the three national covered bins of the day, one of them without a count.
            "orders": pd.array([1, 10, None, 100, 1_000, 10_000, 100_000, 1_000_000], dtype="Int64"),
        }
    )
    day = MergedDay(DAY, series, pd.DataFrame(), pd.DataFrame())
    assert daily_orders(day) == 110.0
