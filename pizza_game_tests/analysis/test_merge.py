import numpy as np
import pandas as pd
import pytest

from pizza_game.analysis.merge import ALL_REGIONS, SortedOrders, covered_ns, merge_day
from pizza_game.model import SERIES_COLUMNS, WINDOW_COLUMNS, to_ns
from pizza_game.normalize.matches import normalize_matches
from pizza_game.normalize.orders import normalize_orders
from pizza_game.schema import coerce

DAY = pd.Timestamp("2024-05-04", tz="UTC")


def _orders(n=6_000, seed=3):
    rng = np.random.default_rng(seed)
    times = DAY - pd.Timedelta("1D") + pd.to_timedelta(rng.uniform(0, 3 * 86_400, n), unit="s")
    records = pd.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(n)],
            "ordered_at": times.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "store_id": "s1",
            "region": rng.choice(["London", "North West", "Scotland"], n),
            "items": rng.integers(1, 5, n),
            "total": rng.uniform(8, 40, n).round(2),
        }
    )
    records.loc[records.index % 7 == 0, "source"] = "real"
    rows = normalize_orders(records.drop(columns="source"), source="mock", where="t").rows
    rows.loc[records.index % 7 == 0, "source"] = "real"
    return rows


def _matches():
    records = pd.DataFrame(
        {
            "match_id": ["early", "late", "tbd"],
            "kickoff_at": ["2024-05-04T01:00:00Z", "2024-05-04T22:45:00Z", "2024-05-04T00:00:00Z"],
            "home_team": ["A", "B", "C"],
            "away_team": ["D", "E", "F"],
            "status": ["FINISHED", "FINISHED", "SCHEDULED"],
        }
    )
    return normalize_matches(records, source="mock", where="t").rows


def _hours(missing=()):
    hours = pd.date_range(DAY - pd.Timedelta("1D"), periods=72, freq="h", tz="UTC")
    return hours[~hours.isin(pd.DatetimeIndex(missing, tz="UTC") if missing else [])]


@pytest.mark.parametrize("offset", ["0s", "37s"])  # window bounds on and off the whole minute
def test_window_counts_add_up_to_the_orders_inside_them(offset):
    orders, matches = _orders(), _matches()
    matches["kickoff_at"] += pd.Timedelta(offset)
    merged = merge_day(DAY, orders, matches, _hours())
    for row in merged.windows.itertuples():
        inside = orders[(orders["ordered_at"] >= row.start) & (orders["ordered_at"] < row.end)]
        if row.region != ALL_REGIONS:
            inside = inside[inside["region"] == row.region]
        assert row.orders == len(inside)
        assert row.items == inside["items"].sum()
        assert row.real_orders == (inside["source"] == "real").sum()
        assert abs(row.revenue - inside["total"].sum()) < 1e-6
    national = merged.windows[merged.windows["region"] == ALL_REGIONS].set_index(["match_id", "window"])["orders"]
    regional = merged.windows[merged.windows["region"] != ALL_REGIONS].groupby(["match_id", "window"])["orders"].sum()
    assert national.sort_index().tolist() == regional.sort_index().tolist()


def test_windows_cross_midnight_and_unknown_kickoffs_are_excluded():
    merged = merge_day(DAY, _orders(), _matches(), _hours())
    assert set(merged.windows["match_id"]) == {"early", "late"}
    late_post = merged.windows.query("match_id == 'late' and window == 'post' and region == 'ALL'").iloc[0]
    assert late_post["start"] == pd.Timestamp("2024-05-05T00:45:00Z")
    excluded = merged.matches.set_index("match_id")
    assert not excluded.loc["tbd", "analysable"] and excluded.loc["tbd", "excluded_reason"] == "kick-off time not known"
    assert merged.coverage["matches_excluded"] == 1


