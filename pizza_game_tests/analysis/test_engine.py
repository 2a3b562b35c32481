"""The engine end to end on a synthetic world whose truth is known."""

import json

import pandas as pd
import pytest

from pizza_game.analysis.config import AnalysisConfig
from pizza_game.analysis.engine import RESULT_COLUMNS, analyse
from pizza_game_tests.analysis.merged_days import analyse_orders, concat_days, merge_days
from pizza_game_tests.analysis.synthetic import make_matches, make_orders

START, WEEKS = "2023-08-07", 24


@pytest.fixture(scope="module")
def world():
    matches = make_matches(START, WEEKS, seed=11, skip_every=4)
    planted = make_orders(
        START, WEEKS, seed=11, matches=matches, lift={"pre": 0.2}, real_share=0.25
    )
    null = make_orders(START, WEEKS, seed=12, matches=matches)
    return matches, planted, null


@pytest.fixture(scope="module")
def planted_result(world):
    matches, planted, _ = world
    return analyse_orders(planted, matches, AnalysisConfig())


def test_planted_pre_match_lift_is_found_with_its_size(planted_result):
    pre = planted_result.results.set_index("test_id").loc["lift/pre/ALL"]
    assert pre["significant"]
    assert pre["ci_low"] < 0.2 < pre["ci_high"]
    assert 0.15 < pre["effect_size"] < 0.25
    assert "lift/pre/ALL" in set(planted_result.significant["test_id"])


def test_no_effect_world_has_no_significant_lift(world):
    matches, _, null = world
    result = analyse_orders(null, matches, AnalysisConfig())
    lifts = result.results[result.results["family"].isin(["primary", "regional"])]
    assert len(lifts) > 0
    assert not lifts["significant"].any()
    assert not result.significant["family"].isin(["primary", "regional"]).any()


def test_results_table_shape_and_adjustment(planted_result):
    results = planted_result.results
    assert list(results.columns) == list(RESULT_COLUMNS)
    assert results["test_id"].is_unique
    assert (results["p_adjusted"] >= results["p_value"] - 1e-15).all()
    assert set(results["region"]) == {"ALL", "North", "South", "London"}
    assert set(results["window"]) == {"pre", "during", "post", "extended"}
    assert results["real_share"].between(0.2, 0.3).all()
    assert planted_result.significant["significant"].all()


def test_summary_is_json_and_speaks_plainly(planted_result):
    summary = json.loads(json.dumps(planted_result.summary))
    assert "before kick-off" in summary["headline"] and "above" in summary["headline"]
    pre = next(w for w in summary["lift_by_window"] if w["window"] == "pre")
    assert pre["ci_low"] < pre["lift"] < pre["ci_high"]
    quality = summary["data_quality"]
    assert quality["matches"] == quality["matches_used"] == 180
    assert 0.2 < quality["real_share"] < 0.3
    assert summary["period"]["local_days"] == WEEKS * 7 + 1


def test_match_windows_carry_lift_features_and_sources(planted_result, world):
    matches = world[0]
    table = planted_result.match_windows
    national_pre = table[(table["region"] == "ALL") & (table["window"] == "pre")]
    assert len(national_pre) == len(matches)
    assert national_pre["used"].all()
    assert 0.1 < national_pre["lift"].median() < 0.3
    five = national_pre[national_pre["matches_in_slot"] == 5]
    assert five["slot"].nunique() == len(five) // 5
    first = national_pre.iloc[0]
    source_match = matches.set_index("match_id").loc[first["match_id"]]
    assert first["total_goals"] == source_match["home_score"] + source_match["away_score"]
    assert national_pre["real_share"].between(0.15, 0.35).all()


def test_excluded_and_uncovered_matches_are_counted(world):
    matches, planted, _ = world
    changed = matches.copy()
    changed.loc[0, "status"] = "POSTPONED"
    changed.loc[1, "kickoff_known"] = False
    late = changed["kickoff_at"].max()
    # Remove the orders of the last match day: those windows have no data at all.
    cut = planted[planted["ordered_at"] < late.floor("D")]
    result = analyse_orders(
        cut, changed, AnalysisConfig(), end=late.floor("D") + pd.Timedelta(days=1)
    )
    quality = result.summary["data_quality"]
    assert quality["matches_excluded"] == {
        "not played: status POSTPONED": 1,
        "kick-off time not known": 1,
    }
    assert set(result.excluded_matches["match_id"]) == {
        matches.loc[0, "match_id"],
        matches.loc[1, "match_id"],
    }
    assert quality["windows"]["pre"]["match_windows_dropped_for_coverage"] >= 3
    unused = result.match_windows[~result.match_windows["used"]]
    assert (unused["unused_reason"] == "window lacks order data (coverage)").any()


def test_match_windows_show_the_exact_counts_of_the_merged_windows(world):
    matches, planted, _ = world
    config = AnalysisConfig(regional=False)
    weeks = planted[planted["ordered_at"] < pd.Timestamp("2023-10-02", tz="UTC")]
    start, end = pd.Timestamp("2023-08-07", tz="UTC"), pd.Timestamp("2023-10-02", tz="UTC")
    hours = pd.date_range(start, end, freq="h", inclusive="left")
    series, windows, day_matches = concat_days(
        merge_days(weeks, matches, start, end, hours, config.windows)
    )
    from_days = analyse(series, windows, day_matches, config)
    shown = from_days.match_windows.merge(windows, on=["match_id", "window", "region"])
    assert len(shown) == len(from_days.match_windows)
    assert (shown["observed"] == shown["orders"]).all()

    # Windows merged with other lengths keep the series count, and are counted.
    shifted = windows.copy()
    pre = shifted["window"] == "pre"
    shifted.loc[pre, "start"] -= pd.Timedelta(minutes=30)
    shifted.loc[pre, "orders"] += 1000
    other = analyse(series, shifted, day_matches, config)
    national_pre = (pre & (shifted["region"] == "ALL")).sum()
    assert other.summary["data_quality"]["match_windows_merged_with_other_bounds"] == national_pre
    pd.testing.assert_frame_equal(other.match_windows, from_days.match_windows)


def test_spikes_are_found_and_attributed(world):
    matches, planted, _ = world
    kickoff = matches.loc[3, "kickoff_at"]
    burst_at = kickoff + pd.Timedelta(minutes=20)
    burst = planted.iloc[:400].copy()
    burst["order_id"] = [f"burst{i}" for i in range(len(burst))]
    burst["ordered_at"] = burst_at
    burst["source"] = "real"
    result = analyse_orders(
        pd.concat([planted, burst], ignore_index=True), matches, AnalysisConfig(regional=False)
    )
    hours = result.spikes[result.spikes["scale"] == "hour"]
    top = hours.iloc[0]
    assert top["start"] == burst_at.floor("h") and top["direction"] == "high"
    assert f"{matches.loc[3, 'match_id']}:during" in top["windows"].split(";")
    assert top["source"] == "mixed" and top["real_share"] > 0.5
    assert top["observed"] - top["expected"] > 350 and top["p_adjusted"] < 0.05
    assert result.summary["spikes"]["count"] == len(result.spikes)


def test_bad_inputs_are_named(world):
    matches, planted, _ = world
    with pytest.raises(ValueError, match="matches lack columns"):
        analyse_orders(planted, matches.drop(columns=["winner"]), AnalysisConfig())
    with pytest.raises(ValueError, match="timezone"):
        AnalysisConfig(timezone="Mars/Olympus")
    with pytest.raises(ValueError, match="series lacks columns"):
        analyse(pd.DataFrame({"bin_start": []}), pd.DataFrame(), matches, AnalysisConfig())
