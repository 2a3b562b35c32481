import json
from pathlib import Path

import pandas as pd

from pizza_game.collectors.teams import (
    BIG_SIX,
    DERBY_PAIRS,
    REGIONS,
    TEAM_REGIONS,
    TEAMS,
    big_match_mask,
    derby_mask,
)

ROOT = Path(__file__).resolve().parents[2]


def shared_data() -> Path:
    """../shared/data next to the checkout (a git worktree under wt/ sits one level deeper)."""
    for shared in (ROOT.parent / "shared", ROOT.parent.parent / "shared"):
        if shared.is_dir():
            return shared / "data"
    raise FileNotFoundError(
        f"no shared/data next to {ROOT}: check out ../shared beside the repository"
    )


def test_clubs_are_spelled_as_football_data_org_spells_them():
    path = shared_data() / "football_data_org" / "competition_PL_matches_season2025_scheduled.json"
    body = json.loads(path.read_text())
    real = {m[side]["name"] for m in body["matches"] for side in ("homeTeam", "awayTeam")}
    assert set(TEAMS) == real
    assert len(TEAMS) == 20


def test_regions_big_six_and_derbies_refer_to_known_clubs_and_regions():
    assert set(TEAM_REGIONS.values()) <= set(REGIONS)
    assert set(REGIONS) - set(TEAM_REGIONS.values()) == {"East of England"}
    assert set(BIG_SIX) <= set(TEAMS) and len(BIG_SIX) == 6
    assert all(a in TEAMS and b in TEAMS and a != b for a, b in DERBY_PAIRS)


def test_masks_ignore_who_is_at_home():
    home = pd.Series(
        ["Arsenal FC", "Tottenham Hotspur FC", "Arsenal FC", "Everton FC", "Burnley FC"]
    )
    away = pd.Series(
        ["Tottenham Hotspur FC", "Arsenal FC", "Chelsea FC", "Liverpool FC", "Chelsea FC"]
    )
    assert big_match_mask(home, away).tolist() == [True, True, True, False, False]
    assert derby_mask(home, away).tolist() == [True, True, False, True, False]
    other_pairs = (("Burnley FC", "Chelsea FC"),)
    assert derby_mask(home, away, pairs=other_pairs).tolist() == [False, False, False, False, True]
