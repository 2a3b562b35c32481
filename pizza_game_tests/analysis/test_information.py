"""Enough information or no claim, the default run's answer, and the per-match drill-down.

The worlds are the mock generator's, as `pizza-game run` makes them (seed 42, the default
collectors), over fixed dates so the tests do not move with the calendar.
"""

import numpy as np
import pandas as pd
import pytest

from pizza_game import settings
from pizza_game.analysis.config import AnalysisConfig
from pizza_game.analysis.engine import analyse
from pizza_game.analysis.match_table import match_table
from pizza_game.analysis.windows import WINDOWS
from pizza_game.collectors.match_effects import DEFAULT_EFFECTS, MatchEffects
from pizza_game.collectors.mock_matches import generate_matches
from pizza_game.collectors.mock_orders import generate_orders
from pizza_game.collectors.teams import BIG_SIX, DERBY_PAIRS
from pizza_game.quicksight.dashboard import DASHBOARD_COLUMNS
from pizza_game.report.html import kpi_tiles, match_basis
from pizza_game.runner import PipelineSummary
from pizza_game_tests.analysis.merged_days import analyse_orders, concat_days, merge_days
from pizza_game_tests.analysis.planted import planted_lift

END = pd.Timestamp("2026-12-02", tz="UTC")
SEED = 42
CONFIG = AnalysisConfig(big_match_teams=BIG_SIX, derbies=DERBY_PAIRS)
DEFAULT_DAYS = int(settings.DEFAULTS[settings.PIZZA_GAME_RUN_DAYS])


def world(days: int, effects: MatchEffects | None = None):
    start = END - pd.Timedelta(days=days)
    matches = generate_matches(start, END, seed=SEED, now=END)
    orders = generate_orders(
        start - pd.Timedelta(hours=12), END, seed=SEED, effects=DEFAULT_EFFECTS if effects is None else effects
    )
    return start, matches, orders


@pytest.fixture(scope="module")
def default_world():
    start, matches, orders = world(DEFAULT_DAYS)
    hours = pd.date_range(orders["ordered_at"].min().floor("h"), END - pd.Timedelta(hours=1), freq="h")
    merged = concat_days(merge_days(orders, matches, start, END, hours, CONFIG.windows))
    return matches, merged, analyse(merged.series, merged.windows, merged.matches, CONFIG)


def test_a_14_day_world_without_effects_claims_nothing_and_says_what_is_missing():
    start, matches, orders = world(14, MatchEffects.none())
    result = analyse_orders(orders, matches, CONFIG, start, END)
    summary = result.summary
    assert result.significant.empty
    assert not (result.results["family"] == "primary").any()
    assert summary["headline"].startswith("Not enough data to say whether matches move orders")
    assert "needs at least 8 match-free reference days" in summary["headline"]
    assert "this range has 0" in summary["headline"]
    assert "%" not in summary["headline"]
    windows = {w["window"]: w for w in summary["lift_by_window"]}
    assert set(windows) == set(WINDOWS)
    assert all(w["lift"] is None and w["not_run"] for w in windows.values())
    # No correlation rests on fewer than 10 residual degrees of freedom.
    assert (result.results.loc[result.results["family"] == "correlation", "df"] >= 10).all()
    # The CLI and the report say the same in words, with no number for an untested lift.
    text = PipelineSummary("a", "b", 1, 1, [], headline=summary["headline"]).text()
    assert "needs at least 8 match-free reference days" in text
    assert "No significant findings" in text
    dashboard = pd.DataFrame({c: [None] for c in DASHBOARD_COLUMNS}).assign(
        record_type="kpi", metric="orders", value=1.0
    )
    tiles = kpi_tiles(dashboard, summary)
    assert tiles.count("not tested") == len(WINDOWS)
    assert "needs at least 8 match-free reference days" in tiles


def test_the_default_run_finds_the_planted_pre_match_lift(default_world):
    matches, _, result = default_world
    pre = result.results.set_index("test_id").loc["lift/pre/ALL"]
    used = result.match_windows[
        (result.match_windows["region"] == "ALL")
        & (result.match_windows["window"] == "pre")
        & result.match_windows["used"]
    ]
    planted = planted_lift(used, matches)
    assert pre["family"] == "primary"
    assert pre["significant"]
    assert pre["ci_low"] < planted < pre["ci_high"]
    assert pre["ci_low"] > 0
    assert pre["df"] >= CONFIG.min_window_df
    assert pre["reference_days"] >= CONFIG.min_reference_days
    assert result.summary["headline"].startswith("Orders in the 2 hours before kick-off ran")
    # The primary family is adjusted on its own: four national tests at most.
    primary = result.results[result.results["family"] == "primary"]
    assert len(primary) <= len(WINDOWS)
    assert pre["p_adjusted"] <= pre["p_value"] * len(primary) + 1e-12


def test_headline_kpis_and_match_table_rest_on_the_same_matches(default_world):
    _, _, result = default_world
    quality = result.summary["data_quality"]
    national = result.match_windows[result.match_windows["region"] == "ALL"]
    used = set(national.loc[national["used"], "match_id"])
    assert quality["matches_used"] == len(used)
    assert f"{len(used)} of {quality['matches']} matches used" in result.summary["headline"]
    unused = national[~national["match_id"].isin(used)].drop_duplicates("match_id")
    assert sum(quality["matches_unused_reasons"].values()) == len(unused)
    assert (national.loc[~national["used"], "unused_reason"] != "").all()
    assert (national.loc[national["used"], "unused_reason"] == "").all()
    assert f"{len(used)} of {quality['matches']} matches" in match_basis(result.summary, "x.csv")


def test_the_per_match_table_covers_every_analysed_match_and_window(default_world):
    _, merged, result = default_world
    table = match_table(result.match_windows, merged.matches, result.excluded_matches)
    analysed = table[table["window"] != ""]
    regions = analysed["region"].nunique()
    n_analysable = int(merged.matches["analysable"].sum())
    assert regions == 10
    assert len(analysed) == n_analysable * len(WINDOWS) * regions
    assert not analysed.duplicated(["match_id", "window", "region"]).any()
    assert set(analysed["kickoff_at"]) <= set(merged.matches["kickoff_at"])
    assert analysed["kickoff_at"].min() >= END - pd.Timedelta(days=DEFAULT_DAYS)
    keys = ["match_id", "window", "region"]
    joined = analysed.merge(merged.windows[[*keys, "orders"]], on=keys, how="left")
    assert joined["orders"].notna().all()
    assert np.array_equal(joined["observed"].to_numpy(), joined["orders"].to_numpy(dtype=float))
    lift = joined["observed"] / joined["expected"] - 1
    assert np.allclose(joined["lift"], lift, equal_nan=True)
    assert set(analysed["source"]) == {"mock"}
    assert "anomaly" in table.columns
    left_out = table[table["window"] == ""]
    assert len(left_out) == len(result.excluded_matches)
    assert (left_out["unused_reason"] != "").all()
