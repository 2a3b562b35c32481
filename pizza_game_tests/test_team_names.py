"""One name per club, over the real fixture files: every source's spelling gives the same flags."""

from __future__ import annotations

import json
from collections import Counter

import dagster as dg
import pandas as pd
import pytest

from pizza_game import settings, team_names
from pizza_game.analysis.config import AnalysisConfig
from pizza_game.analysis.features import match_features
from pizza_game.assets.raw_matches import raw_matches
from pizza_game.cli import main
from pizza_game.collectors.file_import import import_matches
from pizza_game.collectors.mock_matches import generate_matches
from pizza_game.collectors.teams import BIG_SIX, DERBY_PAIRS, TEAM_REGIONS, TEAMS
from pizza_game.definitions import make_definitions
from pizza_game.team_names import ALIASES, CANONICAL, canonical_team, team_key, unknown_teams
from pizza_game_tests.collectors.conftest import FIXTURES, FOOTBALL_DATA, REAL_RESPONSES

CONFIG = AnalysisConfig(big_match_teams=BIG_SIX, derbies=DERBY_PAIRS)
SEASONS = ("2014-15", "2015-16")
# The big six and the derbies as each source spells them, written out by hand (not from the table).
OPENFOOTBALL_BIG_SIX = {
    "Arsenal FC",
    "Chelsea FC",
    "Liverpool FC",
    "Manchester City",
    "Manchester United",
    "Tottenham Hotspur",
}
OPENFOOTBALL_DERBIES = {
    frozenset(pair)
    for pair in (
        ("Arsenal FC", "Tottenham Hotspur"),
        ("Everton FC", "Liverpool FC"),
        ("Manchester City", "Manchester United"),
        ("Newcastle United", "Sunderland AFC"),
        ("Crystal Palace", "Brighton & Hove Albion"),
        ("Chelsea FC", "Fulham"),
        ("Aston Villa", "Wolverhampton Wanderers"),
    )
}
# football-data.org team ids: Arsenal, Chelsea, Liverpool, Manchester City and United, Spurs.
BIG_SIX_IDS = {57, 61, 64, 65, 66, 73}
DERBY_IDS = {
    frozenset(pair)
    for pair in ((57, 73), (62, 64), (65, 66), (67, 71), (354, 397), (61, 63), (63, 402), (58, 76))
}


def openfootball(season: str) -> dict:
    return json.loads((FIXTURES / f"openfootball__{season}__en.1.json").read_text())


def fd_teams() -> dict[int, dict]:
    """Every club of the recorded football-data.org responses, by team id."""
    teams: dict[int, dict] = {}
    for name in REAL_RESPONSES:
        for match in json.loads((FOOTBALL_DATA / name).read_text())["matches"]:
            for side in ("homeTeam", "awayTeam"):
                teams[match[side]["id"]] = match[side]
    return teams


def flags(matches: pd.DataFrame) -> pd.DataFrame:
    return match_features(matches, CONFIG)


@pytest.mark.parametrize("season", SEASONS)
def test_openfootball_seasons_flag_every_big_six_meeting_and_derby(season):
    raw = openfootball(season)["matches"]
    expected_big = Counter(
        m["date"] for m in raw if {m["team1"], m["team2"]} <= OPENFOOTBALL_BIG_SIX
    )
    expected_derbies = Counter(
        m["date"] for m in raw if frozenset((m["team1"], m["team2"])) in OPENFOOTBALL_DERBIES
    )
    path = FIXTURES / f"openfootball__{season}__en.1.json"
    imported = import_matches(path, timezone="Europe/London")
    assert len(imported.rows) == 380 and len(imported.rejected) == 0
    features = flags(imported.rows)
    days = imported.rows["kickoff_at"].dt.tz_convert("Europe/London").dt.strftime("%Y-%m-%d")
    big, derby = features["big_match"] == 1, features["derby"] == 1
    # Six clubs, each at home to the five others: 30 meetings. Four derbies played both ways.
    assert big.sum() == sum(expected_big.values()) == 30
    assert Counter(days[big]) == expected_big
    assert derby.sum() == sum(expected_derbies.values()) == 8
    assert Counter(days[derby]) == expected_derbies
    assert unknown_teams(imported.rows) == []


