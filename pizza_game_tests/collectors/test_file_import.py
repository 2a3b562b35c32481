"""File import of the real reference files and of broken files written to a temporary directory."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from pizza_game.collectors.file_import import (
    ImportFileError,
    ReadOptions,
    import_matches,
    import_orders,
)
from pizza_game.schema import MATCH_COLUMNS, ORDER_COLUMNS
from pizza_game_tests.collectors.conftest import FIXTURES, FOOTBALL_DATA, PIZZA_PLACE

PIZZA_CSV = PIZZA_PLACE / "orders_canonical.csv"
NEW_YORK = "America/New_York"


def test_real_pizza_place_year_is_localized_across_both_dst_changes():
    result = import_orders(PIZZA_CSV, timezone=NEW_YORK)
    assert len(result.rows) == 21_350 and result.rejected.empty
    assert list(result.rows.columns) == list(ORDER_COLUMNS)
    with PIZZA_CSV.open(newline="") as handle:
        local = [datetime.fromisoformat(f"{r['date']}T{r['time']}") for r in csv.DictReader(handle)]
    expected = pd.to_datetime([t.replace(tzinfo=ZoneInfo(NEW_YORK)) for t in local], utc=True)
    assert (result.rows["ordered_at"].to_numpy() == expected.to_numpy()).all()
    by_id = result.rows.set_index("order_id")["ordered_at"]
    assert by_id["3880"] == pd.Timestamp("2015-03-07T16:38:08Z")  # 11:38 EST, UTC-5
    assert by_id["4000"] == pd.Timestamp("2015-03-09T15:34:01Z")  # 11:34 EDT, UTC-4
    assert by_id["17879"] == pd.Timestamp("2015-11-01T16:40:19Z")  # back to EST
    assert result.rows["total"].sum() == pytest.approx(817_860.05)


def test_naive_times_without_a_timezone_are_rejected_row_by_row(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(
        "order_id,date,time,items,total\n1,2015-01-01,11:38:36,1,13.25\n2,2015-01-01,11:57:40,5,92.0\n"
    )
    result = import_orders(path)
    assert result.rows.empty
    assert result.rejected["where"].tolist() == [f"{path} row 1", f"{path} row 2"]
    assert set(result.rejected["reason"]) == {
        "naive timestamp (no UTC offset); give the source's timezone"
    }


def test_local_times_that_dst_skips_or_repeats_are_rejected(tmp_path):
    path = tmp_path / "orders.json"
    orders = [
        {"order_id": "a", "ordered_at": "2015-03-08T02:30:00", "items": 1, "total": 9.5},
        {"order_id": "b", "ordered_at": "2015-11-01T01:30:00", "items": 1, "total": 9.5},
        {"order_id": "c", "ordered_at": "2015-11-01T01:30:00-05:00", "items": 1, "total": 9.5},
        {"order_id": "d", "ordered_at": "2015-03-08T03:30:00", "items": 1, "total": 9.5},
    ]
    path.write_text(json.dumps({"orders": orders}))
    result = import_orders(path, options=ReadOptions(timezone=NEW_YORK, outlier_days=366))
    assert result.rows["ordered_at"].tolist() == [
        pd.Timestamp("2015-11-01T06:30:00Z"),
        pd.Timestamp("2015-03-08T07:30:00Z"),
    ]
    assert dict(zip(result.rejected["where"], result.rejected["reason"], strict=True)) == {
        f"{path} row 1": "nonexistent local time (skipped when the clocks went forward)",
        f"{path} row 2": "ambiguous local time (happens twice when the clocks go back); choose --ambiguous earlier or later",
    }
    for rule, hour in (("earlier", "05:30"), ("later", "06:30")):
        resolved = import_orders(path, options=ReadOptions(timezone=NEW_YORK, ambiguous=rule, outlier_days=366))
        assert pd.Timestamp(f"2015-11-01T{hour}:00Z") in resolved.rows["ordered_at"].tolist()


def test_bad_rows_and_duplicates_keep_their_row_number(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(
        "order_id,ordered_at,store_id,region,items,total\n"
        "1,2015-01-01T11:00:00-05:00,s1,US,2,20.0\n"
        "2,2015-01-01T11:05:00-05:00,s1,US,zero,20.0\n"
        "3,2015-01-01T11:10:00-05:00,s1,US,2\n"
        "\n"
        ",2015-01-01T11:15:00-05:00,s1,US,2,20.0\n"
        "1,2015-01-01T11:20:00-05:00,s1,US,2,20.0\n"
        "5,2015-01-01T11:25:00-05:00,,,1,-3\n"
        "6,2015-01-01T11:30:00-05:00,,,1,7.5\n"
    )
    result = import_orders(path, timezone=NEW_YORK)
    assert result.rows["order_id"].tolist() == ["1", "6"]
    assert result.rows["store_id"].tolist() == ["s1", "unknown"]
    assert dict(zip(result.rejected["where"], result.rejected["reason"], strict=True)) == {
        f"{path} row 3": "has 5 fields, the header has 6",
        f"{path} row 2": "items is not a whole number",
        f"{path} row 4": "missing order_id",
        f"{path} row 6": "total must be from 0 to 100,000",
        f"{path} row 5": "duplicate order_id (the first one is kept)",
    }
    assert json.loads(result.rejected.iloc[0]["record"]) == [
        "3",
        "2015-01-01T11:10:00-05:00",
        "s1",
        "US",
        "2",
    ]


def test_real_nfl_season_with_utc_kickoffs():
    result = import_matches(FIXTURES / "nfl_2014_canonical.csv")
    rows = result.rows
    assert len(rows) == 267 and result.rejected.empty
    assert list(rows.columns) == list(MATCH_COLUMNS)
    assert (
        rows["kickoff_at"].iloc[0] == pd.Timestamp("2014-09-05T00:30:00Z")
        and rows["kickoff_known"].all()
    )
    super_bowl = rows.iloc[-1]
    assert (
        super_bowl["home_team"],
        super_bowl["away_team"],
        super_bowl["home_score"],
        super_bowl["away_score"],
    ) == ("Seahawks", "Patriots", 24, 28)
    assert set(rows["competition"]) == {"NFL"} and set(rows["status"]) == {"FINISHED"}


@pytest.mark.parametrize("season", ["2014-15", "2015-16"])
def test_real_openfootball_seasons(season):
    path = FIXTURES / f"openfootball__{season}__en.1.json"
    source = json.loads(path.read_text())["matches"]
    result = import_matches(path, timezone="Europe/London")
    rows = result.rows
    assert len(rows) == len(source) == 380 and result.rejected.empty
    assert (
        rows["match_id"].is_unique
        and rows["match_id"].tolist()
        == import_matches(path, timezone="Europe/London").rows["match_id"].tolist()
    )
    assert rows["home_score"].tolist() == [m["score"]["ft"][0] for m in source]
    assert rows["home_score_ht"].isna().sum() == sum("ht" not in m["score"] for m in source)
    assert (rows["matchday"].between(1, 38)).all() and set(rows["stage"]) == {"REGULAR_SEASON"}
    home_won = rows["home_score"] > rows["away_score"]
    assert (rows.loc[home_won, "winner"] == "HOME_TEAM").all()
    assert (rows.loc[rows["home_score"] == rows["away_score"], "winner"] == "DRAW").all()


def test_openfootball_uk_local_times_cross_the_october_clock_change():
    rows = import_matches(
        FIXTURES / "openfootball__2014-15__en.1.json", timezone="Europe/London"
    ).rows
    kickoffs = rows.set_index(["home_team", "away_team"])["kickoff_at"]
    assert kickoffs["West Ham United FC", "Manchester City FC"] == pd.Timestamp(
        "2014-10-25T11:45:00Z"
    )  # 12:45 BST
    assert kickoffs["Manchester United FC", "Swansea City AFC"] == pd.Timestamp(
        "2014-08-16T11:45:00Z"
    )
    november = rows[rows["kickoff_at"].dt.strftime("%Y-%m-%d") == "2014-11-01"]
    assert (november["kickoff_at"].dt.strftime("%H:%M") == "15:00").any()  # 15:00 GMT


def test_openfootball_oddities_become_rejected_or_unknown_times(tmp_path):
    path = tmp_path / "cup.json"
    matches = [
        {
            "round": "Final",
            "date": "2015-05-30",
            "time": "17:30",
            "team1": "Arsenal",
            "team2": "Aston Villa",
            "score": {"ht": [1, 0], "ft": [1, 1], "et": [2, 1]},
        },
        {
            "round": "Semi-final",
            "date": "2015-04-18",
            "team1": {"name": "Reading"},
            "team2": "Arsenal",
            "score": {"ft": [1, 1], "et": [1, 2]},
        },
        {"round": "Round 3", "date": "2015-05-31", "team1": "A", "team2": "B"},
        {
            "round": "Round 3",
            "date": "2015-01-03",
            "time": "15:00",
            "team1": "C",
            "team2": "D",
            "score": {"ft": [1]},
        },
        "not a match",
    ]
    path.write_text(json.dumps({"name": "FA Cup 2014/15", "matches": matches}))
    result = import_matches(path, timezone="Europe/London")
    rows = result.rows.set_index("home_team")
    assert (
        rows.loc["Arsenal FC", "stage"],
        rows.loc["Arsenal FC", "winner"],
        rows.loc["Arsenal FC", "home_score"],
    ) == ("Final", "HOME_TEAM", 1)
    assert (rows.loc["Reading", "kickoff_known"], rows.loc["Reading", "winner"]) == (
        False,
        "AWAY_TEAM",
    )
    assert (rows.loc["A", "status"], rows.loc["A", "kickoff_known"]) == ("SCHEDULED", False)
    assert rows.loc["A", "home_score"] is pd.NA
    assert dict(zip(result.rejected["where"], result.rejected["reason"], strict=True)) == {
        f"{path} row 4": "score.ft is not a [home, away] pair",
        f"{path} row 5": "match is not a JSON object",
    }


def test_saved_football_data_response_imports_like_the_api():
    result = import_matches(FOOTBALL_DATA / "team_65_matches_2023_24.json")
    assert len(result.rows) == 46 and result.rejected.empty


def test_canonical_json_matches_with_naive_kickoffs(tmp_path):
    path = tmp_path / "matches.json"
    records = [
        {
            "match_id": "m1",
            "kickoff_at": "2015-03-08T20:00:00",
            "home_team": "A",
            "away_team": "B",
            "home_score": 1,
            "away_score": 0,
        },
        {
            "match_id": "m1",
            "kickoff_at": "2015-03-08T20:00:00",
            "home_team": "A",
            "away_team": "B",
            "home_score": 2,
            "away_score": 0,
        },
        {
            "match_id": "m2",
            "kickoff_at": "2015-03-07T20:00:00Z",
            "home_team": "C",
            "away_team": "D",
            "status": "postponed",
        },
        {"match_id": "m3", "kickoff_at": "2015-03-07T20:00:00Z", "home_team": "", "away_team": "D"},
    ]
    path.write_text(json.dumps(records))
    result = import_matches(path, timezone=NEW_YORK)
    rows = result.rows.set_index("match_id")
    assert (
        rows.loc["m1", "kickoff_at"] == pd.Timestamp("2015-03-09T00:00:00Z")
        and rows.loc["m1", "home_score"] == 2
    )
    assert rows.loc["m2", "status"] == "POSTPONED"
    assert dict(zip(result.rejected["where"], result.rejected["reason"], strict=True)) == {
        f"{path} row 1": "duplicate match_id (the last one is kept: it is the most recent state)",
        f"{path} row 4": "missing home_team or away_team",
    }


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "broken.json",
            '[{"order_id": "1",\n  "total": 2,,}]',
            "invalid JSON at line 2 column 14: Expecting property name",
        ),
        (
            "scalar.json",
            "42",
            "an array of orders records or an object holding them under 'orders'; found int",
        ),
        ("other.json", '{"matches": []}', "found an object with keys ['matches']"),
        ("empty.csv", "  \n", "the file is empty"),
        ("header.csv", "order_id,ordered_at\n", "contains no records"),
        (
            "columns.csv",
            "id,when\n1,2015-01-01T00:00:00Z\n",
            "orders need the column(s) order_id, which the file lacks; found ['id', 'when']",
        ),
        (
            "dupe.csv",
            "order_id,order_id\n1,2\n",
            "the CSV header has empty or repeated column names",
        ),
        (
            "huge.csv",
            'order_id,ordered_at\n1,"' + "x" * 200_000 + '"\n',
            "not a readable CSV table (line 2: field larger than field limit",
        ),
    ],
)
def test_malformed_files_raise_one_clear_error_naming_the_file(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(ImportFileError) as caught:
        import_orders(path, timezone=NEW_YORK)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


def test_unreadable_files(tmp_path):
    with pytest.raises(ImportFileError, match=r"cannot read the file \(No such file or directory\)"):
        import_orders(tmp_path / "missing.csv")
    with pytest.raises(ImportFileError, match=r"cannot read the file \(Is a directory\)"):
        import_matches(tmp_path)
    binary = tmp_path / "orders.csv"
    binary.write_bytes(b"order_id,ordered_at\n\xff\xfe\x00garbage")
    with pytest.raises(
        ImportFileError, match=rf"^{binary}: not UTF-8 text \(byte 20 cannot be decoded\)$"
    ):
        import_orders(binary)


def test_unknown_timezone_is_refused_before_reading():
    with pytest.raises(ValueError, match="unknown timezone 'Mars/Olympus'"):
        import_orders(PIZZA_CSV, timezone="Mars/Olympus")


def test_format_is_sniffed_when_the_suffix_says_nothing(tmp_path):
    path = tmp_path / "orders.txt"
    path.write_text(
        '[{"order_id": "1", "ordered_at": "2015-01-01T11:00:00Z", "items": 1, "total": 5}]'
    )
    assert import_orders(path).rows["order_id"].tolist() == ["1"]
