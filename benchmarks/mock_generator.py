"""Speed and memory of the mock generators: one season at the default volume, ~10 M orders, hourly calls.

Run from the repository root:  python benchmarks/mock_generator.py [--orders 10000000] [--seed 42]

Each scenario runs in a fresh interpreter so its peak resident memory (ru_maxrss) is its own;
"baseline" is the peak after importing the package, before generating anything.
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import subprocess
import sys
import time

import pandas as pd

from pizza_game.collectors.mock_matches import generate_matches
from pizza_game.collectors.mock_orders import generate_orders, national_rate

SEASON = pd.Timestamp("2024-08-01T00:00Z"), pd.Timestamp("2025-06-01T00:00Z")
SCENARIOS = ("matches", "season", "large", "large_streamed", "hourly")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def scale_for(orders: int) -> float:
    """The scale at which SEASON is expected to hold ``orders`` (before match effects and noise)."""
    minutes = pd.date_range(*SEASON, freq="min", inclusive="left")
    return orders / national_rate(minutes).sum()


def run(scenario: str, seed: int, orders: int) -> dict[str, object]:
    """One scenario in this process: rows, seconds and memory."""
    baseline = peak_mb()
    started = time.perf_counter()
    extra: dict[str, object] = {}
    if scenario == "matches":
        rows = len(generate_matches(*SEASON, seed=seed))
    elif scenario == "season":
        rows = len(generate_orders(*SEASON, seed=seed))
    elif scenario == "large":
        scale = scale_for(orders)
        rows = len(generate_orders(*SEASON, seed=seed, scale=scale))
        extra = {"scale": round(scale, 3)}
    elif scenario == "large_streamed":
        scale = scale_for(orders)
        # A day at a time, as a caller bounding its memory would.
        days = pd.date_range(*SEASON, freq="D")
        rows = sum(len(generate_orders(a, b, seed=seed, scale=scale)) for a, b in itertools.pairwise(days))
        extra = {"scale": round(scale, 3)}
    elif scenario == "hourly":
        hours = pd.date_range("2024-10-26T00:00Z", periods=25, freq="h")
        rows = sum(len(generate_orders(a, b, seed=seed)) for a, b in itertools.pairwise(hours))
        extra = {"calls": 24}
    else:
        raise ValueError(f"unknown scenario {scenario!r}; choose from {SCENARIOS}")
    seconds = time.perf_counter() - started
    return {
        "scenario": scenario,
        "rows": rows,
        "seconds": round(seconds, 3),
        "rows_per_second": round(rows / seconds),
        "baseline_mb": round(baseline),
        "peak_mb": round(peak_mb()),
        **extra,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--orders", type=int, default=10_000_000, help="target rows of the large runs"
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--scenario", choices=SCENARIOS, help="run one scenario in this process")
    args = parser.parse_args()
    if args.scenario:
        print(json.dumps(run(args.scenario, args.seed, args.orders)))
        return
    print(f"mock generators, {SEASON[0]:%Y-%m-%d} .. {SEASON[1]:%Y-%m-%d}, seed {args.seed}")
    for scenario in SCENARIOS:
        command = [sys.executable, __file__, "--scenario", scenario, "--seed", str(args.seed)]
        command += ["--orders", str(args.orders)]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        details = ", ".join(f"{k} {v}" for k, v in result.items() if k != "scenario")
        print(f"  {scenario:15s} {details}")


if __name__ == "__main__":
    main()
