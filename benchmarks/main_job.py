"""How long the main job takes: `pizza-game run` over the default 14 days, on the embedded default.

Also measures, in the same process, what one range run saves against one run per partition (the
straightforward way to drive partitioned assets), on one day of hourly order partitions.

    python benchmarks/main_job.py [--days 14]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
import warnings

import dagster as dg
import pandas as pd

warnings.filterwarnings("ignore")

from pizza_game.definitions import make_definitions  # noqa: E402
from pizza_game.runner import RANGE_END, RANGE_START, run_pipeline  # noqa: E402

QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=14)
    args = parser.parse_args()
    end = pd.Timestamp.now(tz="UTC").normalize()
    start = end - pd.Timedelta(days=args.days)

    with tempfile.TemporaryDirectory() as root:
        began = time.perf_counter()
        summary = run_pipeline(start, end, defs=make_definitions(data_dir=root), instance=dg.DagsterInstance.ephemeral(), log_level="ERROR")
        total = time.perf_counter() - began
    print(f"main job, {args.days} days ({summary.hours} order hours, {summary.days} days): {total:.1f} s wall, "
          f"{summary.orders:,} orders, {summary.matches} matches")

    day = end - pd.Timedelta(days=3)
    keys = [f"{day + pd.Timedelta(hours=h):%Y-%m-%d-%H:%M}" for h in range(24)]
    with tempfile.TemporaryDirectory() as root:
        job = make_definitions(data_dir=root).resolve_job_def("orders_job")
        instance = dg.DagsterInstance.ephemeral()
        began = time.perf_counter()
        job.execute_in_process(instance=instance, run_config=QUIET, tags={RANGE_START: keys[0], RANGE_END: keys[-1]})
        one_run = time.perf_counter() - began
        began = time.perf_counter()
        for key in keys:
            job.execute_in_process(instance=instance, run_config=QUIET, partition_key=key)
        per_partition = time.perf_counter() - began
    print(f"24 order hours as one range run: {one_run:.2f} s; as 24 runs: {per_partition:.2f} s "
          f"({per_partition / one_run:.1f}x slower, {per_partition / 24:.2f} s per run)")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
