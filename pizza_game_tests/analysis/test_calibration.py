"""A small version of benchmarks/analysis_calibration.py: power and false positives on mock seasons."""

import numpy as np
import pandas as pd
import pytest

from pizza_game.analysis.config import AnalysisConfig
from pizza_game.collectors.match_effects import MatchEffects
from pizza_game.collectors.mock_matches import generate_matches
from pizza_game.collectors.mock_orders import generate_orders
from pizza_game.collectors.teams import BIG_SIX, DERBY_PAIRS
from pizza_game_tests.analysis.merged_days import analyse_orders

SEASON = pd.Timestamp("2024-08-01T00:00Z"), pd.Timestamp("2025-06-01T00:00Z")
SEEDS = (1, 2, 3)
CONFIG = AnalysisConfig(big_match_teams=BIG_SIX, derbies=DERBY_PAIRS, regional=False)


@pytest.fixture(scope="module")
def runs():
    out = {}
    for seed in SEEDS:
        matches = generate_matches(*SEASON, seed=seed, now=SEASON[1] + pd.Timedelta(days=30))
        assert len(matches) == 380
        for name, effects in (("planted", MatchEffects.only(pre=0.20)), ("null", MatchEffects.none())):
            orders = generate_orders(*SEASON, seed=seed, matches=matches, effects=effects, scale=0.5)
            out[name, seed] = analyse_orders(orders, matches, CONFIG).results
    return out


def test_planted_pre_match_lift_is_found_in_every_seed(runs):
    pre = pd.DataFrame([runs["planted", s].set_index("test_id").loc["lift/pre/ALL"] for s in SEEDS])
    assert pre["significant"].all()
    assert pre["effect_size"].between(0.15, 0.25).all()
    assert ((pre["ci_low"] <= 0.2) & (pre["ci_high"] >= 0.2)).sum() >= 2


def test_no_effect_seasons_stay_quiet(runs):
    null = pd.concat([runs["null", s].assign(seed=s) for s in SEEDS], ignore_index=True)
    assert null.groupby("seed")["significant"].any().sum() <= 1
    assert (null["p_value"] < 0.05).mean() <= 0.15
    assert np.isfinite(null["p_value"]).all()
