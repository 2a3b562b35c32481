"""Canonical matches from records that already use the canonical column names."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pizza_game.normalize.checks import (
    Problem,
    check_source,
    collect_rejected,
    first_problem,
    int_column,
    nested,
    reject_duplicates,
    required,
    row_origins,
    text_id,
    time_problems,
)
from pizza_game.normalize.timestamps import parse_utc
from pizza_game.schema import (
    MATCH_COLUMNS,
    MATCH_STATUSES,
    WINNERS,
    Normalized,
    coerce,
    empty_matches,
    empty_rejected,
)
from pizza_game.team_names import canonical_teams

# Kick-offs before this are typos or placeholders (e.g. year 1900), not football we can analyse.
EARLIEST_PLAUSIBLE = pd.Timestamp("1990-01-01", tz="UTC")
WHOLE_NUMBERS = ("home_score", "away_score", "home_score_ht", "away_score_ht", "matchday")


def normalize_matches(
    records: pd.DataFrame,
    *,
    source: str,
    where: str,
    naive_timezone: str | None = None,
    date_format: str | None = None,
    ambiguous: str = "reject",
) -> Normalized:
    """Canonical matches from records that already use the canonical column names.

    Naive ``kickoff_at`` values are localized with ``naive_timezone`` (as in ``parse_utc``).

    ``kickoff_known`` defaults to True except for SCHEDULED matches at T00:00:00Z (football-data.org
    puts unknown kick-off times at midnight UTC). ``winner`` is derived from the score of finished
    matches when the source does not give it. Unknown statuses, kick-offs before 1990, scores
    that are not whole non-negative numbers and rows without teams are rejected. Team names are
    made canonical (``team_names``); names the alias table does not know are kept.
    """
    check_source(source)
    records = records.reset_index(drop=True)
    if len(records) == 0:
        return Normalized(empty_matches(), empty_rejected())
    origin = row_origins(records, where)
    required(records, where, "matches", ("match_id", "kickoff_at", "home_team", "away_team"))
    kickoff_at, time_problem = parse_utc(
        records["kickoff_at"], naive_timezone=naive_timezone, date_format=date_format, ambiguous=ambiguous
    )
    numbers, number_problems = _whole_numbers(records)
    table = _match_table(records, kickoff_at, numbers, source)
    problems = _match_problems(records, table, time_problems(time_problem), number_problems)
    reason = first_problem(problems, len(records))
    reason_text = "duplicate match_id (the last one is kept: it is the most recent state)"
    reject_duplicates(table["match_id"], reason, "last", reason_text)
    rejected = collect_rejected(records, reason, origin, kickoff_at)
    return Normalized(coerce(table.loc[reason == ""], MATCH_COLUMNS), rejected)


def _match_table(
    records: pd.DataFrame, kickoff_at: pd.Series, numbers: dict[str, pd.Series], source: str
) -> pd.DataFrame:
    """Every record as a row of the canonical match table, valid or not (the problems say which)."""
    status = _column(records, "status", "FINISHED").astype("string").str.strip().str.upper().fillna("FINISHED")
    home, away = (canonical_teams(text_id(records[c])) for c in ("home_team", "away_team"))
    return pd.DataFrame(
        {
            "match_id": text_id(records["match_id"]),
            "competition": _column(records, "competition", "unknown").astype("string").fillna("unknown"),
            "kickoff_at": kickoff_at,
            "kickoff_known": _kickoff_known(records, status, kickoff_at),
            "status": status,
            "stage": _column(records, "stage").astype("string"),
            "matchday": numbers["matchday"],
            "home_team": home,
            "away_team": away,
            **{name: numbers[name] for name in ("home_score", "away_score", "home_score_ht", "away_score_ht")},
            "winner": _winner(_column(records, "winner").astype("string").str.strip().str.upper(), status, numbers),
            "source": source,
        }
    )


def _match_problems(
    records: pd.DataFrame, table: pd.DataFrame, time: list[Problem], numbers: list[Problem]
) -> list[Problem]:
    """The problems of each row, in the order a row's first one is chosen: the record's shape, its
    ids and teams, its kick-off time, status, scores and matchday, then its winner."""
    match_id, home, away, winner = table["match_id"], table["home_team"], table["away_team"], table["winner"]
    problems: list[Problem] = [
        nested(records),
        ("missing match_id", (match_id.isna() | (match_id == "")).to_numpy()),
        ("missing home_team or away_team", (home.isna() | away.isna() | (home == "") | (away == "")).to_numpy()),
    ]
    problems += time
    problems.append(
        (
            f"kick-off before {EARLIEST_PLAUSIBLE.year} is not plausible",
            (table["kickoff_at"] < EARLIEST_PLAUSIBLE).fillna(False).to_numpy(),
        )
    )
    status = table["status"]
    problems.append((f"unknown status (expected one of {', '.join(MATCH_STATUSES)})", ~status.isin(MATCH_STATUSES).to_numpy()))
    return problems + numbers + [("unknown winner", (~winner.isna() & ~winner.isin(WINNERS)).to_numpy())]


def _column(records: pd.DataFrame, name: str, default: object = None) -> pd.Series:
    """Column ``name``, or ``default`` in every row when the records lack it."""
    return records[name] if name in records.columns else pd.Series([default] * len(records))


def _whole_numbers(records: pd.DataFrame) -> tuple[dict[str, pd.Series], list[Problem]]:
    """Scores and matchday as Int64, and their problems (not whole, negative), column by column."""
    numbers = {}
    problems: list[Problem] = []
    for name in WHOLE_NUMBERS:
        values, bad = int_column(_column(records, name))
        numbers[name] = values
        problems.append((f"{name} is not a whole number", bad))
        problems.append((f"{name} must not be negative", (values.fillna(0) < 0).to_numpy()))
    return numbers, problems


def _winner(winner: pd.Series, status: pd.Series, numbers: dict[str, pd.Series]) -> pd.Series:
    """The winner as given, or derived from the score of decided matches that do not give one."""
    decided = status.isin(("FINISHED", "AWARDED")) & winner.isna()
    decided &= numbers["home_score"].notna() & numbers["away_score"].notna()
    if not decided.any():
        return winner
    home_goals, away_goals = numbers["home_score"][decided], numbers["away_score"][decided]
    winner = winner.copy()
    winner[decided] = np.where(
        home_goals > away_goals, "HOME_TEAM", np.where(home_goals < away_goals, "AWAY_TEAM", "DRAW")
    )
    return winner


def _kickoff_known(records: pd.DataFrame, status: pd.Series, kickoff_at: pd.Series) -> pd.Series:
    """Whether the kick-off time is real: as given, else False for SCHEDULED matches at midnight UTC
    (football-data.org's placeholder for a time not yet known)."""
    midnight = kickoff_at.dt.hour.eq(0) & kickoff_at.dt.minute.eq(0)
    default_known = ~(status.eq("SCHEDULED") & midnight).fillna(False)
    if "kickoff_known" not in records.columns:
        return default_known.astype(bool)
    known = records["kickoff_known"].map(
        lambda v: v if isinstance(v, (bool, np.bool_)) else str(v).strip().lower() in ("true", "1")
    )
    return known.where(records["kickoff_known"].notna(), default_known).astype(bool)
