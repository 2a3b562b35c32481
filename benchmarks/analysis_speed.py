"""Speed and memory of the analysis: canonical orders of one season to finished correlation results.

Run from the repository root:  python -m benchmarks.analysis_speed [--orders 10000000] [--seed 42]

One Premier League season (2024-08-01 .. 2025-06-01, 380 mock matches) of mock orders is generated
at the volume asked for (default effects), then, in this process:
- merge:     the production merge: ``merge_day`` for each UTC day of the season, from the orders
             of D-1 .. D+1 (as the merged_dataset asset reads them), and the days concatenated
             (pizza_game_tests/analysis/merged_days.py);
- analyse:   analyse() on the merged tables (baseline, outages, slots, tests, BH, anomalies, summary);
- total:     merge and analyse end to end (``merged_days.analyse_orders``);
- naive:     the straightforward approach, a pandas filter over all orders per match and window,
             counting orders nationally and per region; its counts are checked against the merged
             windows table, and the speedup is its time over the merge's (which builds the
             15-minute series too).
Smaller sizes are random subsets of the same orders. Memory is measured in a fresh process that
loads the largest orders table (pickled by this one) and merges and analyses it once: its resident
set size with the table loaded, and its peak resident set size (VmHWM) over the whole run.
"""

from __future__ import annotations

import argparse
import json
import pickle
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from pizza_game.analysis.config import AnalysisConfig
from pizza_game.analysis.engine import analyse
from pizza_game.analysis.windows import split_analysable, window_bounds
from pizza_game.collectors.mock_matches import generate_matches
from pizza_game.collectors.mock_orders import generate_orders, national_rate
from pizza_game.collectors.teams import BIG_SIX, DERBY_PAIRS
from pizza_game_tests.analysis.merged_days import analyse_orders, concat_days, merge_days

SEASON = pd.Timestamp("2024-08-01T00:00Z"), pd.Timestamp("2025-06-01T00:00Z")
CONFIG = AnalysisConfig(big_match_teams=BIG_SIX, derbies=DERBY_PAIRS)
STATUS = Path("/proc/self/status")
ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")


def peak_rss_mb() -> float:
    """Peak resident set size since the last reset (VmHWM), else since the process started."""
    if STATUS.exists():
        for line in STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    for line in STATUS.read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def memory_child(path: str) -> None:
    """Load the pickled orders and matches, merge and analyse once, print the memory figures."""
    with open(path, "rb") as handle:
        orders, matches = pickle.load(handle)
    loaded = current_rss_mb()
    started = time.perf_counter()
    result = analyse_orders(orders, matches, CONFIG, start=SEASON[0], end=SEASON[1])
    seconds = time.perf_counter() - started
    figures = {
        "orders": len(orders),
        "rss_with_orders_loaded_mb": round(loaded),
        "peak_rss_mb": round(peak_rss_mb()),
        "analysis_seconds": round(seconds, 3),
        "tests": len(result.results),
    }
    print(json.dumps(figures))


def timed(function: Callable[[], T], repeat: int = 1) -> tuple[float, T]:
    """Median wall seconds over ``repeat`` (at least 1) runs, and the last result."""
    started = time.perf_counter()
    result = function()
    seconds = [time.perf_counter() - started]
    for _ in range(repeat - 1):
        started = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), result


def naive_counts(orders: pd.DataFrame, bounds: pd.DataFrame) -> pd.DataFrame:
    """The straightforward approach: filter every order for every match window."""
    rows: list[dict[str, object]] = []
    stamps = orders["ordered_at"]
    columns = (bounds[name] for name in ("match_id", "window", "start_ns", "end_ns"))
    for match_id, window, start_ns, end_ns in zip(*columns, strict=True):
        start = pd.Timestamp(start_ns, tz="UTC")
        end = pd.Timestamp(end_ns, tz="UTC")
        inside = orders[(stamps >= start) & (stamps < end)]
        rows.append(
            {
                "match_id": match_id,
                "window": window,
                "region": "ALL",
                "orders": len(inside),
            }
        )
        for region, count in inside["region"].value_counts().items():
            rows.append(
                {
                    "match_id": match_id,
                    "window": window,
                    "region": region,
                    "orders": count,
                }
            )
    return pd.DataFrame(rows)


