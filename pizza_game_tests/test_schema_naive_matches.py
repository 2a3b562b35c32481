"""normalize_matches localizes naive kick-offs only when told the zone, like normalize_orders."""

from __future__ import annotations

import pandas as pd

from pizza_game.normalize.matches import normalize_matches

RECORDS = pd.DataFrame(
    {
        "match_id": ["summer", "winter", "zoned", "skipped"],
        "kickoff_at": [
            "2014-08-16 15:00",
            "2014-11-01 15:00",
            "2014-08-16T15:00:00+02:00",
            "2015-03-29 01:30",
        ],
        "home_team": ["A", "C", "E", "G"],
        "away_team": ["B", "D", "F", "H"],
    }
)


def test_naive_kickoffs_are_localized_then_stored_in_utc():
    result = normalize_matches(RECORDS, source="real", where="t", naive_timezone="Europe/London")
    assert result.rows.set_index("match_id")["kickoff_at"].to_dict() == {
        "summer": pd.Timestamp("2014-08-16T14:00:00Z"),
        "winter": pd.Timestamp("2014-11-01T15:00:00Z"),
        "zoned": pd.Timestamp("2014-08-16T13:00:00Z"),
    }
    assert result.rejected[["where", "reason"]].values.tolist() == [
        ["t row 3", "nonexistent local time (skipped when the clocks went forward)"]
    ]


def test_without_a_zone_naive_kickoffs_are_rejected_as_before():
    result = normalize_matches(RECORDS, source="real", where="t")
    assert result.rows["match_id"].tolist() == ["zoned"]
    assert set(result.rejected["reason"]) == {
        "naive timestamp (no UTC offset); give the source's timezone"
    }
