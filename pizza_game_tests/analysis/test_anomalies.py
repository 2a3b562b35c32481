"""Anomalies and probable outages: a planted surge on real orders, calibration, an outage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from pizza_game.analysis.anomaly_units import BORROWED
from pizza_game.analysis.config import AnalysisConfig
from pizza_game.collectors.file_import import import_orders
from pizza_game.collectors.match_effects import MatchEffects
from pizza_game.collectors.mock_matches import generate_matches
from pizza_game.collectors.mock_orders import generate_orders
from pizza_game.collectors.teams import BIG_SIX, DERBY_PAIRS
from pizza_game.report.html import data_quality
from pizza_game.schema import MATCH_COLUMNS, coerce
from pizza_game_tests.analysis.merged_days import analyse_orders
from pizza_game_tests.analysis.synthetic import make_matches, make_orders
from pizza_game_tests.collectors.conftest import PIZZA_PLACE

NEW_YORK = "America/New_York"
MATCH_DAY = pd.Timestamp("2015-06-13")  # a Saturday
KICKOFF = pd.Timestamp("2015-06-13 19:00").tz_localize(NEW_YORK).tz_convert("UTC")


def one_match(kickoff: pd.Timestamp) -> pd.DataFrame:
    row = {
        "match_id": "planted",
        "competition": "PL",
        "kickoff_at": kickoff,
        "kickoff_known": True,
        "status": "FINISHED",
        "stage": "REGULAR_SEASON",
        "matchday": 30,
        "home_team": "Arsenal FC",
        "away_team": "Chelsea FC",
        "home_score": 2,
        "away_score": 1,
        "home_score_ht": 1,
        "away_score_ht": 0,
        "winner": "HOME_TEAM",
        "source": "mock",
    }
    return coerce(pd.DataFrame([row]), MATCH_COLUMNS)


@pytest.fixture(scope="module")
def real_orders():
    return import_orders(PIZZA_PLACE / "orders_canonical.csv", timezone=NEW_YORK).rows


def planted_surge(orders: pd.DataFrame, lift: float, seed: int = 5) -> pd.DataFrame:
    """``lift`` more orders on MATCH_DAY than the mean of the same weekday 4 weeks either side,
    half of them in the two hours before kick-off, the rest over the trading day (11:00-23:00)."""
    local_day = orders["ordered_at"].dt.tz_convert(NEW_YORK).dt.normalize().dt.tz_localize(None)
    weeks = [MATCH_DAY + pd.Timedelta(weeks=k) for k in (-4, -3, -2, -1, 1, 2, 3, 4)]
    around = local_day.isin(weeks).sum() / len(weeks)
    extra = round(float(lift * around))
    rng = np.random.default_rng(seed)
    opening = pd.Timestamp(f"{MATCH_DAY.date()} 11:00").tz_localize(NEW_YORK).tz_convert("UTC")
    pre = KICKOFF - pd.Timedelta(hours=2) + pd.to_timedelta(rng.uniform(0, 7200, extra // 2), "s")
    rest = opening + pd.to_timedelta(rng.uniform(0, 12 * 3600, extra - extra // 2), "s")
    added = orders.sample(extra, random_state=seed, replace=True).reset_index(drop=True)
    added["order_id"] = [f"planted{i}" for i in range(extra)]
    added["source"] = "mock"
    added["ordered_at"] = pd.DatetimeIndex(np.concatenate([pre, rest])).as_unit("ns")
    planted = pd.concat([orders, added], ignore_index=True)
    return planted.sort_values("ordered_at", ignore_index=True)


def day_anomalies(result) -> pd.DataFrame:
    days = result.spikes[result.spikes["scale"] == "day"]
    local = days["start"].dt.tz_convert(NEW_YORK).dt.normalize().dt.tz_localize(None)
    return days[local == MATCH_DAY]


def test_planted_day_long_surge_on_real_orders_is_a_day_anomaly(real_orders):
    config = AnalysisConfig(timezone=NEW_YORK, regional=False)
    result = analyse_orders(planted_surge(real_orders, 0.75), one_match(KICKOFF), config)
    found = day_anomalies(result)
    assert len(found) == 1
    day = found.iloc[0]
    assert day["direction"] == "high" and 0.5 < day["lift"] < 1.0
    assert day["p_adjusted"] < 0.05 and "planted:pre" in day["windows"].split(";")
    assert 0.5 < day["real_share"] < 0.7 and day["source"] == "mixed"  # the planted orders are mock
    assert result.summary["spikes"]["by_scale"]["day"]["anomalies"] >= 1
    # The same day without the surge is not an anomaly: the flag is the surge's.
    plain = analyse_orders(real_orders, one_match(KICKOFF), config)
    assert day_anomalies(plain).empty


def null_hour_tests(seeds) -> pd.DataFrame:
    frames = []
    for seed in seeds:
        matches = make_matches("2023-08-07", 16, seed=seed, skip_every=4)
        orders = make_orders("2023-08-07", 16, seed=seed + 1000, matches=matches)
        tests = analyse_orders(orders, matches, AnalysisConfig(regional=False)).anomaly_tests
        frames.append(tests[tests["scale"] == "hour"])
    return pd.concat(frames, ignore_index=True)


def window_share_is_time_share(hours: pd.DataFrame, candidate_p: float = 0.01) -> tuple:
    """(share of tested hours in windows, share of candidate hours in windows, binomial p)."""
    time_share = hours["in_match_window"].mean()
    candidates = hours[hours["p_value"] < candidate_p]
    inside = int(candidates["in_match_window"].sum())
    test = sps.binomtest(inside, len(candidates), time_share)
    return time_share, inside / len(candidates), test.pvalue


@pytest.mark.slow
def test_world_without_effects_flags_windows_at_their_share_of_time():
    hours = null_hour_tests(range(5))
    time_share, flagged_share, p = window_share_is_time_share(hours)
    # The old median/MAD spikes put about 90% of their flags in match windows (under a third of
    # the time); a calibrated model puts them there in proportion to the time the windows cover.
    assert 0.05 < time_share < 0.2
    assert flagged_share < 2 * time_share and p > 1e-3
    assert 0.005 < (hours["p_value"] < 0.01).mean() < 0.015  # raw false-flag rate near nominal
    assert hours["anomaly"].mean() < 1e-3  # after Benjamini-Hochberg: (almost) nothing


@pytest.fixture(scope="module")
def outage_world():
    # every third week without football: 8 match-free weekend days, the window-scale minimum
    matches = make_matches("2023-08-07", 12, seed=3, skip_every=3)
    orders = make_orders("2023-08-07", 12, seed=4, matches=matches)
    saturday = matches[matches["kickoff_at"].dt.tz_convert("Europe/London").dt.day_of_week == 5]
    day = saturday["kickoff_at"].dt.tz_convert("Europe/London").dt.normalize().iloc[8]
    start = (day + pd.Timedelta(hours=12)).tz_convert("UTC")
    end = start + pd.Timedelta(hours=6)
    cut = orders[(orders["ordered_at"] < start) | (orders["ordered_at"] >= end)]
    hit = matches[(matches["kickoff_at"] >= start) & (matches["kickoff_at"] < end)]
    return matches, cut.reset_index(drop=True), start, end, hit


def test_six_hour_outage_is_reported_and_excluded(outage_world):
    matches, orders, start, end, hit = outage_world
    assert len(hit) >= 3
    result = analyse_orders(orders, matches, AnalysisConfig(regional=False))
    outages = result.summary["data_quality"]["probable_outages"]
    assert outages["count"] == 1 and outages["treated_as"] == "missing"
    period = outages["periods"][0]
    assert pd.Timestamp(period["start"]) == start and pd.Timestamp(period["end"]) == end
    assert period["hours"] == 6.0 and period["expected_orders"] > 100
    rows = result.match_windows[
        result.match_windows["match_id"].isin(hit["match_id"])
        & result.match_windows["window"].isin(["pre", "during"])
    ]
    assert not rows["used"].any()
    assert set(rows["unused_reason"]) == {"window lacks order data (coverage)"}
    assert not (rows["lift"] <= -0.99).any()
    assert result.summary["period"]["hours_without_data"] >= 6
    shown = data_quality(result.summary)
    assert f"{period['start']} to {period['end']}" in shown and "treated as missing" in shown
    assert "window: 0 of" in shown and "Largest: " not in shown  # nothing anomalous is left
    # Treated as real zeros, the same matches show -100% over fully covered windows (their lift
    # test is below its minimums in 12 weeks, so "used" says why not, but never "coverage").
    zero = analyse_orders(orders, matches, AnalysisConfig(regional=False, outages="zero"))
    assert zero.summary["data_quality"]["probable_outages"]["count"] == 1
    inside = hit[hit["kickoff_at"] + pd.Timedelta(hours=2) <= end]["match_id"]
    table = zero.match_windows
    zero_rows = table[table["match_id"].isin(inside) & (table["window"] == "during")]
    assert len(zero_rows) >= 3 and (zero_rows["lift"] <= -0.99).all()
    assert (zero_rows["coverage"] == 1.0).all() and not zero_rows["unused_reason"].str.contains("coverage").any()
    assert "treated as zero" in data_quality(zero.summary)
    assert "Largest: hour" in data_quality(zero.summary)
    assert f"window {start.date()}T" in data_quality(zero.summary)  # the zeroed windows are listed
    days = zero.spikes[zero.spikes["scale"] == "day"]
    assert ((days["start"] <= start) & (days["end"] >= end) & (days["lift"] < -0.3)).any()


def test_match_windows_carry_the_window_scale_flag(outage_world):
    matches, orders, *_ = outage_world
    result = analyse_orders(orders, matches, AnalysisConfig(regional=False, outages="zero"))
    table = result.match_windows
    assert table["anomaly"].dtype == bool
    tested = table["anomaly_p"].notna()
    proper = table["window"].isin(["pre", "during", "post"])
    assert tested[proper].mean() > 0.9
    # The extended windows have 7 match-free reference days, one short of the minimum: untested,
    # and the summary says why instead of giving a p-value.
    assert not tested[table["window"] == "extended"].any()
    (extended,) = result.summary["spikes"]["by_scale"]["window"]["not_tested"]
    assert extended["window"] == "extended" and extended["reason"].endswith("this range has 7")
    # The zeroed windows are window-scale anomalies with tiny p, low direction.
    windows = result.spikes[result.spikes["scale"] == "window"]
    assert (windows["direction"] == "low").any()
    flagged = table[table["anomaly"]]
    assert (flagged["anomaly_p_adjusted"] < 0.05).all()
    assert set(flagged["match_id"]) >= set(outage_world[4]["match_id"])


def test_outage_setting_is_checked():
    with pytest.raises(ValueError, match="outages must be one of"):
        AnalysisConfig(outages="ignore")


def test_short_range_without_effects_flags_nothing_and_says_what_window_and_day_scales_lack():
    """14 mock days without match effects, ending 2024-09-21 00:00 UTC (01:00 London): the window
    scale has no match-free reference day at the windows' times and is not tested; nothing is
    flagged at any scale, and the report says why the windows were not tested."""
    start, end = pd.Timestamp("2024-09-07T00:00Z"), pd.Timestamp("2024-09-21T00:00Z")
    matches = generate_matches(start, end, seed=1, now=end + pd.Timedelta(days=30))
    orders = generate_orders(
        start - pd.Timedelta(hours=12), end, seed=1, matches=matches, effects=MatchEffects.none()
    )
    config = AnalysisConfig(big_match_teams=BIG_SIX, derbies=DERBY_PAIRS)
    result = analyse_orders(orders, matches, config, start, end)
    assert result.spikes.empty  # no anomaly at any scale, in any region
    scales = result.summary["spikes"]["by_scale"]
    assert scales["window"]["tested"] == 0
    untested = scales["window"]["not_tested"]
    assert {item["window"] for item in untested} == {"pre", "during", "post", "extended"}
    short = [i for i in untested if i["reason"].startswith("needs at least 8 match-free reference")]
    assert {item["window"] for item in short} == {"pre", "during", "post", "extended"}
    assert all(int(item["reason"].rsplit(" ", 1)[1]) < 8 for item in short)
    assert all(i in short or i["reason"] == BORROWED for i in untested)
    assert len(result.match_windows) and result.match_windows["anomaly_p"].isna().all()
    # Days are tested (enough match-free weekdays), but not the hour after local midnight that the
    # UTC end cuts off: a fragment is no day.
    days = result.anomaly_tests[result.anomaly_tests["scale"] == "day"]
    assert len(days) and ((days["end"] - days["start"]) >= pd.Timedelta(hours=12)).all()
    shown = data_quality(result.summary)
    assert "window: 0 of 0 tested" in shown and "not tested: pre ALL" in shown
    assert "needs at least 8 match-free reference days at the window&#x27;s time of day" in shown


def test_day_scale_is_gated_on_the_reference_day_minimum():
    matches = make_matches("2023-08-07", 4, seed=3, skip_every=4)
    orders = make_orders("2023-08-07", 4, seed=4, matches=matches)
    strict = AnalysisConfig(regional=False, min_reference_days=30)
    result = analyse_orders(orders, matches, strict)
    day = result.summary["spikes"]["by_scale"]["day"]
    assert day["tested"] == 0
    (item,) = day["not_tested"]
    assert item["reason"].startswith("needs at least 30 match-free reference days")
    match_free = int(item["reason"].rsplit(" ", 1)[1])
    assert 8 <= match_free < 30  # four weeks: Monday-Friday without football
    loose = analyse_orders(orders, matches, AnalysisConfig(regional=False))
    assert loose.summary["spikes"]["by_scale"]["day"]["tested"] > 0
    assert loose.summary["spikes"]["by_scale"]["day"]["not_tested"] == []


@pytest.mark.slow
def test_world_without_effects_flags_match_days_at_their_share_of_days():
    """Day scale, ten 24-week worlds without effects: match days are judged with the error of
    their weekday factor (a Saturday's level rests on the few hours without football), so their
    standardised deviations spread like other days' and they hold small p-values at their share of
    days. Without that variance match days spread 6 % wider and one world in ten flags a day."""
    frames = []
    for seed in range(10):
        matches = make_matches("2023-08-07", 24, seed=seed, skip_every=4)
        orders = make_orders("2023-08-07", 24, seed=seed + 1000, matches=matches)
        tests = analyse_orders(orders, matches, AnalysisConfig(regional=False)).anomaly_tests
        frames.append(tests[tests["scale"] == "day"].assign(seed=seed))
    days = pd.concat(frames, ignore_index=True)
    inside = days["in_match_window"].to_numpy(dtype=bool)
    e = days["expected"].to_numpy(dtype="float64")
    z = (days["observed"].to_numpy() - e) / np.sqrt(e * (1 + days["dispersion"].to_numpy() * e))
    assert 0.15 < inside.mean() < 0.3  # Saturdays and Sundays with football
    assert z[inside].std() / z[~inside].std() < 1.03
    assert 0.9 < z[~inside].std() < 1.1
    candidates = days["p_value"] < 0.05
    share = inside[candidates].mean()
    assert share < 1.5 * inside.mean()
    assert sps.binomtest(int(inside[candidates].sum()), int(candidates.sum()), inside.mean()).pvalue > 0.05
    assert not days["anomaly"].any()


@pytest.mark.slow
def test_mock_season_without_effects_puts_day_candidates_on_match_days_at_their_share():
    """Day scale, two mock seasons without match effects (all regions): every weekend day shares
    the error of its day type's expectation (weekday factor and profile resting on the hours
    without football), which the match-free days, mostly Monday-Thursday, do not show. With the
    dispersion of the day's own day type where larger, candidates fall on match days at their
    share of days; fitted on match-free days only, match days held 47 % of them (30 % of days)."""
    start, end = pd.Timestamp("2024-08-01T00:00Z"), pd.Timestamp("2025-06-01T00:00Z")
    frames = []
    for seed in (1, 2):
        matches = generate_matches(start, end, seed=seed, now=end + pd.Timedelta(days=30))
        orders = generate_orders(
            start - pd.Timedelta(hours=12), end, seed=seed, matches=matches,
            effects=MatchEffects.none(),
        )  # fmt: skip
        config = AnalysisConfig(big_match_teams=BIG_SIX, derbies=DERBY_PAIRS)
        tests = analyse_orders(orders, matches, config, start, end).anomaly_tests
        frames.append(tests[tests["scale"] == "day"])
    days = pd.concat(frames, ignore_index=True)
    inside = days["in_match_window"].to_numpy(dtype=bool)
    candidates = (days["p_value"] < 0.01).to_numpy()
    assert 0.25 < inside.mean() < 0.35 and candidates.sum() >= 20
    assert inside[candidates].mean() < inside.mean() + 0.08
    test = sps.binomtest(int(inside[candidates].sum()), int(candidates.sum()), inside.mean())
    assert test.pvalue > 0.05
    assert not days["anomaly"].any()


def test_fourteen_mock_days_whose_friday_windows_borrow_their_day_type_flag_nothing():
    """14 mock days without effects (seed 8, 2024-08-07 to 08-21): both Friday evenings have a
    match, so the Friday 18:00-24:00 profile cells fall back to Monday-Friday pooled cells, which
    carry Monday-Thursday's weekday factors. Taken as they were, the Friday windows showed
    +32 % to +50 % and 26 windows were flagged; taken at Friday's own level, none is."""
    start, end = pd.Timestamp("2024-08-07T00:00Z"), pd.Timestamp("2024-08-21T00:00Z")
    matches = generate_matches(start, end, seed=8, now=end + pd.Timedelta(days=30))
    orders = generate_orders(
        start - pd.Timedelta(hours=12), end, seed=8, matches=matches, effects=MatchEffects.none()
    )
    config = AnalysisConfig(big_match_teams=BIG_SIX, derbies=DERBY_PAIRS)
    result = analyse_orders(orders, matches, config, start, end)
    windows = result.anomaly_tests[result.anomaly_tests["scale"] == "window"]
    national = windows[windows["region"] == "ALL"]
    assert set(national["window"]) == {"pre", "during", "post"} and len(national) == 6
    assert (national["start"].dt.tz_convert("Europe/London").dt.day_of_week == 4).all()
    assert national["lift"].abs().max() < 0.25 and abs(national["lift"].mean()) < 0.15
    assert not windows["anomaly"].any()
    assert result.spikes.empty


