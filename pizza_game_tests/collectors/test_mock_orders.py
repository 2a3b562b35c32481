import itertools

import numpy as np
import pandas as pd
import pytest

from pizza_game.collectors import mock_orders
from pizza_game.collectors.match_effects import MatchEffects
from pizza_game.collectors.mock_matches import generate_matches
from pizza_game.collectors.mock_orders import generate_orders
from pizza_game.collectors.teams import REGIONS, TEAM_REGIONS
from pizza_game.normalize.orders import normalize_orders
from pizza_game.schema import ORDER_COLUMNS, coerce

UK = "Europe/London"
# Sunday 27 October 2024: matches, and the clocks go back an hour.
MATCH_DAYS = pd.Timestamp("2024-10-26T00:00Z"), pd.Timestamp("2024-10-28T00:00Z")


@pytest.fixture(scope="module")
def season() -> pd.DataFrame:
    return generate_orders("2024-08-01T00:00Z", "2025-06-01T00:00Z", seed=42)


def window_mask(times: pd.Series, kickoffs: pd.Series, before: pd.Timedelta) -> np.ndarray:
    """True for times in any [kick-off - before, kick-off), without a loop over orders."""
    starts = np.sort((kickoffs - before).to_numpy())
    ends = np.sort(kickoffs.to_numpy())
    t = times.to_numpy()
    return np.searchsorted(starts, t, side="right") > np.searchsorted(ends, t, side="right")


def test_rows_are_canonical_and_all_mock():
    orders = generate_orders(*MATCH_DAYS, seed=42)
    pd.testing.assert_frame_equal(orders, coerce(orders, ORDER_COLUMNS))
    normalized = normalize_orders(orders, source="mock", where="mock orders")
    assert normalized.rejected.empty
    pd.testing.assert_frame_equal(normalized.rows, orders)
    assert orders["order_id"].is_unique and (orders["source"] == "mock").all()
    assert orders["ordered_at"].between(*MATCH_DAYS, inclusive="left").all()
    assert orders["ordered_at"].is_monotonic_increasing
    assert (orders["items"] >= 1).all() and (orders["total"] > 0).all()
    assert np.allclose(orders["total"] * 100, np.round(orders["total"] * 100))  # whole pence


def test_hour_by_hour_equals_the_whole_range():
    whole = generate_orders(*MATCH_DAYS, seed=42)
    hours = pd.date_range(*MATCH_DAYS, freq="h")
    by_hour = pd.concat(
        [generate_orders(a, b, seed=42) for a, b in itertools.pairwise(hours)], ignore_index=True
    )
    pd.testing.assert_frame_equal(by_hour, whole)
    odd = generate_orders("2024-10-26T13:17:05Z", "2024-10-27T09:00:01Z", seed=42)
    inside = whole[
        whole["ordered_at"].between(
            "2024-10-26T13:17:05Z", "2024-10-27T09:00:01Z", inclusive="left"
        )
    ]
    pd.testing.assert_frame_equal(odd, inside.reset_index(drop=True))


def test_same_seed_same_orders_other_seed_other_orders():
    first = generate_orders(*MATCH_DAYS, seed=42)
    pd.testing.assert_frame_equal(generate_orders(*MATCH_DAYS, seed=42), first)
    other = generate_orders(*MATCH_DAYS, seed=43)
    assert len(other) != len(first) or not other["ordered_at"].equals(first["ordered_at"])


def test_scale_multiplies_volume():
    small = generate_orders(*MATCH_DAYS, seed=42, scale=0.5)
    large = generate_orders(*MATCH_DAYS, seed=42, scale=4.0)
    assert 7.0 < len(large) / len(small) < 9.0


def test_stores_regions_and_volume(season):
    per_store = season.groupby("store_id")["region"].nunique()
    assert len(per_store) == 29 and (per_store == 1).all()
    assert set(season["region"]) == set(REGIONS)
    daily = season.groupby(season["ordered_at"].dt.floor("D")).size()
    assert 3_000 < daily.median() < 8_000


def test_lunch_and_dinner_peaks_in_uk_time(season):
    by_hour = (
        season["ordered_at"]
        .dt.tz_convert(UK)
        .dt.hour.value_counts()
        .reindex(range(24), fill_value=0)
    )
    assert by_hour.idxmax() in (18, 19, 20)
    lunch = by_hour.loc[11:14].idxmax()
    assert (
        lunch in (12, 13)
        and by_hour[lunch] > 1.5 * by_hour[10]
        and by_hour[lunch] > 1.5 * by_hour[15]
    )
    assert by_hour[4] < 0.02 * by_hour.max()


def test_weekends_and_winter_sell_more(season):
    local = season["ordered_at"].dt.tz_convert(UK)
    daily = season.groupby(local.dt.date).size()
    day = pd.to_datetime(pd.Series(daily.index))
    weekday = day.dt.day_of_week.to_numpy()
    assert daily[weekday >= 5].mean() > 1.2 * daily[weekday <= 3].mean()
    assert daily[weekday == 4].mean() > daily[weekday <= 3].mean()  # Friday
    winter = daily[day.dt.month.isin([12, 1]).to_numpy()].mean()
    summer = daily[day.dt.month.isin([8]).to_numpy()].mean()
    assert winter > 1.1 * summer


