"""football-data.org v4: real saved responses replayed by a loopback server; the score rules."""

from __future__ import annotations

import copy
import json
from collections import Counter
from datetime import date

import pandas as pd
import pytest

from pizza_game.collectors.errors import (
    CollectorBadResponse,
    CollectorNotConfigured,
    CollectorRejected,
)
from pizza_game.collectors.football_data import (
    FootballDataClient,
    football_data_client,
    match_records,
    parse_competitions,
    regular_time_score,
)
from pizza_game.collectors.rate_limit import shared_limiter
from pizza_game.collectors.rejected import concat_rejected
from pizza_game.normalize.matches import normalize_matches
from pizza_game.schema import MATCH_COLUMNS, MATCH_STATUSES, Normalized
from pizza_game_tests.collectors.conftest import BODY_403, FOOTBALL_DATA, REAL_RESPONSES, make_api


def matches_from_response(data: object, *, where: str) -> Normalized:
    """Canonical matches of one parsed v4 body, as ``FootballDataClient.fetch_matches`` derives
    them from each response (``match_records``, then ``normalize_matches``)."""
    records, bad = match_records(data, where=f"{where} match")
    normalized = normalize_matches(records, source="real", where=where)
    return Normalized(normalized.rows, concat_rejected([bad, normalized.rejected]))


def real(name: str) -> dict:
    return json.loads((FOOTBALL_DATA / name).read_text())


def client(httpserver, clock, competitions=("PL",)) -> FootballDataClient:
    return FootballDataClient(make_api(httpserver.url_for("/v4"), clock), competitions)


@pytest.mark.parametrize("name", REAL_RESPONSES)
def test_every_match_of_every_real_response_is_parsed(name):
    body = real(name)
    result = matches_from_response(body, where=name)
    rows = result.rows
    assert result.rejected.empty
    assert len(rows) == body["resultSet"]["count"] == len(body["matches"])
    assert Counter(rows["status"]) == Counter(m["status"] for m in body["matches"])
    assert (rows["status"] == "FINISHED").sum() == body["resultSet"]["played"]
    assert list(rows.columns) == list(MATCH_COLUMNS)
    assert rows["match_id"].tolist() == [str(m["id"]) for m in body["matches"]]
    assert rows["competition"].tolist() == [m["competition"]["code"] for m in body["matches"]]
    assert (rows["source"] == "real").all()


def test_real_team_response_values():
    rows = matches_from_response(real("team_65_matches_2023_24.json"), where="team").rows.set_index(
        "match_id"
    )
    first = rows.loc["435943"]  # Burnley 0-3 Manchester City, 2023-08-11
    assert first["kickoff_at"] == pd.Timestamp("2023-08-11T19:00:00Z")
    assert (first["home_team"], first["away_team"]) == ("Burnley FC", "Manchester City FC")
    assert (
        first["home_score"],
        first["away_score"],
        first["home_score_ht"],
        first["away_score_ht"],
    ) == (0, 3, 0, 2)
    assert (first["winner"], first["stage"], first["matchday"], first["kickoff_known"]) == (
        "AWAY_TEAM",
        "REGULAR_SEASON",
        1,
        True,
    )
    scheduled = rows[rows["status"] == "SCHEDULED"]
    assert len(scheduled) == 11 and not scheduled["kickoff_known"].any()
    assert scheduled["home_score"].isna().all() and scheduled["winner"].isna().all()
    postponed = rows[rows["status"] == "POSTPONED"]
    assert (
        len(postponed) == 1 and not postponed["kickoff_known"].iloc[0]
    )  # utcDate 2023-12-23T00:00:00Z
    assert rows.loc[rows["status"] == "TIMED", "kickoff_known"].all()
    assert set(rows["competition"]) == {"PL", "CL"}


def test_every_status_is_kept(httpserver):
    template = real("team_65_matches_2023_24.json")["matches"][0]
    matches = []
    for number, status in enumerate(MATCH_STATUSES):
        match = copy.deepcopy(template) | {"id": number, "status": status}
        if status == "SCHEDULED":
            match["utcDate"] = "2023-08-12T00:00:00Z"
        if status in ("SCHEDULED", "TIMED", "POSTPONED", "CANCELLED", "CANCELED"):
            match["score"] = {
                "winner": None,
                "duration": "REGULAR",
                "fullTime": {"home": None, "away": None},
                "halfTime": {"home": None, "away": None},
            }
        matches.append(match)
    rows = matches_from_response({"matches": matches}, where="statuses").rows.set_index("status")
    assert list(rows.index) == list(MATCH_STATUSES)
    assert rows["kickoff_known"].to_dict() == {s: s != "SCHEDULED" for s in MATCH_STATUSES}
    assert rows.loc["CANCELED", "home_score"] is pd.NA and rows.loc["AWARDED", "home_score"] == 0


