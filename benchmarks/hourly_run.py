"""Wall time of the hourly run as history grows, and of a 30-day backfill (mock data, local store).

Run from the repository root:  python -m benchmarks.hourly_run [--history 7 180] [--repeat 3]
                                                               [--instance memory|sqlite|process]

Scenarios, each on a fresh data directory and Dagster instance:
- ``hourly_after_<N>d``: a backfill of N days (not timed), then the hourly run (orders_job for one
  hour, then analysis_job for the days its match windows reach, exactly as the schedule and the
  analysis_after_orders sensor run them) timed ``--repeat`` times; the median is reported with the
  time of each step of the last run.
- ``backfill_30d``: ``pizza-game run`` over 30 days (two runs: the hours, then the days).

Every figure is also given as a ratio to a baseline measured in the same process just before it
(a fixed piece of pandas work), so figures from a busy machine stay comparable. ``--instance
sqlite`` uses a sqlite instance in a temporary directory on disk, as `dagster dev` does, instead
of the in-memory instance the CLI and Lambda use without DAGSTER_HOME; on an in-memory instance the
merged days decoded are kept from run to run, as in the warm Lambda. ``--instance process``
runs each timed hourly run in a fresh Python process on the CLI's own persistent instance (a
SQLite folder opened as `pizza-game run` opens it), as Dagster's daemon launches every scheduled
run: nothing a process keeps in memory from one run to the next helps it (the time of the run
alone is taken, not the process's start and imports).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
import numpy as np
import pandas as pd

# Dagster flags some APIs the assets use as beta when their modules are imported.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", category=dg.BetaWarning)
    from pizza_game.definitions import make_definitions
    from pizza_game.instance import INSTANCE_SETTINGS
    from pizza_game.runner import run_pipeline
    from pizza_game.storage.decoded_days import DECODED, keep_decoded_days

# The hour the hourly run collects: a Saturday afternoon of the 2024-25 season.
HOUR = pd.Timestamp("2025-03-01T14:00Z")
BACKFILL_END = pd.Timestamp("2025-03-01T00:00Z")
SEED = 42


def baseline_seconds() -> float:
    """A fixed piece of work (sort, group and aggregate a million rows): the machine's current speed."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"key": rng.integers(0, 1000, 1_000_000), "value": rng.random(1_000_000)})
    began = time.perf_counter()
    frame.sort_values("value").groupby("key")["value"].agg(["sum", "mean", "max"])
    return time.perf_counter() - began


def measured(work: Callable[[], object]) -> dict[str, float]:
    """Wall seconds of ``work`` (or the seconds it returns, when it times itself)."""
    baseline = statistics.median(baseline_seconds() for _ in range(3))
    began = time.perf_counter()
    timed = work()
    seconds = timed if isinstance(timed, float) else time.perf_counter() - began
    return {"seconds": round(seconds, 2), "baseline_seconds": round(baseline, 3), "ratio_to_baseline": round(seconds / baseline, 1)}


# One hourly run in a fresh process on the instance in DAGSTER_HOME; prints its wall seconds.
FRESH_RUN = """
import json, os, sys, time, warnings
warnings.filterwarnings("ignore")
import pandas as pd
from pizza_game.definitions import make_definitions
from pizza_game.instance import default_instance
from pizza_game.runner import run_pipeline
hour = pd.Timestamp(sys.argv[2])
defs = make_definitions(data_dir=sys.argv[1], seed=int(sys.argv[3]))
with default_instance() as instance:
    began = time.perf_counter()
    run_pipeline(hour, hour + pd.Timedelta(hours=1), defs=defs, instance=instance, collect_margin=False, log_level="ERROR")
    print(json.dumps({"seconds": time.perf_counter() - began}))
"""