def stages(orders: pd.DataFrame, matches: pd.DataFrame, repeat: int) -> dict:
    start, end = SEASON
    analysable, _ = split_analysable(matches)
    bounds = window_bounds(analysable["kickoff_at"], CONFIG.windows)
    bounds["match_id"] = analysable["match_id"].to_numpy()[bounds["position"].to_numpy()]
    # Every hour the merged days reach has data (a complete season of raw objects).
    hours = pd.date_range(start - pd.Timedelta(days=1), end + pd.Timedelta(days=1), freq="h", inclusive="left")

    merging, merged = timed(
        lambda: concat_days(merge_days(orders, matches, start, end, hours, CONFIG.windows)), repeat
    )
    analysing, _ = timed(
        lambda: analyse(merged.series, merged.windows, merged.matches, CONFIG), repeat
    )
    total, result = timed(
        lambda: analyse_orders(orders, matches, CONFIG, start=start, end=end), repeat
    )
    naive, straightforward = timed(lambda: naive_counts(orders, bounds))
    ours = merged.windows[["match_id", "window", "region", "orders"]]
    compared = straightforward.merge(
        ours, on=["match_id", "window", "region"], how="left", suffixes=("_naive", "")
    )
    if not (compared["orders"].fillna(0) == compared["orders_naive"]).all():
        raise AssertionError("window counts differ from the straightforward approach")
    return {
        "orders": len(orders),
        "match_windows": len(bounds),
        "seconds": {
            "merge": round(merging, 3),
            "analyse": round(analysing, 3),
            "total": round(total, 3),
            "naive_count": round(naive, 3),
        },
        "merge_speedup_vs_naive": round(naive / merging, 1),
        "tests": len(result.results),
        "significant": int(result.results["significant"].sum()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000_000, help="orders of the largest run")
    parser.add_argument("--sizes", type=int, nargs="*", default=[1_000_000, 2_000_000, 5_000_000])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=3, help="runs per fast stage (median)")
    parser.add_argument("--memory-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child)
        return

    minutes = pd.date_range(*SEASON, freq="min", inclusive="left")
    scale = args.orders / national_rate(minutes).sum()
    matches = generate_matches(*SEASON, seed=args.seed, now=SEASON[1] + pd.Timedelta(days=30))
    started = time.perf_counter()
    orders = generate_orders(*SEASON, seed=args.seed, matches=matches, scale=scale)
    print(
        f"generated {len(orders):,} orders, {len(matches)} matches in {time.perf_counter() - started:.1f} s"
    )

    report: dict[str, Any] = {"season": [str(SEASON[0]), str(SEASON[1])], "runs": []}
    rng = np.random.default_rng(args.seed)
    for size in sorted(args.sizes):
        subset = orders[rng.random(len(orders)) < size / len(orders)].reset_index(drop=True)
        report["runs"].append(stages(subset, matches, args.repeat))
        del subset
    largest = stages(orders, matches, args.repeat)
    with tempfile.NamedTemporaryFile(suffix=".pickle") as handle:
        pickle.dump((orders, matches), handle, protocol=pickle.HIGHEST_PROTOCOL)
        handle.flush()
        del orders
        command = [sys.executable, "-m", "benchmarks.analysis_speed", "--memory-child", handle.name]
        child = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
    largest["memory"] = json.loads(child.stdout.strip().splitlines()[-1])
    report["runs"].append(largest)
    print(json.dumps(report, indent=2))
    header = ("orders", "merge", "analyse", "total", "naive", "speedup")
    print("".join(f"{h:>11}" for h in header))
    for run in report["runs"]:
        s = run["seconds"]
        cells = [f"{run['orders']:,}"] + [
            f"{s[k]:.3f}" for k in ("merge", "analyse", "total")
        ]
        cells += [f"{s['naive_count']:.2f}", f"{run['merge_speedup_vs_naive']:.1f}x"]
        print("".join(f"{c:>11}" for c in cells))
    memory = largest["memory"]
    print(
        f"fresh process, {memory['orders']:,} orders: RSS with the orders table loaded "
        f"{memory['rss_with_orders_loaded_mb']} MB, peak RSS over merging and analysing {memory['peak_rss_mb']} MB"
    )


if __name__ == "__main__":
    main()
