from collections.abc import Sequence

import numpy as np
import pandas as pd
import pytest

from pizza_game.collectors.match_effects import MatchEffects, match_factor

KICKOFF = pd.Timestamp("2024-11-02T15:00Z")


def matches(*rows: tuple[str, str, str], **columns: list) -> pd.DataFrame:
    """Matches (home, away, kick-off) with the columns match_factor reads."""
    table = pd.DataFrame(rows, columns=["home_team", "away_team", "kickoff_at"])
    table["kickoff_at"] = pd.to_datetime(table["kickoff_at"], utc=True)
    table["kickoff_known"] = columns.get("kickoff_known", [True] * len(rows))
    table["status"] = columns.get("status", ["FINISHED"] * len(rows))
    return table


def factor_at(
    minutes: Sequence[float], region: str, table: pd.DataFrame, effects: MatchEffects
) -> np.ndarray:
    times = KICKOFF + pd.to_timedelta(list(minutes), unit="min")
    return match_factor(times, [region] * len(minutes), table, effects)


ORDINARY = matches(("Everton FC", "Fulham FC", "2024-11-02T15:00Z"))


def test_lift_follows_the_match_clock():
    effects = MatchEffects()
    minutes = [-61, -60, -1, 0, 44, 45, 59, 60, 104, 105]
    expected = [0, 0.25, 0.25, -0.10, -0.10, 0.15, 0.15, -0.10, -0.10, 0]
    assert effects.lift_at(np.array(minutes)).tolist() == pytest.approx(expected)


def test_no_effect_leaves_every_instant_alone():
    minutes = list(range(-300, 300, 7))
    assert factor_at(minutes, "North West", ORDINARY, MatchEffects.none()).tolist() == [1.0] * len(
        minutes
    )


def test_planted_pre_lift_is_uniform_over_two_hours_everywhere():
    effects = MatchEffects.only(pre=0.20)
    big_derby = matches(("Arsenal FC", "Tottenham Hotspur FC", "2024-11-02T15:00Z"))
    for region in ("London", "East of England", "Atlantis"):
        got = factor_at([-121, -120, -60, -1, 0, 50, 100], region, big_derby, effects)
        assert got.tolist() == pytest.approx([1, 1.2, 1.2, 1.2, 1, 1, 1])


def test_clubs_regions_get_the_regional_multiple():
    effects = MatchEffects()
    assert factor_at([-30], "North West", ORDINARY, effects) == pytest.approx(1 + 0.25 * 2.2)
    assert factor_at([-30], "London", ORDINARY, effects) == pytest.approx(1 + 0.25 * 2.2)
    assert factor_at([-30], "North East", ORDINARY, effects) == pytest.approx(1.25)
    assert factor_at([50], "North East", ORDINARY, effects) == pytest.approx(1.15)
    unknown_clubs = matches(("FC Somewhere", "FC Elsewhere", "2024-11-02T15:00Z"))
    assert factor_at([-30], "London", unknown_clubs, effects) == pytest.approx(1.25)


def test_big_matches_and_derbies_multiply_the_lift():
    effects = MatchEffects()
    big = matches(("Chelsea FC", "Liverpool FC", "2024-11-02T15:00Z"))
    derby = matches(("Brentford FC", "Fulham FC", "2024-11-02T15:00Z"))
    both = matches(("Tottenham Hotspur FC", "Arsenal FC", "2024-11-02T15:00Z"))
    assert factor_at([-30], "North East", big, effects) == pytest.approx(1 + 0.25 * 1.5)
    assert factor_at([-30], "North East", derby, effects) == pytest.approx(1 + 0.25 * 1.3)
    assert factor_at([-30], "North East", both, effects) == pytest.approx(1 + 0.25 * 1.5 * 1.3)
    assert factor_at([10], "London", both, effects) == pytest.approx(1 - 0.10 * 1.5 * 1.3 * 2.2)


def test_concurrent_matches_do_not_stack():
    effects = MatchEffects()
    five = matches(*[(h, a, "2024-11-02T15:00Z") for h, a in [
        ("Everton FC", "Fulham FC"),
        ("Burnley FC", "Leeds United FC"),
        ("Sunderland AFC", "Brentford FC"),
        ("AFC Bournemouth", "West Ham United FC"),
        ("Aston Villa FC", "Crystal Palace FC"),
    ]])  # fmt: skip
    assert factor_at([-30, 20, 50], "East of England", five, effects).tolist() == pytest.approx(
        factor_at([-30, 20, 50], "East of England", ORDINARY, effects).tolist()
    )
    # A boost of one match and the dip of another both apply.
    early_and_late = matches(
        ("Everton FC", "Fulham FC", "2024-11-02T15:00Z"),
        ("Burnley FC", "Leeds United FC", "2024-11-02T15:30Z"),
    )
    assert factor_at([10], "East of England", early_and_late, effects) == pytest.approx(1.25 * 0.90)


def test_deep_dips_floor_at_zero():
    effects = MatchEffects(during=-0.9)
    assert factor_at([10], "London", ORDINARY, effects) == pytest.approx(0.0)


def test_matches_without_a_kickoff_or_that_were_not_played_move_nothing():
    table = matches(
        ("Everton FC", "Fulham FC", "2024-11-02T15:00Z"),
        ("Burnley FC", "Leeds United FC", "2024-11-02T15:00Z"),
        kickoff_known=[False, True],
        status=["SCHEDULED", "POSTPONED"],
    )
    assert factor_at([-30, 10, 50], "London", table, MatchEffects()).tolist() == [1.0, 1.0, 1.0]


def test_any_mix_of_times_and_regions_is_handled_in_one_call():
    times = pd.DatetimeIndex(
        ["2024-11-02T14:30Z", "2024-11-02T10:00Z", "2024-11-02T15:50Z", "2024-11-02T14:30Z"]
    )
    got = match_factor(times, ["London", "London", "East of England", "East of England"], ORDINARY)
    assert got.tolist() == pytest.approx([1.55, 1.0, 1.15, 1.25])


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"pre": -1.0}, "MatchEffects.pre is a lift"),
        ({"regional": -0.5}, "MatchEffects.regional is a multiplier"),
        ({"pre_minutes": 0}, "MatchEffects.pre_minutes"),
        ({"pre_minutes": 721}, "MatchEffects.pre_minutes"),
    ],
)
def test_impossible_effects_are_refused(fields, message):
    with pytest.raises(ValueError, match=message):
        MatchEffects(**fields)


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="timezone-aware"):
        match_factor(pd.DatetimeIndex(["2024-11-02T14:30"]), ["London"], ORDINARY)
    with pytest.raises(ValueError, match="same length"):
        match_factor(pd.DatetimeIndex(["2024-11-02T14:30Z"]), ["London", "London"], ORDINARY)
    with pytest.raises(ValueError, match=r"lack columns \['kickoff_known', 'status'\]"):
        match_factor(
            pd.DatetimeIndex(["2024-11-02T14:30Z"]),
            ["London"],
            ORDINARY[["home_team", "away_team", "kickoff_at"]],
        )