def fresh_process_seconds(data: str, home: str) -> float:
    """The wall seconds of the hourly run, run in a new process on the instance in ``home``."""
    env = {**os.environ, "DAGSTER_HOME": home, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    done = subprocess.run(
        [sys.executable, "-c", FRESH_RUN, data, HOUR.isoformat(), str(SEED)], capture_output=True, text=True, env=env, check=True
    )
    return float(json.loads(done.stdout.strip().splitlines()[-1])["seconds"])


@contextmanager
def instance_of(kind: str, home: str | None = None) -> Iterator[dg.DagsterInstance]:
    if kind == "process":
        from pizza_game.instance import default_instance

        os.environ["DAGSTER_HOME"] = prepared_home(home)
        try:
            with default_instance() as instance:
                yield instance
        finally:
            del os.environ["DAGSTER_HOME"]
        return
    if kind == "memory":
        yield dg.DagsterInstance.ephemeral(settings=INSTANCE_SETTINGS)
        return
    with (
        tempfile.TemporaryDirectory(prefix="pizza-game-bench-instance-") as home,
        dg.instance_for_test(temp_dir=home, overrides=INSTANCE_SETTINGS) as instance,
    ):
        yield instance


def prepared_home(home: str | None) -> str:
    """``home`` with a dagster.yaml turning telemetry off, as `pizza-game run` gives its instance."""
    if home is None:
        raise ValueError("a process instance needs its DAGSTER_HOME folder")
    Path(home, "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return home


def last_runs(instance: dg.DagsterInstance) -> list[str]:
    """The ids of the two runs (orders, then analysis) of the last hourly run on ``instance``."""
    return [run.run_id for run in reversed(instance.get_runs(limit=2))]


def step_seconds(instance: dg.DagsterInstance, run_ids: list[str]) -> dict[str, float]:
    """Seconds per step of the given runs, from Dagster's step-success events."""
    out: dict[str, float] = {}
    for run_id in run_ids:
        for record in instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.STEP_SUCCESS).records:
            event = record.event_log_entry.dagster_event
            if event is None or event.step_key is None:  # a step-success event always has both
                raise ValueError(f"run {run_id}: a STEP_SUCCESS record without its step")
            out[event.step_key] = round(event.step_success_data.duration_ms / 1000, 2)
    return out


@contextmanager
def decoded_days_as_in(kind: str) -> Iterator[None]:
    """In one process, merged days decoded are kept from run to run, as the warm Lambda keeps them
    (deploy/lambda_handler.py); each scenario starts with none."""
    if kind != "memory":
        yield
        return
    keep_decoded_days()
    try:
        yield
    finally:
        DECODED.limit = 0
        DECODED.clear()


def hourly_after(days: int, repeat: int, kind: str) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory(prefix="pizza-game-bench-") as data,
        tempfile.TemporaryDirectory(prefix="pizza-game-bench-home-") as home,
        instance_of(kind, home) as instance,
        decoded_days_as_in(kind),
    ):
        defs = make_definitions(data_dir=data, seed=SEED)
        began = time.perf_counter()
        run_pipeline(BACKFILL_END - pd.Timedelta(days=days), BACKFILL_END, defs=defs, instance=instance, log_level="ERROR")
        history = time.perf_counter() - began
        summaries = []

        def hourly_run() -> float | None:
            if kind == "process":
                return fresh_process_seconds(data, home)
            summaries.append(
                run_pipeline(HOUR, HOUR + pd.Timedelta(hours=1), defs=defs, instance=instance, collect_margin=False, log_level="ERROR")
            )
            return None

        runs = [measured(hourly_run) for _ in range(repeat)]
        merged_files = len(list(Path(data).glob("processed-data/merged-datasets/*/*/*/*.json")))
        return {
            "scenario": f"hourly_after_{days}d",
            "instance": kind,
            "history_backfill_seconds": round(history, 1),
            "merged_days_stored": merged_files,
            "seconds_median": statistics.median(r["seconds"] for r in runs),
            "ratio_to_baseline_median": statistics.median(r["ratio_to_baseline"] for r in runs),
            "runs": runs,
            "steps_of_last_run": step_seconds(instance, summaries[-1].run_ids if summaries else last_runs(instance)),
        }


def backfill(days: int, kind: str) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory(prefix="pizza-game-bench-") as data,
        tempfile.TemporaryDirectory(prefix="pizza-game-bench-home-") as home,
        instance_of(kind, home) as instance,
    ):
        defs = make_definitions(data_dir=data, seed=SEED)
        summaries = []
        figures = measured(
            lambda: summaries.append(
                run_pipeline(BACKFILL_END - pd.Timedelta(days=days), BACKFILL_END, defs=defs, instance=instance, log_level="ERROR")
            )
        )
        return {
            "scenario": f"backfill_{days}d",
            "instance": kind,
            **figures,
            "orders": summaries[0].orders,
            "steps": step_seconds(instance, summaries[0].run_ids),
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--history", type=int, nargs="+", default=[7, 180], help="days of history before the hourly run")
    parser.add_argument("--repeat", type=int, default=3, help="hourly runs timed per history")
    parser.add_argument("--backfill", type=int, default=30, help="days of the timed backfill (0: skip)")
    parser.add_argument("--instance", choices=("memory", "sqlite", "process"), default="memory")
    args = parser.parse_args(argv)
    results = [hourly_after(days, args.repeat, args.instance) for days in args.history]
    if args.backfill:
        results.append(backfill(args.backfill, args.instance))
    for result in results:
        print(json.dumps(result), flush=True)
    hourly = [r for r in results if r["scenario"].startswith("hourly")]
    if len(hourly) >= 2:
        first, last = hourly[0], hourly[-1]
        growth = last["ratio_to_baseline_median"] / first["ratio_to_baseline_median"]
        print(f"{last['scenario']} / {first['scenario']}: {growth:.2f}x (baseline-adjusted)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
