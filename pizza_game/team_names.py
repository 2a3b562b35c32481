"""One name per club: every source's spelling of a club mapped to the name football-data.org sends.

``ALIASES`` is the maintained table: each canonical name (football-data.org v4 ``team.name``, as
recorded in ../shared/data/football_data_org) with the other spellings known to reach the pipeline
(football-data.org's ``shortName``, openfootball's names, common short forms). A name is looked up
by its key (``team_key``): case, accents, punctuation, "&"/"and", "Utd"/"United" and the suffixes
"FC" and "AFC" do not matter, so "Manchester United", "manchester united fc" and "Man Utd" are one
club. Nothing is fuzzier than that: "Manchester City" and "Manchester United" keep different keys,
and the table refuses (at import) an alias whose key already belongs to another club.

Three-letter codes are not aliases: football-data.org gives "SHE" to both Sheffield United and
Sheffield Wednesday. A name the table does not know is kept as it came and reported
(``unknown_teams``), never rejected.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

ALIASES: dict[str, tuple[str, ...]] = {
    # Premier League 2014-15 to 2025-26 (football-data.org files and openfootball 2014-15, 2015-16)
    "AFC Bournemouth": ("Bournemouth",),
    "Arsenal FC": ("Arsenal",),
    "Aston Villa FC": ("Aston Villa",),
    "Brentford FC": ("Brentford",),
    "Brighton & Hove Albion FC": ("Brighton", "Brighton Hove", "Brighton & Hove"),
    "Burnley FC": ("Burnley",),
    "Chelsea FC": ("Chelsea",),
    "Crystal Palace FC": ("Crystal Palace",),
    "Everton FC": ("Everton",),
    "Fulham FC": ("Fulham",),
    "Hull City AFC": ("Hull City",),  # not "Hull": Hull FC is a rugby league club
    "Leeds United FC": ("Leeds United", "Leeds"),
    "Leicester City FC": ("Leicester City", "Leicester"),
    "Liverpool FC": ("Liverpool",),
    "Luton Town FC": ("Luton Town", "Luton"),
    "Manchester City FC": ("Manchester City", "Man City"),
    "Manchester United FC": ("Manchester United", "Man United", "Man Utd"),
    "Newcastle United FC": ("Newcastle United", "Newcastle"),
    "Norwich City FC": ("Norwich City", "Norwich"),
    "Nottingham Forest FC": ("Nottingham Forest", "Nottingham", "Nott'm Forest"),
    "Queens Park Rangers FC": ("Queens Park Rangers", "QPR"),
    "Sheffield United FC": ("Sheffield United", "Sheff Utd"),
    "Southampton FC": ("Southampton",),
    "Stoke City FC": ("Stoke City", "Stoke"),
    "Sunderland AFC": ("Sunderland",),
    "Swansea City AFC": ("Swansea City", "Swansea"),
    "Tottenham Hotspur FC": ("Tottenham Hotspur", "Tottenham", "Spurs"),
    "Watford FC": ("Watford",),
    "West Bromwich Albion FC": ("West Bromwich Albion", "West Brom"),
    "West Ham United FC": ("West Ham United", "West Ham"),
    "Wolverhampton Wanderers FC": ("Wolverhampton Wanderers", "Wolverhampton", "Wolves"),
    # Championship (football-data.org, 2023-12-29)
    "Birmingham City FC": ("Birmingham City", "Birmingham"),
    "Blackburn Rovers FC": ("Blackburn Rovers", "Blackburn"),
    "Bristol City FC": ("Bristol City",),
    "Cardiff City FC": ("Cardiff City", "Cardiff"),
    "Coventry City FC": ("Coventry City", "Coventry"),
    "Huddersfield Town AFC": ("Huddersfield Town", "Huddersfield"),
    "Ipswich Town FC": ("Ipswich Town", "Ipswich"),
    "Middlesbrough FC": ("Middlesbrough",),
    "Millwall FC": ("Millwall",),
    "Plymouth Argyle FC": ("Plymouth Argyle", "Plymouth Arg", "Plymouth"),
    "Preston North End FC": ("Preston North End", "Preston NE", "Preston"),
    "Rotherham United FC": ("Rotherham United", "Rotherham"),
    "Sheffield Wednesday FC": ("Sheffield Wednesday", "Sheffield Wed", "Sheff Wed"),
    # Other competitions in the football-data.org files (Serie A, Primeira Liga, Champions League)
    "AC Monza": ("Monza",),
    "ACF Fiorentina": ("Fiorentina",),
    "BSC Young Boys": ("Young Boys",),
    "FC Famalicão": ("Famalicão",),
    "FC Internazionale Milano": ("Inter", "Internazionale", "Inter Milan"),
    "FC København": ("København", "Copenhagen", "FC Copenhagen"),
    "FC Porto": ("Porto",),
    "FK Crvena Zvezda": ("Crvena Zvezda", "Crvena Zvedza", "Red Star Belgrade"),
    "Frosinone Calcio": ("Frosinone",),
    "GD Chaves": ("Chaves",),
    "Genoa CFC": ("Genoa",),
    "RB Leipzig": ("Leipzig",),
    "SS Lazio": ("Lazio",),
    "SSC Napoli": ("Napoli",),
    "Sport Lisboa e Benfica": ("SL Benfica", "Benfica"),
    "Torino FC": ("Torino",),
}
CANONICAL = frozenset(ALIASES)

# Words that never tell two clubs apart, and spellings of one word.
_DROPPED_WORDS = frozenset({"fc", "afc"})
_SAME_WORD = {"utd": "united", "&": "and"}
# Letters NFKD does not split into a base letter and an accent.
_LETTERS = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "đ": "d", "ł": "l"})


def team_key(name: str) -> str:
    """The lookup key of a club name: lower case, no accents or punctuation, no "FC"/"AFC"."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold().translate(_LETTERS)
    text = re.sub(r"['’.]", "", text).replace("&", " & ")
    words = (_SAME_WORD.get(word, word) for word in re.split(r"[^\w&]+", text))
    return " ".join(word for word in words if word and word not in _DROPPED_WORDS)


