"""Wall time of a 30-day run on a persistent (SQLite) instance, by the event log that stores it.

Run from the repository root:  python -m benchmarks.event_log [--days 30] [--repeat 3]

Three event logs on the same Dagster files, each run in a fresh process on a fresh DAGSTER_HOME
and data folder:
- ``dagster``: Dagster's own ``SqliteEventLogStorage`` (what the UI's processes used before
  dagster.yaml named ours): an engine per connection, an fsync per commit, event by event;
- ``ours``: ``pizza_game.event_log.SqliteEventLog``, an engine per file, commits without fsync,
  event by event (a UI process started without ``pizza-game ui``, which gives the batch size);
- ``ours_batched``: the same with ``DAGSTER_EVENT_BATCH_SIZE`` (``pizza-game run``, and the UI's
  processes started by ``pizza-game ui``).
The run is ``run_pipeline`` over the days (mock data): the orders run, then the analysis run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
START = "2024-10-01"
KINDS = ("dagster", "ours", "ours_batched")

CHILD = """
import json, sys, time, warnings
warnings.filterwarnings("ignore")
from pathlib import Path
import dagster as dg
import pandas as pd
from dagster._core.instance.ref import InstanceRef
from pizza_game.definitions import make_definitions
from pizza_game.event_log import instance_at
from pizza_game.runner import run_pipeline
kind, home, data, start, days = sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
instance = dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) if kind == "dagster" else instance_at(home)
defs = make_definitions(data_dir=data, seed=42)
first = pd.Timestamp(start, tz="UTC")
began = time.perf_counter()
run_pipeline(first, first + pd.Timedelta(days=days), defs=defs, instance=instance, log_level="ERROR")
print(json.dumps({"seconds": time.perf_counter() - began, "event_log": type(instance.event_log_storage).__name__}))
"""


def one_run(kind: str, days: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-event-log-") as folder:
        home, data = Path(folder, "home"), Path(folder, "data")
        home.mkdir()
        (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        env = {**os.environ, "DAGSTER_HOME": str(home), "PYTHONPATH": str(REPO)}
        # 0 turns batches off (the runner leaves a value already set alone).
        env["DAGSTER_EVENT_BATCH_SIZE"] = "1000" if kind == "ours_batched" else "0"
        done = subprocess.run(
            [sys.executable, "-c", CHILD, kind, str(home), str(data), START, str(days)],
            capture_output=True, text=True, env=env, check=True,
        )  # fmt: skip
        return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    seconds: dict[str, list[float]] = {kind: [] for kind in KINDS}
    names = {}
    for _ in range(args.repeat):
        for kind in KINDS:  # in turn, so a busy moment slows every kind alike
            result = one_run(kind, args.days)
            seconds[kind].append(result["seconds"])
            names[kind] = result["event_log"]
    for kind in KINDS:
        times = seconds[kind]
        print(json.dumps({
            "event_log": kind, "class": names[kind], "days": args.days, "seconds": [round(s, 2) for s in times],
            "min": round(min(times), 2), "median": round(statistics.median(times), 2),
            "ratio_to_dagster_median": round(statistics.median(times) / statistics.median(seconds["dagster"]), 2),
        }), flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
