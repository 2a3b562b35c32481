"""Premier League clubs, the UK region each one's fans live in, and which matches are special.

Club names are spelled as football-data.org v4 spells ``homeTeam.name`` (2025-26 season): the
canonical names of ``team_names.ALIASES``, to which every source's names are normalized, so these
defaults apply to real API data, imported files and the mock fixtures alike. Regions are
England's nine ITL1 regions; the mock stores sit in the same regions, so "the teams' regions" are
where their fans order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

REGIONS = (
    "London",
    "South East",
    "South West",
    "East of England",
    "West Midlands",
    "East Midlands",
    "Yorkshire and the Humber",
    "North West",
    "North East",
)

TEAM_REGIONS: dict[str, str] = {
    "AFC Bournemouth": "South West",
    "Arsenal FC": "London",
    "Aston Villa FC": "West Midlands",
    "Brentford FC": "London",
    "Brighton & Hove Albion FC": "South East",
    "Burnley FC": "North West",
    "Chelsea FC": "London",
    "Crystal Palace FC": "London",
    "Everton FC": "North West",
    "Fulham FC": "London",
    "Leeds United FC": "Yorkshire and the Humber",
    "Liverpool FC": "North West",
    "Manchester City FC": "North West",
    "Manchester United FC": "North West",
    "Newcastle United FC": "North East",
    "Nottingham Forest FC": "East Midlands",
    "Sunderland AFC": "North East",
    "Tottenham Hotspur FC": "London",
    "West Ham United FC": "London",
    "Wolverhampton Wanderers FC": "West Midlands",
}
TEAMS = tuple(TEAM_REGIONS)

# A "big match" is one between two of these clubs.
BIG_SIX = (
    "Arsenal FC",
    "Chelsea FC",
    "Liverpool FC",
    "Manchester City FC",
    "Manchester United FC",
    "Tottenham Hotspur FC",
)

DERBIES: dict[tuple[str, str], str] = {
    ("Arsenal FC", "Tottenham Hotspur FC"): "North London derby",
    ("Everton FC", "Liverpool FC"): "Merseyside derby",
    ("Manchester City FC", "Manchester United FC"): "Manchester derby",
    ("Newcastle United FC", "Sunderland AFC"): "Tyne-Wear derby",
    ("Brighton & Hove Albion FC", "Crystal Palace FC"): "M23 derby",
    ("Chelsea FC", "Fulham FC"): "West London derby",
    ("Brentford FC", "Fulham FC"): "West London derby",
    ("Aston Villa FC", "Wolverhampton Wanderers FC"): "West Midlands derby",
}
# Unordered: either club may be at home.
DERBY_PAIRS = tuple(DERBIES)


def big_match_mask(
    home: pd.Series, away: pd.Series, big_teams: tuple[str, ...] = BIG_SIX
) -> np.ndarray:
    """True where both clubs are in ``big_teams``."""
    return (home.isin(big_teams) & away.isin(big_teams)).to_numpy(dtype=bool)


def derby_mask(
    home: pd.Series, away: pd.Series, pairs: tuple[tuple[str, str], ...] = DERBY_PAIRS
) -> np.ndarray:
    """True where the two clubs form one of ``pairs``, whichever of them is at home."""
    keys = {frozenset(pair) for pair in pairs}
    return np.array([frozenset((h, a)) in keys for h, a in zip(home, away, strict=True)], dtype=bool)