def _respelled(body: dict, spell) -> list[dict]:
    """The matches of a v4 body with each club named by ``spell(team)``."""
    return [
        {
            "match_id": str(m["id"]),
            "kickoff_at": m["utcDate"],
            "status": m["status"],
            "competition": m["competition"]["code"],
            "home_team": spell(m["homeTeam"]),
            "away_team": spell(m["awayTeam"]),
        }
        for m in body["matches"]
    ]


def _by_day(matches: pd.DataFrame) -> dict[str, tuple[float, float]]:
    features = flags(matches)
    days = matches["kickoff_at"].dt.strftime("%Y-%m-%d")
    return dict(zip(days, zip(features["big_match"], features["derby"], strict=True), strict=True))


def test_football_data_org_and_other_spellings_of_one_season_give_the_same_flags(tmp_path):
    path = FOOTBALL_DATA / "team_65_matches_2023_24.json"
    body = json.loads(path.read_text())
    by_ids = {
        m["utcDate"][:10]: (
            float({m["homeTeam"]["id"], m["awayTeam"]["id"]} <= BIG_SIX_IDS),
            float(frozenset((m["homeTeam"]["id"], m["awayTeam"]["id"])) in DERBY_IDS),
        )
        for m in body["matches"]
    }
    v4 = import_matches(path)
    assert len(v4.rows) == 46 and len(v4.rejected) == 0
    assert _by_day(v4.rows) == by_ids
    # Manchester City at home and away to the five others, and two Manchester derbies.
    assert sum(big for big, _ in by_ids.values()) == 10
    assert sum(derby for _, derby in by_ids.values()) == 2

    # The same season spelled the short way (football-data.org's own shortName: "Man City",
    # "Tottenham", "Brighton Hove", "Nottingham", ...) in a CSV import ...
    short = pd.DataFrame(_respelled(body, lambda team: team["shortName"]))
    short_csv = tmp_path / "short.csv"
    short.to_csv(short_csv, index=False)
    # ... and openfootball's way, in upper case without the "FC"/"AFC" ("MANCHESTER CITY").
    bare = lambda team: team["name"].removesuffix(" FC").removesuffix(" AFC").upper()  # noqa: E731
    as_openfootball = {
        "name": "Premier League 2023/24",
        "matches": [
            {
                "round": f"Matchday {m['matchday']}",
                "date": m["utcDate"][:10],
                "time": m["utcDate"][11:16],
                "team1": bare(m["homeTeam"]),
                "team2": bare(m["awayTeam"]),
            }
            for m in body["matches"]
        ],
    }
    openfootball_json = tmp_path / "openfootball.json"
    openfootball_json.write_text(json.dumps(as_openfootball))
    assert set(short["home_team"]) - set(v4.rows["home_team"])  # the spellings really differ
    for respelled in (import_matches(short_csv), import_matches(openfootball_json, timezone="UTC")):
        assert respelled.rows["home_team"].tolist() == v4.rows["home_team"].tolist()
        assert _by_day(respelled.rows) == by_ids


def test_no_two_clubs_share_a_canonical_name():
    teams = fd_teams()
    canonical = {team_id: canonical_team(team["name"]) for team_id, team in teams.items()}
    assert len(set(canonical.values())) == len(teams) == 60
    for team in teams.values():
        assert team["name"] in CANONICAL
        assert canonical_team(team["shortName"]) == team["name"], team
    for season in SEASONS:
        names = {m[side] for m in openfootball(season)["matches"] for side in ("team1", "team2")}
        assert len({canonical_team(name) for name in names}) == len(names) == 20
    apart = [
        ("Manchester City", "Manchester United"),
        ("Man City", "Man Utd"),
        ("Sheffield Utd", "Sheffield Wed"),
        ("West Ham", "West Brom"),
        ("Bristol City", "Bristol Rovers"),
        ("Manchester City FC", "Manchester"),
        ("Hull City", "Hull FC"),
    ]
    for one, other in apart:
        assert canonical_team(one) != canonical_team(other), (one, other)
    assert len({team_key(name) for name in CANONICAL}) == len(CANONICAL)


def test_the_table_refuses_an_alias_that_names_two_clubs(monkeypatch):
    monkeypatch.setitem(team_names.ALIASES, "Manchester City FC", ("Man City", "Manchester Utd"))
    with pytest.raises(ValueError, match="'manchester united', which already names 'Manchester C"):
        team_names._lookup()


