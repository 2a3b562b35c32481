"""Power and calibration of the analysis on generated worlds, over seeds and horizons.

Run from the repository root:
    python -m benchmarks.analysis_calibration [--seeds 20] [--season-seeds 4] [--processes 2]

Horizons: 14 and 28 days (ending on a date spread over the 2024-25 season by seed) and the whole
season (2024-08-01 to 2025-06-01, 380 mock matches). For every seed and horizon, mock fixtures and
orders are generated twice: with a planted +15 % lift in the 2 h before every kick-off
(``MatchEffects.only(pre=0.15)``) and with no match effect (``MatchEffects.none()``). Both are
merged day by day as the merged_dataset asset does (pizza_game_tests/analysis/merged_days.py) and
analysed with the default configuration (its minimums) plus the big-six and derby lists, and the
null world once more with the minimums off, to show what the minimums guard against. Reported per
horizon:
- power: share of seeds where lift/pre/ALL is significant, the share where it could be run at
  all, the mean estimate and how often its 95 % CI covers 0.15;
- calibration (no effect): share of seeds with any significant finding (any family), the
  per-test false-positive rate (raw p < 0.05) per family, and with the minimums off the
  false-positive rate of the national lift tests by reference days and degrees of freedom;
- for the season, the false-positive rate of a naive paired t-test of observed vs expected over
  the same national slots (expected treated as known), which the engine deliberately does not use;
- anomalies (no effect, national and regional): per scale (hour, window, day), the units tested
  and the worlds where the scale was not tested at all, the share of tested units inside a match
  window (pre/during/post; for the window scale: windows of those kinds, the rest are extended
  windows) against the share of candidates (raw p < 0.01) and of flagged units inside them, the
  raw candidate rate (nominal 0.01) and the share of worlds with at least one anomaly.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import time

import numpy as np
import pandas as pd
from scipy import stats

from pizza_game.analysis.config import AnalysisConfig
from pizza_game.collectors.match_effects import MatchEffects
from pizza_game.collectors.mock_matches import generate_matches
from pizza_game.collectors.mock_orders import generate_orders
from pizza_game.collectors.teams import BIG_SIX, DERBY_PAIRS
from pizza_game_tests.analysis.merged_days import analyse_orders

SEASON = pd.Timestamp("2024-08-01T00:00Z"), pd.Timestamp("2025-06-01T00:00Z")
HORIZONS = {"14 days": 14, "28 days": 28, "season": None}
PLANTED = 0.15
SCENARIOS = {"planted": MatchEffects.only(pre=PLANTED), "null": MatchEffects.none()}
CONFIG = AnalysisConfig(big_match_teams=BIG_SIX, derbies=DERBY_PAIRS)
NO_MINIMUMS = AnalysisConfig(
    big_match_teams=BIG_SIX,
    derbies=DERBY_PAIRS,
    min_reference_days=2,
    min_window_df=1e-9,
    min_correlation_df=2,
)
COLUMNS = [
    "test_id", "family", "window", "region", "df", "reference_days", "p_value", "p_adjusted",
    "significant", "effect_size", "ci_low", "ci_high",
]  # fmt: skip


def horizon_range(days: int | None, seed: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The season, or ``days`` ending on a date spread over the season by ``seed``."""
    if days is None:
        return SEASON
    season_days = (SEASON[1] - SEASON[0]).days
    end = SEASON[0] + pd.Timedelta(days=days + (seed * 37) % (season_days - days))
    return end - pd.Timedelta(days=days), end


def one_run(job: tuple[str, int, float]) -> dict:
    """Both scenarios of one seed and horizon: the result rows the summary needs."""
    horizon, seed, scale = job
    start, end = horizon_range(HORIZONS[horizon], seed)
    matches = generate_matches(start, end, seed=seed, now=end + pd.Timedelta(days=30))
    out = {"horizon": horizon, "seed": seed, "matches": len(matches)}
    for name, effects in SCENARIOS.items():
        orders = generate_orders(
            start - pd.Timedelta(hours=12), end, seed=seed, matches=matches, effects=effects, scale=scale
        )
        result = analyse_orders(orders, matches, CONFIG, start, end)
        out[name] = result.results[COLUMNS].to_dict(orient="list")
        if name == "null":
            out["null_naive_paired_t"] = naive_paired_t(result.match_windows)
            out["null_anomalies"] = anomaly_counts(result.anomaly_tests, result.summary["spikes"])
            loose = analyse_orders(orders, matches, NO_MINIMUMS, start, end)
            out["null_no_minimums"] = loose.results[COLUMNS].to_dict(orient="list")
    return out


def naive_paired_t(match_windows: pd.DataFrame) -> dict[str, float]:
    """p-values of the test this engine does not use: a one-sample (paired) t-test of
    log(observed / expected) over the national slots, treating the expected values as known."""
    national = match_windows[(match_windows["region"] == "ALL") & match_windows["used"]]
    slots = national.drop_duplicates(["window", "slot"])
    ratio = slots["observed"] / slots["expected"]
    log_ratio = pd.Series(np.log(ratio.to_numpy()), index=ratio.index)
    return {
        window: float(stats.ttest_1samp(values, 0.0).pvalue)
        for window, values in log_ratio.groupby(slots["window"])
        if len(values) > 2
    }


def anomaly_counts(tests: pd.DataFrame, spikes: dict) -> dict[str, dict[str, int]]:
    """Per scale: tested units, inside match windows, candidates (raw p < 0.01), flagged, each
    also inside match windows, and whether any unit of the scale was left untested."""
    out = {}
    for scale, info in spikes["by_scale"].items():
        units = tests[tests["scale"] == scale]
        inside = units["in_match_window"].astype(bool)
        candidate = units["p_value"] < 0.01
        flagged = units["anomaly"].astype(bool)
        out[scale] = {
            "tested": len(units),
            "tested_inside": int(inside.sum()),
            "candidates": int(candidate.sum()),
            "candidates_inside": int((candidate & inside).sum()),
            "flagged": int(flagged.sum()),
            "flagged_inside": int((flagged & inside).sum()),
            "not_tested_groups": len(info.get("not_tested", [])),
        }
    return out