def test_series_totals_match_the_orders_of_the_day():
    orders = _orders()
    merged = merge_day(DAY, orders, _matches(), _hours())
    in_day = orders[(orders["ordered_at"] >= DAY) & (orders["ordered_at"] < DAY + pd.Timedelta("1D"))]
    series = merged.series
    assert len(series) == 96 * 4  # ALL + three regions
    assert series.loc[series["region"] == ALL_REGIONS, "orders"].sum() == len(in_day)
    assert series.loc[series["region"] != ALL_REGIONS, "orders"].sum() == len(in_day)
    by_region = in_day.groupby("region").size().to_dict()
    assert series[series["region"] != ALL_REGIONS].groupby("region")["orders"].sum().to_dict() == by_region
    during = series[(series["region"] == ALL_REGIONS) & (series["window"] == "during")]
    assert during["bin_start"].min() == pd.Timestamp("2024-05-04T01:00:00Z")
    assert during["matches_live"].max() == 1


def test_missing_hours_are_not_zero_orders():
    missing = ["2024-05-04T10:00:00", "2024-05-04T23:00:00"]
    merged = merge_day(DAY, _orders(), _matches(), _hours(missing))
    gap = merged.series[merged.series["bin_start"].dt.hour == 10]
    assert not gap["covered"].any() and gap["orders"].isna().all()
    assert merged.coverage["hours_missing"] == ["2024-05-04T10:00:00+00:00", "2024-05-04T23:00:00+00:00"]
    late = merged.windows.query("match_id == 'late' and region == 'ALL'").set_index("window")["coverage"]
    assert late["pre"] == 1.0  # 20:45-22:45 has data
    assert late["during"] == 0.5  # 23:00-24:00 of 22:45-00:45 has none
    assert late["post"] == 1.0


def test_covered_time_is_exact_for_partial_hours():
    hour = 3_600 * 10**9
    hours = np.array([0, hour, 3 * hour])
    assert covered_ns(hours, np.array([0, hour // 2, 2 * hour, 3 * hour + hour // 4, 10 * hour])).tolist() == [
        0, hour // 2, 2 * hour, 2 * hour + hour // 4, 3 * hour
    ]


def test_a_slice_of_sorted_orders_is_the_sorted_orders_of_the_slice():
    """A range's orders are sorted once and each day takes its slice (raw_days.merge_days): the
    slice numbers only the regions present in it, as sorting those orders alone would."""
    orders = _orders()
    orders.loc[orders["ordered_at"] < DAY, "region"] = "Aberdeen"  # a region only before the day
    start, end = DAY.value, (DAY + pd.Timedelta("1D")).value
    inside = orders[(to_ns(orders["ordered_at"]) >= start) & (to_ns(orders["ordered_at"]) < end)]
    sliced, alone = SortedOrders.of(orders).between(start, end), SortedOrders.of(inside)
    assert sliced.regions == alone.regions == ["London", "North West", "Scotland"]
    for name in ("ns", "region", "items", "revenue", "real"):
        np.testing.assert_array_equal(getattr(sliced, name), getattr(alone, name))


@pytest.mark.parametrize("played", [True, False])  # with windows, and a day without any
def test_merged_tables_are_built_canonical(played):
    """The series and windows tables are built with their canonical columns and dtypes (text as
    Python strings, counts Int64 with missing hours missing, ns UTC times even when empty):
    what ``schema.coerce`` would make of them, which the merge no longer calls."""
    matches = _matches() if played else _matches().iloc[2:]
    merged = merge_day(DAY, _orders(), matches, _hours(["2024-05-04T10:00:00"]))
    assert (len(merged.windows) > 0) == played
    for table, columns in ((merged.series, SERIES_COLUMNS), (merged.windows, WINDOW_COLUMNS)):
        pd.testing.assert_frame_equal(table, coerce(table, columns), check_exact=True)
        assert [str(t) for t in table.dtypes] == [str(t) for t in coerce(table, columns).dtypes]
        for name, dtype in columns.items():
            assert dtype != "str" or all(type(v) is str for v in table[name]), name