def test_baskets_and_totals(season):
    shares = season["items"].value_counts(normalize=True).sort_index()
    assert shares.index.min() == 1 and shares.index.max() <= 8
    assert shares.idxmax() == 1 and shares[1] > shares[2] > shares[3]
    per_item = season["total"] / season["items"]
    assert per_item.min() >= 8.18 and per_item.max() <= 23.51
    assert 20 < season["total"].mean() < 35


def test_planted_pre_match_lift_is_found_in_the_orders():
    span = pd.Timestamp("2024-08-01T00:00Z"), pd.Timestamp("2024-11-01T00:00Z")
    planted = generate_orders(*span, seed=5, effects=MatchEffects.only(pre=0.20))
    none = generate_orders(*span, seed=5, effects=MatchEffects.none())
    kickoffs = generate_matches(*span, seed=5, now=span[1])["kickoff_at"]
    inside_planted = window_mask(planted["ordered_at"], kickoffs, pd.Timedelta(hours=2))
    inside_none = window_mask(none["ordered_at"], kickoffs, pd.Timedelta(hours=2))
    assert inside_none.sum() > 10_000
    assert inside_planted.sum() / inside_none.sum() == pytest.approx(1.20, abs=0.03)
    assert (~inside_planted).sum() / (~inside_none).sum() == pytest.approx(1.0, abs=0.01)


def test_default_effects_are_stronger_in_the_clubs_regions():
    span = pd.Timestamp("2024-08-01T00:00Z"), pd.Timestamp("2024-12-01T00:00Z")
    real = generate_orders(*span, seed=5)
    none = generate_orders(*span, seed=5, effects=MatchEffects.none())
    matches = generate_matches(*span, seed=5, now=span[1])

    def lift(region: str, kickoffs: pd.Series) -> float:
        """Orders with / without effects - 1, in the hour before ``kickoffs``, in ``region``."""

        def count(orders: pd.DataFrame) -> int:
            mine = orders[orders["region"] == region]
            return window_mask(mine["ordered_at"], kickoffs, pd.Timedelta(hours=1)).sum()

        return count(real) / count(none) - 1

    for region in ("London", "North West"):
        involved = (matches["home_team"].map(TEAM_REGIONS) == region) | (
            matches["away_team"].map(TEAM_REGIONS) == region
        )
        kickoffs = matches.loc[involved, "kickoff_at"]
        elsewhere = lift("East of England", kickoffs)  # a region without a club
        assert 0.2 < elsewhere < 0.4  # +25 % for ordinary matches, more for big ones
        assert lift(region, kickoffs) > 1.5 * elsewhere


def test_explicit_matches_drive_the_effects():
    one = generate_matches(*MATCH_DAYS, seed=42, now=MATCH_DAYS[1]).iloc[[0]]
    planted = generate_orders(*MATCH_DAYS, seed=42, matches=one, effects=MatchEffects.only(pre=1.0))
    none = generate_orders(*MATCH_DAYS, seed=42, matches=one, effects=MatchEffects.none())
    window = (one["kickoff_at"].iloc[0] - pd.Timedelta(hours=2), one["kickoff_at"].iloc[0])

    def count(orders: pd.DataFrame) -> int:
        return orders["ordered_at"].between(*window, inclusive="left").sum()

    assert count(planted) > 1.6 * count(none)
    assert len(planted) - count(planted) == pytest.approx(len(none) - count(none), rel=0.05)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"start": "2024-10-26T00:00"}, "start must be timezone-aware"),
        ({"end": "2024-10-25T00:00Z"}, "is before start"),
        ({"scale": 0}, "scale multiplies"),
        ({"seed": "42"}, "non-negative integer"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    arguments = {"start": "2024-10-26T00:00Z", "end": "2024-10-27T00:00Z", "seed": 42} | kwargs
    with pytest.raises(ValueError, match=message):
        generate_orders(**arguments)


def test_an_empty_range_is_an_empty_canonical_table():
    orders = generate_orders("2024-10-26T10:00Z", "2024-10-26T10:00Z", seed=42)
    assert orders.empty
    pd.testing.assert_frame_equal(orders, coerce(orders, ORDER_COLUMNS))


def test_days_generated_together_equal_days_generated_alone():
    """Rates and match factors are computed for many days at once (``_DAYS_AT_ONCE``): across
    those batches every day is the day generated alone, match days and a clock change included."""
    start = pd.Timestamp("2024-10-10T00:00Z")
    days = pd.date_range(start, periods=mock_orders._DAYS_AT_ONCE + 5, freq="D")
    together = generate_orders(days[0], days[-1] + pd.Timedelta(days=1), seed=42)
    alone = pd.concat(
        [generate_orders(day, day + pd.Timedelta(days=1), seed=42) for day in days], ignore_index=True
    )
    pd.testing.assert_frame_equal(together, alone)
    assert together["order_id"].iloc[:2].tolist() == ["mock-20241010-000000", "mock-20241010-000001"]


def test_order_serials_past_the_kept_tables(monkeypatch):
    monkeypatch.setattr(mock_orders, "_KEPT_SERIALS", 16_384)
    for count in (0, 1, 8_192, 8_193, 16_384, 16_385, 40_000):
        assert mock_orders._serials(count).tolist() == [f"{k:06d}" for k in range(count)], count
    assert mock_orders._serials(1_000_001)[-2:].tolist() == ["999999", "1000000"]