def test_fetch_replays_the_real_day_response_with_its_own_filters(httpserver, clock):
    raw = (FOOTBALL_DATA / "matches_2023-12-29_several_competitions.json").read_bytes()
    httpserver.expect_request(
        "/v4/competitions/SA/matches",
        query_string={"dateFrom": "2023-12-29", "dateTo": "2023-12-30"},
        headers={"X-Auth-Token": "test-key"},
    ).respond_with_data(raw, content_type="application/json")
    fetch = client(httpserver, clock, ("SA",)).fetch_matches(date(2023, 12, 29), date(2023, 12, 29))
    assert (
        len(fetch.matches.rows) == 18 and fetch.matches.rejected.empty and fetch.outside_range == 0
    )
    assert Counter(fetch.matches.rows["competition"]) == Counter(
        m["competition"]["code"] for m in json.loads(raw)["matches"]
    )
    assert [r.body for r in fetch.responses] == [raw]
    assert (
        fetch.responses[0].request
        == "GET /v4/competitions/SA/matches?dateFrom=2023-12-29&dateTo=2023-12-30"
    )


def test_long_ranges_are_fetched_in_ten_day_chunks_without_double_counting(httpserver, clock):
    raw = (FOOTBALL_DATA / "competition_PL_matches_season2025_scheduled.json").read_bytes()
    httpserver.expect_request("/v4/competitions/PL/matches").respond_with_data(
        raw, content_type="application/json"
    )
    fetch = client(httpserver, clock).fetch_matches(date(2026, 2, 23), date(2026, 5, 24))
    asked = [(r.args["dateFrom"], r.args["dateTo"]) for r, _ in httpserver.log]
    assert asked[:2] == [("2026-02-23", "2026-03-05"), ("2026-03-05", "2026-03-15")]
    assert asked[-1] == ("2026-05-24", "2026-05-25") and len(asked) == 10
    assert len(fetch.matches.rows) == 109 and fetch.matches.rejected.empty
    assert fetch.outside_range == 109 * 10 - 109
    assert len(fetch.responses) == 10 and all(r.body == raw for r in fetch.responses)


def test_one_day_keeps_only_that_day(httpserver, clock):
    raw = (FOOTBALL_DATA / "team_65_matches_2023_24.json").read_bytes()
    httpserver.expect_request("/v4/competitions/PL/matches").respond_with_data(raw)
    fetch = client(httpserver, clock).fetch_matches(date(2023, 12, 27), date(2023, 12, 27))
    assert fetch.matches.rows["match_id"].tolist() == ["436129"]  # Everton v Manchester City
    assert fetch.outside_range == 45


def test_bad_matches_are_rejected_with_reasons_and_the_good_ones_go_on(httpserver, clock):
    good = real("team_65_matches_2023_24.json")["matches"][:3]
    no_team = copy.deepcopy(good[0]) | {"id": 1, "homeTeam": None}
    bad_score = copy.deepcopy(good[0]) | {"id": 2}
    bad_score["score"]["fullTime"]["home"] = "two"
    bad_date = copy.deepcopy(good[0]) | {"id": 3, "utcDate": "2023-13-45T19:00:00Z"}
    bad_status = copy.deepcopy(good[0]) | {"id": 4, "status": "LIVE"}
    newer = copy.deepcopy(good[1])
    newer["score"]["fullTime"]["home"] = 9
    body = {"matches": [*good, no_team, bad_score, "oops", bad_date, bad_status, newer]}
    httpserver.expect_request("/v4/competitions/PL/matches").respond_with_json(body)
    fetch = client(httpserver, clock).fetch_matches(date(2023, 8, 11), date(2023, 8, 20))
    assert fetch.matches.rows["match_id"].tolist() == ["435943", "435958"]
    assert fetch.matches.rows.set_index("match_id").loc["435958", "home_score"] == 9
    assert fetch.outside_range == 1  # good[2] kicks off on 2023-08-27
    rejected = fetch.matches.rejected
    number = rejected["where"].str.extract(r"match (\d+)$")[0]
    assert len(rejected) == 6
    assert dict(zip(number, rejected["reason"], strict=True)) == {
        "6": "match is not a JSON object",
        "4": "missing home_team or away_team",
        "5": "home_score is not a whole number",
        "7": "not a valid date or time",
        "8": f"unknown status (expected one of {', '.join(MATCH_STATUSES)})",
        "2": "duplicate match_id (the last one is kept: it is the most recent state)",
    }
    assert (
        fetch.matches.rejected["where"]
        .str.startswith("GET /v4/competitions/PL/matches?dateFrom=2023-08-11")
        .all()
    )


