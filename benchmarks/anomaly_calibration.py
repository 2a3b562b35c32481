"""Calibration of the anomaly detection (analysis/anomalies.py) in worlds without effects.

For each seed, a synthetic season without any match effect (pizza_game_tests/analysis/synthetic.py)
is merged day by day as the merged_dataset asset does (pizza_game_tests/analysis/merged_days.py)
and analysed nationally. Figures, pooled over seeds:
- per scale, the share of tested time inside match windows (pre/during/post) and the share of
  candidate units (raw p < 0.01) inside them, with a binomial p-value for the difference: the two
  agree when the model is calibrated;
- the raw false-flag rate (share of units with p < 0.01, nominal 0.01);
- the null false-flag rate after Benjamini-Hochberg: flagged units per tested unit, and the share
  of worlds with at least one anomaly (nominal at most alpha = 0.05 per scale);
- probable outages found (none exist in these worlds).

Run from the repository root:  python -m benchmarks.anomaly_calibration [--seeds N] [--weeks W]
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from scipy import stats as sps

from pizza_game.analysis.anomalies import SCALES
from pizza_game.analysis.config import AnalysisConfig
from pizza_game_tests.analysis.merged_days import analyse_orders
from pizza_game_tests.analysis.synthetic import make_matches, make_orders

START = "2023-08-07"
CANDIDATE_P = 0.01


def null_tests(seed: int, weeks: int) -> tuple[pd.DataFrame, int]:
    """Every tested unit of one world without effects, and its number of probable outages."""
    matches = make_matches(START, weeks, seed=seed, skip_every=4)
    orders = make_orders(START, weeks, seed=seed + 1000, matches=matches)
    result = analyse_orders(orders, matches, AnalysisConfig(regional=False))
    tests = result.anomaly_tests.assign(seed=seed)
    return tests, result.summary["data_quality"]["probable_outages"]["count"]


def calibration(tests: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for scale in SCALES:
        units = tests[tests["scale"] == scale]
        candidates = units[units["p_value"] < CANDIDATE_P]
        time_share = float(units["in_match_window"].mean()) if len(units) else np.nan
        inside = int(candidates["in_match_window"].sum())
        binomial = (
            sps.binomtest(inside, len(candidates), time_share).pvalue
            if len(candidates) and 0 < time_share < 1
            else np.nan
        )
        worlds = units.groupby("seed")["anomaly"].any()
        rows.append(
            {
                "scale": scale,
                "units": len(units),
                "time_share_in_windows": time_share,
                "candidates": len(candidates),
                "candidate_share_in_windows": inside / len(candidates)
                if len(candidates)
                else np.nan,
                "binomial_p": binomial,
                "raw_rate_p<0.01": len(candidates) / len(units) if len(units) else np.nan,
                "flagged_per_unit": float(units["anomaly"].mean()) if len(units) else np.nan,
                "worlds_with_anomaly": float(worlds.mean()) if len(worlds) else np.nan,
            }
        )
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--weeks", type=int, default=24)
    args = parser.parse_args()
    frames, outages = [], 0
    for seed in range(args.seeds):
        tests, found = null_tests(seed, args.weeks)
        frames.append(tests)
        outages += found
    table = calibration(pd.concat(frames, ignore_index=True))
    print(f"{args.seeds} worlds without effects, {args.weeks} weeks each, national series")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    print(f"probable outages found: {outages} (none planted)")


if __name__ == "__main__":
    main()
