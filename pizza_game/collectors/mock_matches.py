"""Mock Premier League fixtures and results, deterministic from a seed, for users without an API key.

A season's fixture list is a function of (seed, season) only: a double round-robin of the 20 clubs
in ``teams.TEAMS`` over 38 matchdays from mid-August to late May, with international-break and
FA Cup weekends free of league games, four midweek rounds and UK kick-off times (Saturday
12:30/15:00/17:30, Sunday 14:00/16:30, the odd Friday or Monday 20:00, midweek 19:45/20:00, all
of the final day at Sunday 16:00) converted from Europe/London to UTC. Scores come from a Poisson
goals model with home advantage and club strengths. Only the statuses depend on ``now``.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np
import pandas as pd

from pizza_game.collectors.mock_random import stream
from pizza_game.collectors.teams import BIG_SIX, TEAMS, big_match_mask, derby_mask
from pizza_game.schema import MATCH_COLUMNS, coerce, empty_matches

COMPETITION = "PL"
UK = "Europe/London"
MATCHDAYS = 38

# Club strength on a log goal-rate scale, roughly the 2024-25 table; each season adds noise.
RATINGS: dict[str, float] = {
    "Liverpool FC": 0.55,
    "Arsenal FC": 0.50,
    "Manchester City FC": 0.50,
    "Chelsea FC": 0.35,
    "Newcastle United FC": 0.30,
    "Aston Villa FC": 0.25,
    "Nottingham Forest FC": 0.15,
    "Brighton & Hove Albion FC": 0.10,
    "AFC Bournemouth": 0.10,
    "Brentford FC": 0.05,
    "Fulham FC": 0.05,
    "Crystal Palace FC": 0.05,
    "Manchester United FC": 0.0,
    "Tottenham Hotspur FC": 0.0,
    "Everton FC": -0.10,
    "West Ham United FC": -0.10,
    "Wolverhampton Wanderers FC": -0.20,
    "Leeds United FC": -0.25,
    "Burnley FC": -0.35,
    "Sunderland AFC": -0.35,
}
RATING_NOISE = 0.15
HOME_GOALS, AWAY_GOALS = 1.50, 1.17  # mean goals of evenly matched clubs
FIRST_HALF_SHARE = 0.45  # share of goals scored before half-time

# First day of the 7-day windows holding a Saturday without league games: international breaks
# (September, October, November, March) and FA Cup rounds (January, February, March).
FREE_WEEKENDS = ((9, 5), (10, 10), (11, 14), (1, 7), (2, 7), (3, 14), (3, 21))
# First day of the 7-day windows whose Tuesday starts a midweek round.
MIDWEEK_ROUNDS = ((12, 2), (12, 29), (1, 13), (4, 21))
SEASON_WEEKS = 41  # Saturdays from the opening weekend (9-15 August) to the final day

# Kick-off times as (days after the round's anchor date, local time), most televised first: the
# most attractive matches of a round take the first kick-off times.
FRI, SAT, SUN, MON = -1, 0, 1, 2  # weekend rounds are anchored on Saturday
TUE, WED = 0, 1  # midweek rounds on Tuesday
TV_WEEKEND = ((SUN, "16:30"), (SAT, "17:30"), (SAT, "12:30"))
WEEKEND_KICKOFFS = (*TV_WEEKEND, (SUN, "14:00"), (SUN, "14:00"), *[(SAT, "15:00")] * 5)
MONDAY_KICKOFFS = (*TV_WEEKEND, (MON, "20:00"), (SUN, "14:00"), (SUN, "14:00"), *[(SAT, "15:00")] * 4)
FRIDAY_KICKOFFS = (*TV_WEEKEND, (FRI, "20:00"), (SUN, "14:00"), (SUN, "14:00"), *[(SAT, "15:00")] * 4)
MIDWEEK_KICKOFFS = (*[(WED, "20:00"), (TUE, "20:00")] * 2, *[(TUE, "19:45"), (WED, "19:45")] * 3)
FINAL_DAY_KICKOFFS = ((SUN, "16:00"),) * 10

# A match is FINISHED this long after kick-off; kick-off times further ahead than the TV picks are
# not fixed yet (SCHEDULED at T00:00:00Z of the round's date), except on the final day.
MATCH_LENGTH = pd.Timedelta(hours=2)
TV_PICKS_AHEAD = pd.Timedelta(weeks=8)


def to_utc(value: object, name: str) -> pd.Timestamp:
    """``value`` as a UTC timestamp; naive values are refused rather than guessed."""
    try:
        stamp = pd.Timestamp(value)  # type: ignore[arg-type]  # any value is tried: TypeError answers
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} is not a timestamp: {value!r}") from error
    if stamp.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware (e.g. UTC), not naive {stamp}")
    return stamp.tz_convert("UTC").as_unit("ns")


def season_of(stamp: pd.Timestamp) -> int:
    """The year a season starts in (football-data.org's ``season``): 2024 for 2024-25."""
    return stamp.year if stamp.month >= 7 else stamp.year - 1


def _weekday_in(season: int, month: int, day: int, weekday: int) -> dt.date:
    """The ``weekday`` (Monday 0) in the 7 days from ``day``/``month`` of ``season``."""
    first = dt.date(season if month >= 7 else season + 1, month, day)
    return first + dt.timedelta(days=(weekday - first.weekday()) % 7)


def round_dates(season: int) -> list[tuple[dt.date, tuple[tuple[int, str], ...]]]:
    """The 38 rounds of ``season`` in order: (anchor date, kick-off times).

    Some weekend rounds (the opening one, then every fourth) also use Friday evening and others
    Monday evening, but only when the previous (next) round is a week away, so no club plays on
    consecutive days.
    """
    opening = _weekday_in(season, 8, 9, 5)
    free = {_weekday_in(season, m, d, 5) for m, d in FREE_WEEKENDS}
    weekends = [opening + dt.timedelta(weeks=w) for w in range(SEASON_WEEKS)]
    anchors = sorted(
        [d for d in weekends if d not in free]
        + [_weekday_in(season, m, d, 1) for m, d in MIDWEEK_ROUNDS]
    )
    if len(anchors) != MATCHDAYS:
        raise RuntimeError(f"season {season}: calendar has {len(anchors)} rounds, not {MATCHDAYS}")
    rounds = []
    kickoffs: tuple[tuple[int, str], ...]
    for i, anchor in enumerate(anchors):
        gap_before = (anchor - anchors[i - 1]).days if i else 7
        gap_after = (anchors[i + 1] - anchor).days if i + 1 < len(anchors) else 0
        if i + 1 == len(anchors):
            kickoffs = FINAL_DAY_KICKOFFS
        elif anchor.weekday() == 1:
            kickoffs = MIDWEEK_KICKOFFS
        elif gap_before >= 7 and (i == 0 or i % 4 == 1):
            kickoffs = FRIDAY_KICKOFFS
        elif gap_after >= 7 and i % 4 == 3:
            kickoffs = MONDAY_KICKOFFS
        else:
            kickoffs = WEEKEND_KICKOFFS
        rounds.append((anchor, kickoffs))
    return rounds


def _pairings(rng: np.random.Generator) -> list[list[tuple[str, str]]]:
    """38 rounds of (home, away): a circle-method round-robin, then its mirror in shuffled order."""
    teams = list(rng.permutation(TEAMS))
    n = len(teams)
    first_half = []
    for r in range(n - 1):
        circle = [teams[0], *teams[1:][r:], *teams[1:][:r]]
        pairs = [(circle[i], circle[n - 1 - i]) for i in range(n // 2)]
        first_half.append(
            [(a, b) if (r + i) % 2 == 0 else (b, a) for i, (a, b) in enumerate(pairs)]
        )
    order = list(rng.permutation(n - 1))
    if order[0] == n - 2:  # no rematch straight after the turn of the season
        order[0], order[1] = order[1], order[0]
    return first_half + [[(b, a) for a, b in first_half[k]] for k in order]


@lru_cache(maxsize=32)
def _season_fixture(seed: int, season: int) -> pd.DataFrame:
    """Every match of ``season`` as it will be played: true kick-off, round anchor and scores."""
    rng = stream(seed, "mock_matches", season)
    rows = []
    for matchday, ((anchor, kickoffs), pairs) in enumerate(
        zip(round_dates(season), _pairings(rng), strict=True), start=1
    ):
        home = pd.Series([h for h, _ in pairs])
        away = pd.Series([a for _, a in pairs])
        appeal = (
            2.0 * big_match_mask(home, away)
            + 1.5 * derby_mask(home, away)
            + (home.isin(BIG_SIX) | away.isin(BIG_SIX)).to_numpy()
            + rng.uniform(0, 1.5, len(pairs))
        )
        for kickoff, k in zip(kickoffs, np.argsort(-appeal, kind="stable"), strict=True):
            day = anchor + dt.timedelta(days=kickoff[0])
            rows.append(
                (matchday, anchor, f"{day} {kickoff[1]}", home[k], away[k], matchday == MATCHDAYS)
            )
    table = pd.DataFrame(
        rows, columns=["matchday", "anchor", "local_kickoff", "home_team", "away_team", "final_day"]
    )
    table["kickoff_at"] = (
        pd.to_datetime(table["local_kickoff"])
        .dt.tz_localize(UK)
        .dt.tz_convert("UTC")
        .dt.as_unit("ns")
    )
    table["anchor_at"] = pd.to_datetime(table["anchor"]).dt.tz_localize("UTC").dt.as_unit("ns")
    table = table.sort_values(["kickoff_at", "home_team"], kind="stable").reset_index(drop=True)
    table["match_id"] = [f"mock-{COMPETITION}-{season}-{n:03d}" for n in range(1, len(table) + 1)]
    strength = {team: RATINGS[team] + rng.normal(0, RATING_NOISE) for team in TEAMS}
    diff = table["home_team"].map(strength).to_numpy() - table["away_team"].map(strength).to_numpy()
    table["home_score"] = rng.poisson(HOME_GOALS * np.exp(diff / 2))
    table["away_score"] = rng.poisson(AWAY_GOALS * np.exp(-diff / 2))
    table["home_score_ht"] = rng.binomial(table["home_score"], FIRST_HALF_SHARE)
    table["away_score_ht"] = rng.binomial(table["away_score"], FIRST_HALF_SHARE)
    return table.drop(columns=["anchor", "local_kickoff"])


def generate_matches(
    start: object,
    end: object,
    *,
    seed: int,
    competition: str = COMPETITION,
    now: object | None = None,
) -> pd.DataFrame:
    """Canonical mock matches whose reported ``kickoff_at`` is in [start, end), as seen at ``now``.

    At ``now`` (default: the current time) a match is FINISHED with scores once kick-off + 2 h
    has passed, IN_PLAY (no scores yet) after kick-off, TIMED before it, and SCHEDULED at
    T00:00:00Z of its round's date with ``kickoff_known`` False when it is more than 8 weeks away,
    as football-data.org reports matches whose TV slot is not picked yet.
    """
    if competition != COMPETITION:
        raise ValueError(
            f"mock fixtures exist for competition {COMPETITION!r} only, not {competition!r}"
        )
    start, end = to_utc(start, "start"), to_utc(end, "end")
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    now = pd.Timestamp.now(tz="UTC") if now is None else to_utc(now, "now")
    # Placeholders sit up to 3 days before the real kick-off (Saturday anchor, Monday match).
    lo, hi = start - pd.Timedelta(days=3), end + pd.Timedelta(days=3)
    seasons = range(season_of(lo), season_of(hi) + 1)
    fixture = pd.concat([_season_fixture(seed, s) for s in seasons], ignore_index=True)
    fixture = fixture[(fixture["kickoff_at"] >= lo) & (fixture["kickoff_at"] < hi)]
    if fixture.empty:
        return coerce(empty_matches(), MATCH_COLUMNS)
    table = _as_seen_at(fixture, now)
    table = table[(table["kickoff_at"] >= start) & (table["kickoff_at"] < end)]
    return coerce(table.sort_values(["kickoff_at", "match_id"], kind="stable"), MATCH_COLUMNS)


def _as_seen_at(fixture: pd.DataFrame, now: pd.Timestamp) -> pd.DataFrame:
    """The fixture's matches as football-data.org would report them at ``now``: status, scores and
    winner once known, a placeholder kick-off while the TV slot is not picked."""
    ko = fixture["kickoff_at"]
    finished = (ko + MATCH_LENGTH <= now).to_numpy()
    in_play = (ko <= now).to_numpy() & ~finished
    unfixed = ((ko > now + TV_PICKS_AHEAD) & ~fixture["final_day"]).to_numpy()
    status = np.select([finished, in_play, unfixed], ["FINISHED", "IN_PLAY", "SCHEDULED"], "TIMED")
    scores = {
        name: fixture[name].astype("Int64").where(finished)
        for name in ("home_score", "away_score", "home_score_ht", "away_score_ht")
    }
    goal_difference = (fixture["home_score"] - fixture["away_score"]).to_numpy()
    winner = np.select(
        [goal_difference > 0, goal_difference < 0], ["HOME_TEAM", "AWAY_TEAM"], "DRAW"
    )
    return pd.DataFrame(
        {
            "match_id": fixture["match_id"],
            "competition": COMPETITION,
            "kickoff_at": ko.where(~unfixed, fixture["anchor_at"]),
            "kickoff_known": ~unfixed,
            "status": status,
            "stage": "REGULAR_SEASON",
            "matchday": fixture["matchday"],
            "home_team": fixture["home_team"],
            "away_team": fixture["away_team"],
            **scores,
            "winner": pd.Series(winner, index=fixture.index).where(finished),
            "source": "mock",
        }
    )