@pytest.mark.parametrize("body", [[], {"errors": "nope"}, {"matches": "none"}])
def test_a_body_without_a_match_list_is_a_bad_response(httpserver, clock, body):
    httpserver.expect_request("/v4/competitions/PL/matches").respond_with_json(body)
    with pytest.raises(
        CollectorBadResponse, match="GET /v4/competitions/PL/matches is not a v4 match list"
    ):
        client(httpserver, clock).fetch_matches(date(2024, 1, 1), date(2024, 1, 1))


def test_a_competition_outside_the_plan_fails_the_fetch(httpserver, clock):
    httpserver.expect_request("/v4/competitions/PL/matches").respond_with_json({"matches": []})
    httpserver.expect_request("/v4/competitions/EC/matches").respond_with_data(BODY_403, status=403)
    with pytest.raises(CollectorRejected, match="GET /v4/competitions/EC/matches answered 403"):
        client(httpserver, clock, ("PL", "EC")).fetch_matches(date(2024, 1, 1), date(2024, 1, 1))


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        ({"duration": "REGULAR", "fullTime": {"home": 2, "away": 1}}, (2, 1)),
        ({"duration": "REGULAR", "fullTime": {"home": None, "away": None}}, (None, None)),
        # World Cup 2022 final shape: fullTime = regular + extra + shoot-out.
        (
            {
                "duration": "PENALTY_SHOOTOUT",
                "fullTime": {"home": 7, "away": 5},
                "regularTime": {"home": 2, "away": 2},
                "extraTime": {"home": 1, "away": 1},
                "penalties": {"home": 4, "away": 2},
            },
            (2, 2),
        ),
        (
            {
                "duration": "PENALTY_SHOOTOUT",
                "fullTime": {"home": 7, "away": 5},
                "extraTime": {"home": 1, "away": 1},
                "penalties": {"home": 4, "away": 2},
            },
            (2, 2),
        ),
        (
            {
                "duration": "PENALTY_SHOOTOUT",
                "fullTime": {"home": 5, "away": 4},
                "penalties": {"home": 4, "away": 3},
            },
            (1, 1),
        ),
        ({"duration": "PENALTY_SHOOTOUT", "fullTime": {"home": 5, "away": 4}}, (None, None)),
        (
            {
                "duration": "EXTRA_TIME",
                "fullTime": {"home": 3, "away": 2},
                "extraTime": {"home": 1, "away": 0},
            },
            (2, 2),
        ),
        ({"duration": "EXTRA_TIME", "fullTime": {"home": 3, "away": 2}}, (None, None)),
    ],
)
def test_regular_time_score(score, expected):
    assert regular_time_score(score) == expected


def test_unsubtractable_shootout_scores_reject_the_match():
    match = real("team_65_matches_2023_24.json")["matches"][0]
    match["score"] = {
        "duration": "PENALTY_SHOOTOUT",
        "fullTime": {"home": "5", "away": 4},
        "penalties": {"home": 4, "away": 3},
    }
    result = matches_from_response({"matches": [match]}, where="x")
    assert result.rows.empty
    assert result.rejected["reason"].tolist() == [
        "score fullTime/penalties are not whole numbers ('5', 4)"
    ]


def test_competitions_setting_is_parsed():
    assert parse_competitions(" pl, CL,,PL ") == ("PL", "CL")


def test_factory_needs_a_key_and_shares_the_process_limiter():
    with pytest.raises(CollectorNotConfigured, match="FOOTBALL_API_KEY is not set"):
        football_data_client(
            "http://127.0.0.1:1/fd-factory", None, ("PL",), per_minute=10, per_hour=1000
        )
    made = football_data_client(
        "http://127.0.0.1:1/fd-factory", "k", ("PL",), per_minute=10, per_hour=1000
    )
    assert made.api.limiter is shared_limiter("http://127.0.0.1:1/fd-factory", 10, 1000)
    with pytest.raises(
        CollectorNotConfigured, match="FOOTBALL_COMPETITIONS lists no competition code"
    ):
        football_data_client("http://127.0.0.1:1/fd-factory", "k", (), per_minute=10, per_hour=1000)
