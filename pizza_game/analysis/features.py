"""Match features: what kind of match it was, as numbers the tests can correlate with lift.

Continuous: ``total_goals`` and ``goal_difference`` (the winning margin, home minus away in
absolute value). Binary (0/1): ``home_win``, ``away_win``, ``draw``, ``big_match`` (both teams in
the configured big-match list), ``derby`` (a configured pair), ``important`` (a knock-out stage,
a listed competition or the run-in of a season). Scores and results exist only for finished
matches; other matches get missing values there and drop out of those tests only. Clubs are
compared by canonical name (``team_names``), so an alias in the configuration or in a
row stored before the alias table counts as its club.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pizza_game.analysis.config import AnalysisConfig
from pizza_game.collectors.teams import big_match_mask, derby_mask
from pizza_game.team_names import canonical_team, canonical_teams

CONTINUOUS_FEATURES = ("total_goals", "goal_difference")
BINARY_FEATURES = ("home_win", "away_win", "draw", "big_match", "derby", "important")
FEATURES = CONTINUOUS_FEATURES + BINARY_FEATURES


def match_features(matches: pd.DataFrame, config: AnalysisConfig) -> pd.DataFrame:
    """One row per match (same index as ``matches``) with ``match_id`` and every feature."""
    finished = (matches["status"].astype(str) == "FINISHED").to_numpy()
    home = pd.to_numeric(matches["home_score"], errors="coerce").to_numpy(dtype="float64")
    away = pd.to_numeric(matches["away_score"], errors="coerce").to_numpy(dtype="float64")
    scored = finished & ~np.isnan(home) & ~np.isnan(away)
    home = np.where(scored, home, np.nan)
    away = np.where(scored, away, np.nan)
    winner = matches["winner"].astype(object).where(matches["winner"].notna(), None).to_numpy()
    from_score = np.where(home > away, "HOME_TEAM", np.where(home < away, "AWAY_TEAM", "DRAW"))
    result = np.where(pd.isna(winner), from_score, winner)

    def binary(values: np.ndarray, known: np.ndarray) -> np.ndarray:
        return np.where(known, values.astype("float64"), np.nan)

    home_team, away_team = (
        canonical_teams(matches[side].astype(str)) for side in ("home_team", "away_team")
    )
    big = tuple(canonical_team(team) for team in config.big_match_teams)
    derbies = tuple((canonical_team(a), canonical_team(b)) for a, b in config.derbies)
    important = (
        matches["stage"].astype(object).isin(config.important_stages).to_numpy()
        | matches["competition"].astype(object).isin(config.important_competitions).to_numpy()
    )
    if config.important_from_matchday is not None:
        matchday = pd.to_numeric(matches["matchday"], errors="coerce").to_numpy(dtype="float64")
        important = important | (np.nan_to_num(matchday, nan=0.0) >= config.important_from_matchday)
    return pd.DataFrame(
        {
            "match_id": matches["match_id"].astype(str).to_numpy(),
            "total_goals": home + away,
            "goal_difference": np.abs(home - away),
            "home_win": binary(result == "HOME_TEAM", scored),
            "away_win": binary(result == "AWAY_TEAM", scored),
            "draw": binary(result == "DRAW", scored),
            "big_match": big_match_mask(home_team, away_team, big).astype("float64"),
            "derby": derby_mask(home_team, away_team, derbies).astype("float64"),
            "important": important.astype("float64"),
        },
        index=matches.index,
    )
