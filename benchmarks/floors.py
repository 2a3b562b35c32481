"""Each path of the pipeline against a plain script doing the same essential work, as ratios.

Run from the repository root:  python -m benchmarks.floors [--repeat 3] [--only import run ...]

In one process, back to back, on the same data, each path and its floor are timed ``--repeat``
times in turn (path, floor, path, floor...: the file system's state, which moves the file-writing
floors between 0.4 and 1.9 s here, is then the same for both); the figures are wall seconds, min
and median, and the ratios path/floor of the mins and of the medians. The machine's load average is printed beside each
scenario: other processes slow both sides, so compare ratios, not seconds, across runs.

Scenarios (goals from issue 14):
- ``import``: `pizza-game import orders` of a year of one store (pizza_place_2015, America/New_York)
  into a fresh data root; floor: read the CSV, localize, group by hour, write each hour's JSON
  atomically (temp file + rename) at the same keys, empty hours included. Goal <= 3x.
- ``run``: `pizza-game run` over 5 months of mock data; floor: write the same objects atomically,
  read them back, parse the raw ones and count the orders per hour and in each match's window.
  The floor generates nothing: the mock generator is timed in benchmarks/mock_generator.py. Goal <= 5x.
- ``default``: `pizza-game run` with its default range (no floor). Goal <= 30 s.
- ``hourly``: the hourly run after 180 days of history against after 7 days (benchmarks/hourly_run.py),
  each run in a fresh process (as Dagster's daemon launches scheduled runs), then all in one
  process (as a warm Lambda runs them). Goal <= 1.2x. Also against after 60 days: the run after
  7 days tests nothing (too few reference days), the run after 60 days runs the tests.
- ``imports``: ``python -X importtime`` of ``pizza_game.definitions`` (goal <= 1.5 s) and of the
  Lambda handler (goal <= 2 s), each in a fresh process; floor: ``import dagster, pandas``.
- ``season``: peak RSS of `pizza-game run` over a Premier League season, in a fresh process
  (once: memory does not depend on the load). Goal <= 1 GB.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")

from pizza_game import cli  # noqa: E402
from pizza_game.storage import layout  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
STORE_YEAR = Path("/work/shared/data/pizza_place_2015/orders_canonical.csv")
STORE_TIMEZONE = "America/New_York"
RUN_START, RUN_END = "2024-10-01", "2025-02-28"  # 5 months
SEASON_START, SEASON_END = "2024-08-16", "2025-05-25"
KICKOFF_REACH = np.timedelta64(2 * 3600, "s")


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f} (1/5 min, {os.cpu_count()} CPUs)"


def quietly(work: Callable[[], object]) -> Callable[[], object]:
    def run() -> object:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            return work()

    return run


def seconds(work: Callable[[], object], setup: Callable[[], object] | None = None) -> float:
    if setup:
        setup()
    began = time.perf_counter()
    work()
    return time.perf_counter() - began


def in_turn(repeat: int, path: Callable[[], float], floor: Callable[[], float]) -> tuple[list[float], list[float]]:
    """``repeat`` timings of the path and of its floor, taken alternately."""
    pairs = [(path(), floor()) for _ in range(repeat)]
    return [p for p, _ in pairs], [f for _, f in pairs]


def compare(name: str, goal: str, path: list[float], floor: list[float], before: str) -> dict:
    result = {
        "scenario": name,
        "goal": goal,
        "path_seconds": [round(s, 3) for s in path],
        "floor_seconds": [round(s, 3) for s in floor],
        "ratio_of_min": round(min(path) / min(floor), 2),
        "ratio_of_median": round(statistics.median(path) / statistics.median(floor), 2),
        "load_before": before,
        "load_after": load(),
    }
    print(
        f"{name}: path min {min(path):.2f} s, median {statistics.median(path):.2f} s; floor min {min(floor):.2f} s, "
        f"median {statistics.median(floor):.2f} s; ratio {result['ratio_of_min']}x (min), "
        f"{result['ratio_of_median']}x (median); goal {goal}; {before} -> {result['load_after']}",
        file=sys.stderr,
        flush=True,
    )
    return result


def write_atomically(root: Path, key: str, data: bytes, folders: set[Path]) -> None:
    path = root / key
    if path.parent not in folders:
        path.parent.mkdir(parents=True, exist_ok=True)
        folders.add(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


# import ---------------------------------------------------------------------------------------


def import_floor(root: Path) -> int:
    table = pd.read_csv(STORE_YEAR, dtype={"store_id": str, "region": str})
    local = pd.to_datetime(table["date"] + " " + table["time"])
    ordered = local.dt.tz_localize(STORE_TIMEZONE, ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC")
    table = table.assign(ordered_at=ordered.dt.strftime("%Y-%m-%dT%H:%M:%SZ"))[ordered.notna()].sort_values("ordered_at", kind="stable")
    hours = ordered.loc[table.index].dt.floor("h").dt.tz_localize(None).to_numpy()
    span = pd.date_range(hours.min(), hours.max(), freq="h")
    bounds = [*np.searchsorted(hours, span.to_numpy(), side="left").tolist(), len(table)]
    columns = ["order_id", "ordered_at", "store_id", "region", "items", "total"]
    values = [table[c].tolist() for c in columns]
    records = [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]
    folders: set[Path] = set()
    for i, start in enumerate(span):
        rows = records[bounds[i] : bounds[i + 1]]
        document = {"asset": "raw_orders", "partition": f"{start:%Y-%m-%d-%H:%M}", "source": "real", "row_count": len(rows), "rows": rows}
        write_atomically(root, layout.raw_orders_key("real", start), json.dumps(document, separators=(",", ":")).encode(), folders)
    return len(span)


def scenario_import(repeat: int) -> dict:
    before = load()
    roots: list[Path] = []

    def fresh() -> None:
        roots.append(Path(tempfile.mkdtemp(prefix="bench-import-")))

    def path() -> None:
        cli.main(["import", "orders", str(STORE_YEAR), "--timezone", STORE_TIMEZONE, "--data-dir", str(roots[-1])])

    try:
        path_times, floor_times = in_turn(
            repeat, lambda: seconds(quietly(path), fresh), lambda: seconds(lambda: import_floor(roots[-1]), fresh)
        )
    finally:
        for root in roots:
            shutil.rmtree(root, ignore_errors=True)
    return compare("import a year of one store", "<= 3x", path_times, floor_times, before)


# 5-month run ----------------------------------------------------------------------------------


def run_floor(objects: list[tuple[str, bytes]], root: Path) -> int:
    folders: set[Path] = set()
    for key, data in objects:
        write_atomically(root, key, data, folders)
    ordered: list[str] = []
    kickoffs: list[str] = []
    for key, _ in objects:
        data = (root / key).read_bytes()
        if key.startswith(layout.RAW_ORDERS_PREFIX):
            ordered.extend(row["ordered_at"] for row in json.loads(data)["rows"])
        elif key.startswith(layout.RAW_MATCHES_PREFIX):
            kickoffs.extend(row["kickoff_at"] for row in json.loads(data)["rows"])
    instants = np.sort(np.array([t.rstrip("Z") for t in ordered], dtype="datetime64[s]"))
    hours = instants.astype("datetime64[h]")
    per_hour = np.bincount((hours - hours.min()).astype(np.int64))
    kicks = np.array([t.rstrip("Z") for t in kickoffs], dtype="datetime64[s]")
    in_window = np.searchsorted(instants, kicks + KICKOFF_REACH) - np.searchsorted(instants, kicks - KICKOFF_REACH)
    return int(per_hour.sum() + in_window.sum())


def stored_objects(root: Path) -> list[tuple[str, bytes]]:
    return [(p.relative_to(root).as_posix(), p.read_bytes()) for p in sorted(root.rglob("*")) if p.is_file()]


def scenario_run(repeat: int) -> dict:
    before = load()
    objects: list[tuple[str, bytes]] = []

    def path() -> None:
        with tempfile.TemporaryDirectory(prefix="bench-run-") as root:
            cli.main(["run", "--start", RUN_START, "--end", RUN_END, "--data-dir", root, "--quiet"])
            if not objects:
                objects.extend(stored_objects(Path(root)))

    def floor() -> None:
        with tempfile.TemporaryDirectory(prefix="bench-run-floor-") as root:
            run_floor(objects, Path(root))

    path_times, floor_times = in_turn(repeat, lambda: seconds(quietly(path)), lambda: seconds(floor))
    result = compare(f"run {RUN_START} to {RUN_END} (mock)", "<= 5x", path_times, floor_times, before)
    result["objects"] = len(objects)
    result["megabytes"] = round(sum(len(d) for _, d in objects) / 2**20, 1)
    return result


# default run ----------------------------------------------------------------------------------


def scenario_default(repeat: int) -> dict:
    before = load()

    def path() -> None:
        with tempfile.TemporaryDirectory(prefix="bench-default-") as root:
            cli.main(["run", "--data-dir", root, "--quiet"])

    times = [seconds(quietly(path)) for _ in range(repeat)]
    result = {
        "scenario": "default run",
        "goal": "<= 30 s",
        "path_seconds": [round(s, 2) for s in times],
        "min": round(min(times), 2),
        "median": round(statistics.median(times), 2),
        "load_before": before,
        "load_after": load(),
    }
    print(f"default run: min {result['min']} s, median {result['median']} s; goal <= 30 s; {before} -> {result['load_after']}", file=sys.stderr, flush=True)
    return result


# hourly run -----------------------------------------------------------------------------------


def scenario_hourly(repeat: int) -> list[dict]:
    """Twice: each hourly run in a fresh process on the CLI's persistent instance, as Dagster's
    daemon launches a scheduled run; and all in one process on an in-memory instance, as a warm
    Lambda runs them one after another (what one run leaves in memory can help the next: the
    merged days decoded are kept, as the Lambda handler keeps them).

    The goal compares the run after 180 days with the run after 7, which tests nothing (each
    test needs eight match-free reference days of the same weekday or day type); the run after
    60 days, which runs them, is measured too, to show how the cost grows from there."""
    from benchmarks.hourly_run import hourly_after

    out = []
    for kind, how in (("process", "a fresh process per run"), ("memory", "one process")):
        before = load()
        runs = {days: hourly_after(days, repeat, kind) for days in (7, 60, 180)}
        for shorter, goal in ((7, "<= 1.2x"), (60, "(no goal: both run the tests)")):
            out.append(
                compare(
                    f"hourly run after 180 days / after {shorter} days ({how})",
                    goal,
                    [r["seconds"] for r in runs[180]["runs"]],
                    [r["seconds"] for r in runs[shorter]["runs"]],
                    before,
                )
            )
    return out


# imports --------------------------------------------------------------------------------------

# Packages whose import cost is worth naming (cumulative seconds where each was first imported).
HEAVY_PACKAGES = (
    "dagster", "dagster_aws", "dagster._core.test_utils", "pandas", "numpy", "scipy", "scipy.stats",
    "boto3", "botocore", "requests", "plotly", "pizza_game.definitions", "lambda_handler",
)
IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def import_times(code: str, env: dict[str, str] | None = None, cwd: Path = REPO) -> tuple[float, dict[str, float]]:
    """Wall seconds of a fresh ``python -X importtime -c code``, and cumulative seconds per top-level module."""
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, env=env, cwd=cwd, check=True
    )
    wall = time.perf_counter() - began
    cumulative: dict[str, float] = {}
    for line in done.stderr.splitlines():
        match = IMPORT_LINE.match(line)
        if match and match.group(4) in HEAVY_PACKAGES:
            cumulative[match.group(4)] = round(int(match.group(2)) / 1e6, 2)
    return wall, cumulative


def handler_env(writable: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": writable,
        "PYTHONPATH": f"{REPO}{os.pathsep}{REPO / 'deploy'}",
        "PIZZA_GAME_WRITABLE_DIR": writable,
        "S3_BUCKET_NAME": "bench-bucket",
        "AWS_REGION": "eu-west-2",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }


def scenario_imports(repeat: int) -> list[dict]:
    before = load()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    floor = [import_times("import dagster, pandas", env)[0] for _ in range(repeat)]
    definitions = [import_times("import pizza_game.definitions", env) for _ in range(repeat)]
    with tempfile.TemporaryDirectory(prefix="bench-handler-") as writable:
        handler = [import_times("import lambda_handler", handler_env(writable)) for _ in range(repeat)]
    out = []
    for name, goal, runs in (
        ("import pizza_game.definitions", "<= 1.5 s", definitions),
        ("import lambda_handler", "<= 2 s", handler),
    ):
        result = compare(name, goal, [wall for wall, _ in runs], floor, before)
        result["import_seconds_of"] = runs[-1][1]
        print(f"  cumulative import seconds: {result['import_seconds_of']}", file=sys.stderr, flush=True)
        out.append(result)
    return out


# season ---------------------------------------------------------------------------------------

# The child's own peak: VmHWM of its address space. Linux carries ru_maxrss across execve, and the
# process forked from this one starts with this process's resident set: after the 5-month and
# hourly scenarios, ru_maxrss reported the parent's 1.08 GB, not the season's 0.77 GB.
SEASON_CHILD = """
import contextlib, io, json, re, sys, tempfile, warnings
warnings.filterwarnings("ignore")
from pizza_game import cli
with tempfile.TemporaryDirectory() as root, contextlib.redirect_stdout(io.StringIO()):
    code = cli.main(["run", "--start", sys.argv[1], "--end", sys.argv[2], "--data-dir", root, "--quiet"])
