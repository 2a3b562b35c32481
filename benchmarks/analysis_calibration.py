"""Power and calibration of the analysis on generated seasons, over many seeds.

Run from the repository root:
    python benchmarks/analysis_calibration.py [--seeds 100] [--processes 2] [--scale 1.0]

For every seed, one Premier League season of mock fixtures (380 matches, 2024-25) and mock orders
is generated twice: with a planted +20 % lift in the 2 h before every kick-off
(``MatchEffects.only(pre=0.20)``) and with no match effect at all (``MatchEffects.none()``). Both
are analysed with the default configuration plus the big-six and derby lists. Reported:
- power: share of seeds where the planted lift/pre/ALL test is significant after adjustment, the
  mean estimate and how often its 95% CI covers 0.20;
- calibration (no effect): share of seeds with any significant finding after adjustment, and the
  per-test false-positive rate (raw p < 0.05) overall, per family and per window; for comparison,
  the false-positive rate of a naive paired t-test of observed vs expected over the same national
  slots (expected treated as known), which the engine deliberately does not use.
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
from pizza_game.analysis.engine import analyse_orders
from pizza_game.collectors.match_effects import MatchEffects
from pizza_game.collectors.mock_matches import generate_matches
from pizza_game.collectors.mock_orders import generate_orders
from pizza_game.collectors.teams import BIG_SIX, DERBY_PAIRS

SEASON = pd.Timestamp("2024-08-01T00:00Z"), pd.Timestamp("2025-06-01T00:00Z")
PLANTED = 0.20
SCENARIOS = {"planted": MatchEffects.only(pre=PLANTED), "null": MatchEffects.none()}
CONFIG = AnalysisConfig(big_match_teams=BIG_SIX, derbies=DERBY_PAIRS)


def one_seed(job: tuple[int, float]) -> dict:
    """Both scenarios of one seed: the result rows that the summary needs."""
    seed, scale = job
    matches = generate_matches(*SEASON, seed=seed, now=SEASON[1] + pd.Timedelta(days=30))
    out = {"seed": seed, "matches": len(matches)}
    for name, effects in SCENARIOS.items():
        orders = generate_orders(*SEASON, seed=seed, matches=matches, effects=effects, scale=scale)
        result = analyse_orders(orders, matches, CONFIG)
        results = result.results
        out[f"{name}_naive_paired_t"] = naive_paired_t(result.match_windows)
        out[name] = results[
            [
                "test_id",
                "family",
                "window",
                "region",
                "p_value",
                "p_adjusted",
                "significant",
                "effect_size",
                "ci_low",
                "ci_high",
            ]
        ].to_dict(orient="list")
        out[f"{name}_orders"] = len(orders)
    return out


def naive_paired_t(match_windows: pd.DataFrame) -> dict[str, float]:
    """p-values of the test this engine does not use: a one-sample (paired) t-test of
    log(observed / expected) over the national slots, treating the expected values as known."""
    national = match_windows[(match_windows["region"] == "ALL") & match_windows["used"]]
    slots = national.drop_duplicates(["window", "slot"])
    log_ratio = np.log(slots["observed"] / slots["expected"])
    return {
        window: float(stats.ttest_1samp(values, 0.0).pvalue)
        for window, values in log_ratio.groupby(slots["window"])
    }


def summarise(runs: list[dict]) -> dict:
    planted = pd.concat(
        [pd.DataFrame(r["planted"]).assign(seed=r["seed"]) for r in runs], ignore_index=True
    )
    null = pd.concat(
        [pd.DataFrame(r["null"]).assign(seed=r["seed"]) for r in runs], ignore_index=True
    )
    target = planted[planted["test_id"] == "lift/pre/ALL"]
    raw = null["p_value"] < 0.05
    return {
        "seeds": len(runs),
        "matches_per_season": sorted({r["matches"] for r in runs}),
        "orders_per_season_mean": float(np.mean([r["null_orders"] for r in runs])),
        "power": {
            "planted_lift": PLANTED,
            "found_significant_share": float(target["significant"].mean()),
            "estimate_mean": float(target["effect_size"].mean()),
            "estimate_sd": float(target["effect_size"].std()),
            "ci_covers_planted_share": float(
                ((target["ci_low"] <= PLANTED) & (target["ci_high"] >= PLANTED)).mean()
            ),
            "regional_pre_found_share": float(
                planted.loc[
                    (planted["family"] == "lift")
                    & (planted["window"] == "pre")
                    & (planted["region"] != "ALL"),
                    "significant",
                ].mean()
            ),
        },
        "calibration": {
            "tests_per_run": float(null.groupby("seed").size().mean()),
            "seeds_with_any_significant_share": float(
                null.groupby("seed")["significant"].any().mean()
            ),
            "significant_tests_share": float(null["significant"].mean()),
            "per_test_false_positive_rate": float(raw.mean()),
            "per_test_false_positive_rate_by_family": raw.groupby(null["family"])
            .mean()
            .round(4)
            .to_dict(),
            "lift_false_positive_rate_by_window": raw[null["family"] == "lift"]
            .groupby(null["window"])
            .mean()
            .round(4)
            .to_dict(),
            "naive_paired_t_false_positive_rate_by_window": (
                pd.DataFrame([r["null_naive_paired_t"] for r in runs]) < 0.05
            )
            .mean()
            .round(4)
            .to_dict(),
            "national_lift_false_positive_rate_by_window": raw[
                (null["family"] == "lift") & (null["region"] == "ALL")
            ]
            .groupby(null["window"])
            .mean()
            .round(4)
            .to_dict(),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--processes", type=int, default=multiprocessing.cpu_count())
    parser.add_argument(
        "--scale", type=float, default=1.0, help="order volume (1.0: ~1.5 M orders a season)"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    jobs = [(seed, args.scale) for seed in range(args.first_seed, args.first_seed + args.seeds)]
    with multiprocessing.Pool(args.processes) as pool:
        runs = pool.map(one_seed, jobs, chunksize=1)
    report = summarise(runs)
    report["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