@pytest.mark.slow
def test_mock_season_without_effects_flags_window_kinds_at_their_share_of_windows():
    """Window scale, a mock season without effects (all regions). Every unit of this scale is a
    match window, so "in match windows" cannot be compared with a share of time: the comparison
    is between window kinds. Candidates (p < 0.01) fall on the proper windows (pre, during, post)
    at their share of the tested windows (the rest are extended windows), at about the nominal
    rate, and nothing is flagged."""
    start, end = pd.Timestamp("2024-08-01T00:00Z"), pd.Timestamp("2025-06-01T00:00Z")
    matches = generate_matches(start, end, seed=3, now=end + pd.Timedelta(days=30))
    orders = generate_orders(
        start - pd.Timedelta(hours=12), end, seed=3, matches=matches, effects=MatchEffects.none()
    )
    config = AnalysisConfig(big_match_teams=BIG_SIX, derbies=DERBY_PAIRS)
    tests = analyse_orders(orders, matches, config, start, end).anomaly_tests
    windows = tests[tests["scale"] == "window"]
    proper = windows["window"].isin(["pre", "during", "post"]).to_numpy()
    assert (windows["in_match_window"].to_numpy(dtype=bool) == proper).all()
    candidates = (windows["p_value"] < 0.01).to_numpy()
    assert 0.002 < candidates.mean() < 0.015 and candidates.sum() >= 20
    test = sps.binomtest(int(proper[candidates].sum()), int(candidates.sum()), proper.mean())
    assert test.pvalue > 0.01
    assert not windows["anomaly"].any()
