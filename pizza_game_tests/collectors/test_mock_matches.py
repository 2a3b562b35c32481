import datetime as dt
import itertools
from collections import Counter
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from pizza_game.collectors.mock_matches import generate_matches
from pizza_game.collectors.teams import TEAMS
from pizza_game.normalize.matches import normalize_matches
from pizza_game.schema import MATCH_COLUMNS, coerce

SEASON_START, SEASON_END = pd.Timestamp("2024-07-01T00:00Z"), pd.Timestamp("2025-07-01T00:00Z")
AFTER_SEASON = pd.Timestamp("2025-07-01T00:00Z")
LONDON = ZoneInfo("Europe/London")
ALLOWED_KICKOFFS = {
    ("Fri", "20:00"),
    ("Sat", "12:30"),
    ("Sat", "15:00"),
    ("Sat", "17:30"),
    ("Sun", "14:00"),
    ("Sun", "16:30"),
    ("Sun", "16:00"),
    ("Mon", "20:00"),
    ("Tue", "19:45"),
    ("Tue", "20:00"),
    ("Wed", "19:45"),
    ("Wed", "20:00"),
}


@pytest.fixture(scope="module")
def season() -> pd.DataFrame:
    return generate_matches(SEASON_START, SEASON_END, seed=42, now=AFTER_SEASON)


def local(kickoffs: pd.Series) -> list[dt.datetime]:
    return [k.to_pydatetime().astimezone(LONDON) for k in kickoffs]


def test_a_season_is_a_double_round_robin_of_38_matchdays(season):
    assert len(season) == 380
    assert season["match_id"].is_unique
    assert season["matchday"].value_counts().sort_index().tolist() == [10] * 38
    pairs = Counter(zip(season["home_team"], season["away_team"], strict=True))
    assert len(pairs) == 380 and set(pairs.values()) == {1}
    assert all(h != a for h, a in pairs)
    assert set(season["home_team"]) == set(TEAMS)
    assert (season["home_team"].value_counts() == 19).all()
    for _, round_ in season.groupby("matchday"):
        assert len(set(round_["home_team"]) | set(round_["away_team"])) == 20


def test_no_club_plays_on_consecutive_days():
    season = generate_matches("2015-07-01T00:00Z", "2030-07-01T00:00Z", seed=3, now=AFTER_SEASON)
    days = pd.DataFrame(
        {
            "team": pd.concat([season["home_team"], season["away_team"]]),
            "day": [k.date() for k in local(season["kickoff_at"])] * 2,
        }
    ).sort_values(["team", "day"])
    gaps = days.groupby("team")["day"].diff().dropna()
    assert gaps.min() >= pd.Timedelta(days=2)


def test_kickoffs_are_uk_times_converted_to_utc(season):
    kickoffs = Counter((k.strftime("%a"), k.strftime("%H:%M")) for k in local(season["kickoff_at"]))
    assert set(kickoffs) <= ALLOWED_KICKOFFS
    assert kickoffs.most_common(1)[0][0] == ("Sat", "15:00")
    assert kickoffs[("Sun", "16:00")] == 10  # the final day
    midweek = sum(n for (day, _), n in kickoffs.items() if day in ("Tue", "Wed"))
    assert midweek == 40  # four midweek rounds
    for kickoff in [("Sat", "12:30"), ("Sat", "17:30"), ("Sun", "14:00"), ("Sun", "16:30")]:
        assert kickoffs[kickoff] >= 30


def test_british_summer_time_is_honoured(season):
    by_utc = set(season["kickoff_at"].dt.strftime("%Y-%m-%dT%H:%M"))
    # Clocks went back on Sunday 27 October 2024: Saturday 15:00 was 14:00 UTC before, 15:00 after.
    assert "2024-10-26T14:00" in by_utc and "2024-11-02T15:00" in by_utc
    assert not {"2024-10-26T15:00", "2024-11-02T14:00"} & by_utc
    # And forward on Sunday 30 March 2025.
    assert "2025-03-29T15:00" in by_utc and "2025-04-05T14:00" in by_utc


def test_international_break_weekends_have_no_league_games(season):
    days = {k.date() for k in local(season["kickoff_at"])}
    for saturday in ["2024-09-07", "2024-10-12", "2024-11-16", "2025-03-22"]:
        sat = dt.date.fromisoformat(saturday)
        assert not {sat - dt.timedelta(days=1), sat, sat + dt.timedelta(days=1)} & days


def test_goals_are_plausible_and_consistent():
    seasons = generate_matches("2015-07-01T00:00Z", "2025-07-01T00:00Z", seed=7, now=AFTER_SEASON)
    assert len(seasons) == 3800
    goals = seasons["home_score"] + seasons["away_score"]
    assert 2.5 <= goals.mean() <= 3.0
    assert seasons["home_score"].mean() > seasons["away_score"].mean()  # home advantage
    assert (seasons["home_score_ht"] <= seasons["home_score"]).all()
    assert (seasons["away_score_ht"] <= seasons["away_score"]).all()
    difference = (seasons["home_score"] - seasons["away_score"]).to_numpy(dtype=int)
    expected = np.select([difference > 0, difference < 0], ["HOME_TEAM", "AWAY_TEAM"], "DRAW")
    assert (seasons["winner"].to_numpy() == expected).all()