def _lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for canonical, aliases in ALIASES.items():
        for name in (canonical, *aliases):
            key = team_key(name)
            if lookup.setdefault(key, canonical) != canonical:
                raise ValueError(
                    f"team name {name!r} (of {canonical!r}) has the key {key!r}, which already "
                    f"names {lookup[key]!r}: one spelling cannot name two clubs"
                )
    return lookup


_LOOKUP = _lookup()


def canonical_team(name: str) -> str:
    """The canonical name of ``name``, or ``name`` itself when the table does not know it."""
    return _LOOKUP.get(team_key(name), name)


def canonical_teams(names: pd.Series) -> pd.Series:
    """``canonical_team`` of every name (missing values stay missing; same index and dtype)."""
    mapping = {name: canonical_team(name) for name in names.dropna().unique()}
    return names.map(mapping, na_action="ignore").astype(names.dtype)


def unknown_teams(matches: pd.DataFrame) -> list[str]:
    """The team names of ``matches`` (home and away) that are not canonical, sorted."""
    names = pd.concat([matches["home_team"], matches["away_team"]]).dropna().astype(str)
    return sorted(set(names) - CANONICAL - {""})


def unknown_teams_text(names: list[str], shown: int = 10) -> str:
    """One line for people: "3 team names not in the alias table (kept as they are): A, B, C"."""
    listed = ", ".join(names[:shown])
    if len(names) > shown:
        listed += f" and {len(names) - shown:,} more"
    noun = "team name" if len(names) == 1 else "team names"
    return f"{len(names):,} {noun} not in the alias table (kept as they are): {listed}"
