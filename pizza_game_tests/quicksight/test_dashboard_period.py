"""The dashboard's hourly orders cover exactly its period: the last days ending on ``as_of``, cut
out of the stacked merged days the analysis reads (StackedDays.since), or out of any days given."""

from __future__ import annotations

import pandas as pd

from pizza_game.quicksight.dashboard import build_dashboard_data, hourly_series
from pizza_game.storage.stacked_days import StackedDays
from pizza_game_tests.report.synthetic import synthetic_dashboard

PERIOD = 4


def _orders(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["record_type"] == "orders"].reset_index(drop=True)


def test_the_hourly_orders_are_those_of_the_period_only():
    built = synthetic_dashboard("2024-09-10", 7, period_days=PERIOD)
    as_of = built.days[-1].day
    first = as_of - pd.Timedelta(days=PERIOD - 1)
    hours = pd.to_datetime(_orders(built.dashboard)["time"], utc=True)
    assert hours.min() == first and hours.max() == as_of + pd.Timedelta(hours=23)
    period = [d for d in built.days if d.day >= first]
    assert len(period) == PERIOD
    expected = hourly_series(pd.concat([d.series for d in period], ignore_index=True))
    assert len(_orders(built.dashboard)) == len(expected)
    assert _orders(built.dashboard)["value"].astype(int).sum() == expected["value"].sum()


def test_the_stacked_days_since_the_first_give_the_same_table_as_every_day():
    built = synthetic_dashboard("2024-09-10", 7, period_days=PERIOD)
    as_of = built.days[-1].day
    first = as_of - pd.Timedelta(days=PERIOD - 1)
    stacked = StackedDays.of(built.days)
    since = stacked.since(first)
    assert since.days == [d.day for d in built.days[-PERIOD:]]
    pd.testing.assert_frame_equal(
        since.tables["series"], pd.concat([d.series for d in built.days[-PERIOD:]], ignore_index=True)
    )
    args = (built.summary, built.windows, built.matches, as_of)
    pd.testing.assert_frame_equal(
        build_dashboard_data(since.tables["series"], *args, period_days=PERIOD), built.dashboard
    )
    assert stacked.since(as_of + pd.Timedelta(days=1)).days == []
    assert len(stacked.since(as_of + pd.Timedelta(days=1)).tables["series"]) == 0