def test_statuses_follow_now():
    now = pd.Timestamp("2024-12-03T20:30Z")  # a midweek round kicked off at 19:45/20:00 UK time
    table = generate_matches(SEASON_START, SEASON_END, seed=42, now=now)
    true = generate_matches(SEASON_START, SEASON_END, seed=42, now=AFTER_SEASON).set_index(
        "match_id"
    )
    finished = table[table["status"] == "FINISHED"]
    assert (finished["kickoff_at"] + pd.Timedelta(hours=2) <= now).all()
    assert (
        finished[["home_score", "away_score", "home_score_ht", "away_score_ht", "winner"]]
        .notna()
        .all()
        .all()
    )
    in_play = table[table["status"] == "IN_PLAY"]
    assert len(in_play) == 5 and (in_play["kickoff_at"] <= now).all()
    later = table[table["status"].isin(["TIMED", "SCHEDULED"])]
    assert later[["home_score", "away_score", "winner"]].isna().all().all()
    timed = table[table["status"] == "TIMED"]
    assert (timed["kickoff_at"] > now).all() and timed["kickoff_known"].all()
    assert (timed["kickoff_at"] == true.loc[timed["match_id"], "kickoff_at"].to_numpy()).all()
    scheduled = table[table["status"] == "SCHEDULED"]
    assert len(scheduled) > 100 and not scheduled["kickoff_known"].any()
    assert (scheduled["kickoff_at"].dt.strftime("%H:%M:%S") == "00:00:00").all()
    assert (scheduled["kickoff_at"] > now + pd.Timedelta(weeks=7)).all()
    assert (table.loc[table["matchday"] == 38, "status"] == "TIMED").all()  # the final day is fixed
    assert set(table["status"]) == {"FINISHED", "IN_PLAY", "TIMED", "SCHEDULED"}


def test_daily_partitions_agree_with_the_whole_season(season):
    days = pd.date_range(SEASON_START, SEASON_END, freq="D")
    parts = [generate_matches(a, b, seed=42, now=AFTER_SEASON) for a, b in itertools.pairwise(days)]
    pd.testing.assert_frame_equal(pd.concat(parts, ignore_index=True), season)
    odd = generate_matches("2024-12-03T19:45Z", "2024-12-04T20:00Z", seed=42, now=AFTER_SEASON)
    inside = season[
        (season["kickoff_at"] >= "2024-12-03T19:45Z") & (season["kickoff_at"] < "2024-12-04T20:00Z")
    ]
    pd.testing.assert_frame_equal(odd, inside.reset_index(drop=True))
    assert len(odd) == 8


def test_same_seed_same_fixtures_other_seed_other_fixtures(season):
    pd.testing.assert_frame_equal(
        generate_matches(SEASON_START, SEASON_END, seed=42, now=AFTER_SEASON), season
    )
    other = generate_matches(SEASON_START, SEASON_END, seed=43, now=AFTER_SEASON)
    assert list(zip(other["home_team"], other["away_team"], strict=True)) != list(
        zip(season["home_team"], season["away_team"], strict=True)
    )
    # The calendar is the season's, not the seed's.
    assert (other["kickoff_at"] == season["kickoff_at"]).all()


def test_rows_are_canonical_mock_matches():
    table = generate_matches(SEASON_START, SEASON_END, seed=42, now="2025-01-15T12:00Z")
    pd.testing.assert_frame_equal(table, coerce(table, MATCH_COLUMNS))
    normalized = normalize_matches(table, source="mock", where="mock matches")
    assert normalized.rejected.empty
    pd.testing.assert_frame_equal(normalized.rows, table)
    assert (table["source"] == "mock").all() and (table["competition"] == "PL").all()
    assert table["match_id"].str.fullmatch(r"mock-PL-2024-\d{3}").all()


def test_empty_ranges_give_empty_canonical_tables():
    table = generate_matches("2024-06-10T00:00Z", "2024-06-20T00:00Z", seed=42)
    assert table.empty and list(table.columns) == list(MATCH_COLUMNS)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"competition": "CL"}, "competition 'PL' only"),
        ({"start": "2024-08-01T00:00"}, "start must be timezone-aware"),
        ({"start": "not a date"}, "start is not a timestamp"),
        ({"end": "2024-07-01T00:00Z"}, "is before start"),
        ({"seed": -1}, "non-negative integer"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    arguments = {"start": "2024-08-01T00:00Z", "end": "2024-09-01T00:00Z", "seed": 42} | kwargs
    with pytest.raises(ValueError, match=message):
        generate_matches(**arguments)