def anomaly_summary(runs: list[dict]) -> dict:
    """Pooled over the worlds without effects (see the module docstring)."""
    out = {}
    for scale in ("hour", "window", "day"):
        counts = pd.DataFrame([r["null_anomalies"][scale] for r in runs])
        total = counts.sum()

        def share(part: str, whole: str, total: pd.Series = total) -> float | None:
            return round(float(total[part] / total[whole]), 4) if total[whole] else None

        out[scale] = {
            "tested_units": int(total["tested"]),
            "worlds_with_scale_untested_somewhere": rate(counts["not_tested_groups"] > 0),
            "worlds_with_nothing_tested": rate(counts["tested"] == 0),
            "time_share_in_match_windows": share("tested_inside", "tested"),
            "candidates_p<0.01": int(total["candidates"]),
            "candidate_share_in_match_windows": share("candidates_inside", "candidates"),
            "raw_candidate_rate": share("candidates", "tested"),
            "flagged": int(total["flagged"]),
            "flagged_share_in_match_windows": share("flagged_inside", "flagged"),
            "worlds_with_an_anomaly": rate(counts["flagged"] > 0),
        }
    return out


def frame(runs: list[dict], name: str) -> pd.DataFrame:
    return pd.concat(
        [pd.DataFrame(r[name], columns=COLUMNS).assign(seed=r["seed"]) for r in runs],
        ignore_index=True,
    )


def rate(values: pd.Series) -> float | None:
    return round(float(values.mean()), 4) if len(values) else None


def summarise(runs: list[dict]) -> dict:
    seeds = [r["seed"] for r in runs]
    planted, null, loose = frame(runs, "planted"), frame(runs, "null"), frame(runs, "null_no_minimums")
    target = planted[planted["test_id"] == "lift/pre/ALL"]
    raw = null["p_value"] < 0.05
    national = loose[(loose["family"] == "primary")]
    national_raw = national["p_value"] < 0.05
    days_bin = pd.cut(national["reference_days"], [0, 3, 7, 15, 1000], right=True).astype(str)
    df_bin = pd.cut(national["df"], [0, 2, 3, 6, 1e9], right=False).astype(str)
    return {
        "seeds": len(runs),
        "matches_mean": float(np.mean([r["matches"] for r in runs])),
        "power": {
            "planted_lift": PLANTED,
            "pre_test_run_share": round(len(target) / len(runs), 4),
            "found_significant_share": round(float(target["significant"].sum()) / len(runs), 4),
            "estimate_mean": rate(target["effect_size"]),
            "ci_covers_planted_share_of_runs": rate(
                (target["ci_low"] <= PLANTED) & (target["ci_high"] >= PLANTED)
            ),
        },
        "calibration": {
            "seeds_with_any_significant_share": round(
                float(null.groupby("seed")["significant"].any().reindex(seeds, fill_value=False).mean()), 4
            ),
            "tests_run_per_seed": round(len(null) / len(runs), 1),
            "per_test_false_positive_rate_by_family": {
                family: rate(raw[null["family"] == family]) for family in ("primary", "regional", "correlation")
            },
            "significant_share_by_family": {
                family: rate(null.loc[null["family"] == family, "significant"])
                for family in ("primary", "regional", "correlation")
            },
            "without_minimums": {
                "seeds_with_any_significant_share": round(
                    float(loose.groupby("seed")["significant"].any().reindex(seeds, fill_value=False).mean()), 4
                ),
                "national_lift_tests": len(national),
                "national_lift_false_positive_rate": rate(national_raw),
                "by_reference_days": national_raw.groupby(days_bin).agg(["mean", "size"]).round(4).to_dict("index"),
                "by_df": national_raw.groupby(df_bin).agg(["mean", "size"]).round(4).to_dict("index"),
                "correlation_false_positive_rate_df_below_10": rate(
                    loose.loc[(loose["family"] == "correlation") & (loose["df"] < 10), "p_value"] < 0.05
                ),
                "correlation_false_positive_rate_df_10_up": rate(
                    loose.loc[(loose["family"] == "correlation") & (loose["df"] >= 10), "p_value"] < 0.05
                ),
            },
            "naive_paired_t_false_positive_rate_by_window": (
                pd.DataFrame([r["null_naive_paired_t"] for r in runs]) < 0.05
            ).mean().round(4).to_dict(),
        },
        "anomalies_without_effects": anomaly_summary(runs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=20, help="seeds per short horizon")
    parser.add_argument("--season-seeds", type=int, default=4, help="seeds of the season horizon")
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--processes", type=int, default=multiprocessing.cpu_count())
    parser.add_argument("--scale", type=float, default=1.0, help="order volume (1.0: ~4,000 orders a day)")
    args = parser.parse_args()
    started = time.perf_counter()
    jobs = [
        (horizon, seed, args.scale)
        for horizon in HORIZONS
        for seed in range(args.first_seed, args.first_seed + (args.season_seeds if HORIZONS[horizon] is None else args.seeds))
    ]
    with multiprocessing.Pool(args.processes) as pool:
        runs = pool.map(one_run, jobs, chunksize=1)
    report: dict[str, object] = {
        horizon: summarise([r for r in runs if r["horizon"] == horizon])
        for horizon in HORIZONS
        if any(r["horizon"] == horizon for r in runs)
    }
    report["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