with open("/proc/self/status") as status:
    peak_kb = int(re.search(r"VmHWM:\\s+(\\d+) kB", status.read()).group(1))
print(json.dumps({"code": code, "peak_rss_mb": peak_kb / 1024}))
"""


def scenario_season(_: int) -> dict:
    before = load()
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", SEASON_CHILD, SEASON_START, SEASON_END],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        cwd=REPO,
        check=True,
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    result = {
        "scenario": f"season run {SEASON_START} to {SEASON_END} (mock)",
        "goal": "<= 1 GB peak RSS",
        "exit_code": report["code"],
        "peak_rss_mb": round(report["peak_rss_mb"]),
        "seconds": round(time.perf_counter() - began, 1),
        "load_before": before,
        "load_after": load(),
    }
    print(f"season run: peak RSS {result['peak_rss_mb']} MB in {result['seconds']} s; goal <= 1 GB; {before}", file=sys.stderr, flush=True)
    return result


SCENARIOS = {
    "import": scenario_import,
    "run": scenario_run,
    "default": scenario_default,
    "hourly": scenario_hourly,
    "imports": scenario_imports,
    "season": scenario_season,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", nargs="+", choices=sorted(SCENARIOS), default=list(SCENARIOS))
    args = parser.parse_args(argv)
    for name in args.only:
        results = SCENARIOS[name](args.repeat)
        for result in results if isinstance(results, list) else [results]:
            print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