def test_matching_ignores_case_punctuation_accents_and_suffixes():
    spellings = {
        "Manchester United FC": ["manchester united", "MANCHESTER UTD", "Man. Utd", "Man United"],
        "Brighton & Hove Albion FC": [
            "Brighton and Hove Albion",
            "Brighton",
            "brighton & hove albion f.c.",
        ],
        "AFC Bournemouth": ["Bournemouth", "A.F.C. Bournemouth", "bournemouth afc"],
        "Nottingham Forest FC": ["Nott'm Forest", "Nottm Forest", "Nottingham Forest"],
        "FC København": ["FC Kobenhavn", "København", "Copenhagen"],
        "FC Famalicão": ["Famalicao", "FC FAMALICÃO"],
    }
    for canonical, names in spellings.items():
        assert canonical in ALIASES
        assert {canonical_team(name) for name in names} == {canonical}


def test_the_mock_world_and_the_match_lists_use_canonical_names():
    assert all(canonical_team(team) == team and team in CANONICAL for team in TEAMS)
    assert set(TEAM_REGIONS) | set(BIG_SIX) | {t for pair in DERBY_PAIRS for t in pair} <= CANONICAL
    generated = generate_matches("2015-07-01T00:00Z", "2026-07-01T00:00Z", seed=7)
    assert len(generated) == 11 * 380 and unknown_teams(generated) == []


def test_aliases_in_the_configuration_and_old_stored_rows_still_count():
    matches = pd.DataFrame(
        {
            "match_id": ["1", "2", "3"],
            "status": "FINISHED",
            "home_score": 1,
            "away_score": 0,
            "winner": "HOME_TEAM",
            "stage": "REGULAR_SEASON",
            "competition": "PL",
            "matchday": 1,
            # Rows landed before the alias table kept their source's spelling.
            "home_team": ["Manchester United", "Spurs", "Everton FC"],
            "away_team": ["Man City", "Arsenal", "Leeds"],
        }
    )
    config = AnalysisConfig(
        big_match_teams=("Man Utd", "Manchester City", "Arsenal FC", "Tottenham"),
        derbies=(("Spurs", "Arsenal FC"),),
    )
    features = match_features(matches, config)
    assert features["big_match"].tolist() == [1.0, 1.0, 0.0]
    assert features["derby"].tolist() == [0.0, 1.0, 0.0]


def test_unknown_names_are_kept_counted_and_listed(tmp_path, capsys, monkeypatch):
    """NFL teams (a real canonical CSV) are not football clubs: imported as they are, reported."""
    monkeypatch.delenv(settings.FOOTBALL_API_KEY, raising=False)  # the imported file, not the API
    path = FIXTURES / "nfl_2014_canonical.csv"
    raw = pd.read_csv(path)
    names = sorted(set(raw["home_team"]) | set(raw["away_team"]))
    imported = import_matches(path)
    assert len(imported.rows) == len(raw)
    assert unknown_teams(imported.rows) == names and len(names) == 32
    assert set(imported.rows["home_team"]) <= set(names)

    data = tmp_path / "data"
    assert main(["import", "matches", str(path), "--data-dir", str(data)]) == 0
    out = capsys.readouterr().out
    listed = f"{', '.join(names[:10])} and 22 more"
    assert f"32 team names not in the alias table (kept as they are): {listed}" in out

    defs = make_definitions(data_dir=str(data))
    result = dg.materialize(
        [raw_matches],
        partition_key="2015-01-04",
        resources=defs.resources,
        raise_on_error=False,
    )
    assert result.success
    [materialization] = result.asset_materializations_for_node("raw_matches")
    metadata = materialization.metadata
    that_day = raw[raw["kickoff_at"].str.startswith("2015-01-04")]
    playing = sorted(set(that_day["home_team"]) | set(that_day["away_team"]))
    assert metadata["unknown_team_names"].value == len(playing) > 0
    assert metadata["unknown_team_names_list"].value == playing
    note = f"{len(playing)} team names not in the alias table (kept as they are): "
    assert metadata["unknown_team_names_note"].value == note + ", ".join(playing)


def test_imported_premier_league_files_report_no_unknown_names(tmp_path, capsys):
    data = tmp_path / "data"
    path = FIXTURES / "openfootball__2015-16__en.1.json"
    args = ["import", "matches", str(path), "--timezone", "Europe/London", "--data-dir", str(data)]
    assert main(args) == 0
    assert "alias table" not in capsys.readouterr().out
