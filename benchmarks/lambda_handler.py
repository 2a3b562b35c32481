"""Size, cold start and invocations of the Lambda handler, from a task root built like the image.

Run from the repository root:
    .venv/bin/python -m benchmarks.lambda_handler [--task-root DIR] [--repeat 5]

The task root is ``pip install --target`` of the repository with lambda_handler.py beside it,
as deploy/Dockerfile builds /var/task (see pizza_game_tests/deploy/task_root.py). ``--task-root
DIR`` keeps it in DIR and reuses it next time. Every measurement runs in a fresh ``python -S`` process that imports from the task root
alone, with S3 on a moto server on 127.0.0.1 (dummy credentials, no real account):
- cold import: from just before the process is spawned until ``import lambda_handler`` returns
  (the handler's own ``init_seconds`` too), against a bare interpreter start as the baseline;
- invocations in one process: a day (``{"partition": ...}``) first, then an EventBridge hour and
  the same day again, warm, with the wall time and the peak RSS (ru_maxrss) after each; then both
  once more under tracemalloc for the peak of Python-tracked allocations (numpy and pandas buffers
  included) during each invocation.
Absolute figures depend on the machine; the ratios compare runs of the same process or session.
MB are 2**20 bytes. The staged size sums file sizes (``du`` counts disk blocks and shows more).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

from pizza_game_tests.deploy.task_root import (
    User,
    build_task_root,
    interpreter_for,
    isolated_command,
    lambda_environ,
    remove_tree,
)
from pizza_game_tests.s3_server import (
    DUMMY_CREDENTIALS,
    REAL_ACCOUNT_VARIABLES,
    REGION,
    start_moto,
)

DAY = "2024-10-07"
# The hourly rule's event for 2024-10-08 01:00: the hour 00:00-01:00 after DAY.
HOUR_EVENT = {
    "source": "aws.events",
    "detail-type": "Scheduled Event",
    "time": "2024-10-08T01:00:00Z",
}
MARK = "BENCH "

BASELINE_CHILD = f"import time; print({MARK!r} + repr(time.time()))"

IMPORT_CHILD = f"""
import json, resource, time
import lambda_handler
done = time.time()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print({MARK!r} + json.dumps({{"done": done, "rss_mb": rss}}), flush=True)
"""

INVOKE_CHILD = f"""
import json, resource, sys, time, tracemalloc
import lambda_handler

def rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

results = [{{"label": "after import", "rss_mb": rss()}}]
for label, event, traced in json.loads(sys.argv[1]):
    if traced:
        if not tracemalloc.is_tracing():
            tracemalloc.start()
        tracemalloc.reset_peak()
    started = time.perf_counter()
    summary = lambda_handler.handler(event, None)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 2**20 if traced else None
    results.append({{
        "label": label, "seconds": seconds, "rss_mb": rss(), "traced_peak_mb": peak,
        "hours": sum(part["hours"] for part in summary["parts"]), "days": summary["days"],
        "orders": summary["orders"],
    }})
print({MARK!r} + json.dumps(results), flush=True)
"""


def staged_size(root: Path) -> tuple[float, int, list[tuple[str, float]]]:
    """Megabytes and files under ``root``, and the five largest top-level entries in MB."""
    by_top: Counter[str] = Counter()
    files = 0
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            files += 1
            top = path.relative_to(root).parts[0]
            by_top[top.split("-")[0] if top.endswith(".dist-info") else top] += path.stat().st_size
    total = sum(by_top.values()) / 2**20
    return total, files, [(name, size / 2**20) for name, size in by_top.most_common(5)]


def run_child(
    python: str, task_root: Path, endpoint_url: str, bucket: str, code: str, *args: str
) -> tuple[float, str, list[dict]]:
    """Run ``code`` from the task root, with a fresh unwritable HOME and writable directory (a
    cold Lambda's /tmp); return when it was spawned, its report and the handler's log lines."""
    home = Path(tempfile.mkdtemp(prefix="bench-home-"))
    writable = Path(tempfile.mkdtemp(prefix="bench-tmp-"))
    home.chmod(0o555)
    environ = lambda_environ(
        task_root,
        home=home,
        writable=writable,
        endpoint_url=endpoint_url,
        bucket=bucket,
        region=REGION,
        credentials=DUMMY_CREDENTIALS,
    )
    try:
        spawned = time.time()
        done = subprocess.run(
            isolated_command(python, "-c", code, *args),
            check=False,
            cwd=task_root,
            env=environ,
            capture_output=True,
            text=True,
            timeout=900,
        )
    finally:
        remove_tree(home)
        remove_tree(writable)
    if done.returncode != 0:
        raise RuntimeError(f"benchmark child failed:\n{done.stderr[-3000:]}")
    [report] = [line[len(MARK) :] for line in done.stdout.splitlines() if line.startswith(MARK)]
    logs = [json.loads(line) for line in done.stdout.splitlines() if line.startswith('{"time"')]
    return spawned, report, logs


def spread(seconds: list[float]) -> str:
    return f"{min(seconds):6.3f} s, {statistics.median(seconds):6.3f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task-root", type=Path, help="build the task root here and keep it")
    parser.add_argument("--repeat", type=int, default=5, help="cold starts and warm runs (5)")
    args = parser.parse_args()

    task_root = args.task_root or Path(tempfile.mkdtemp(prefix="bench-task-root-"))
    built = time.perf_counter()
    if not (task_root / "lambda_handler.py").is_file():
        task_root.mkdir(parents=True, exist_ok=True)
        build_task_root(task_root)
        print(f"built the task root in {time.perf_counter() - built:.0f} s: {task_root}")
    for name in REAL_ACCOUNT_VARIABLES:
        os.environ.pop(name, None)
    os.environ.update(DUMMY_CREDENTIALS)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's request log
    moto = start_moto()
    try:
        measure(task_root, moto.endpoint_url, moto.new_bucket(), args.repeat)
    finally:
        moto.server.stop()
        if args.task_root is None:
            remove_tree(task_root)


def measure(task_root: Path, endpoint_url: str, bucket: str, repeat: int) -> None:
    me = User(os.getuid(), os.getgid(), switch=False)
    python = interpreter_for(me, task_root)
    if python is None:
        raise SystemExit(f"no Python of this version can read {task_root}")
    child = (python, task_root, endpoint_url, bucket)
    total, files, largest = staged_size(task_root)
    print(f"staged task root: {total:.0f} MB in {files:,} files ({python}, -S)")
    print("  largest: " + ", ".join(f"{name} {size:.0f} MB" for name, size in largest))

    bare, cold, init = [], [], []
    for _ in range(repeat):
        spawned, report, _ = run_child(*child, BASELINE_CHILD)
        bare.append(float(report) - spawned)
        spawned, report, logs = run_child(*child, IMPORT_CHILD)
        imported = json.loads(report)
        cold.append(imported["done"] - spawned)
        [start] = [line for line in logs if line["message"] == "cold start done"]
        init.append(start["init_seconds"])
    bare_s, cold_s = min(bare), min(cold)
    print(f"cold import, {repeat} fresh processes (min, median; ratios of the minima):")
    print(f"  bare interpreter start      {spread(bare)}")
    print(f"  spawn to handler imported   {spread(cold)}  ({cold_s / bare_s:.0f}x the bare start)")
    print(f"  handler's own init_seconds  {spread(init)}")
    print(f"  peak RSS after import       {imported['rss_mb']:6.0f} MB")

    steps = [("day, first invocation", {"partition": DAY}, False)]
    for _ in range(repeat):
        steps += [("hour, warm", HOUR_EVENT, False), ("day, warm", {"partition": DAY}, False)]
    steps += [("hour, traced", HOUR_EVENT, True), ("day, traced", {"partition": DAY}, True)]
    _, report, _ = run_child(*child, INVOKE_CHILD, json.dumps(steps))
    results = json.loads(report)
    by_label: dict[str, list[dict]] = {}
    for result in results[1:]:
        by_label.setdefault(result["label"], []).append(result)
    first = by_label["day, first invocation"][0]
    hours = [r["seconds"] for r in by_label["hour, warm"]]
    days = [r["seconds"] for r in by_label["day, warm"]]
    hour, day = min(hours), min(days)
    [hour_traced], [day_traced] = by_label["hour, traced"], by_label["day, traced"]
    print(f"invocations in one process ({repeat} warm runs each: min, median):")
    print(
        f"  day {DAY}, first   {first['seconds']:6.2f} s  ({first['hours']} order hours, "
        f"{first['orders']:,} orders; one run)"
    )
    print(f"  day, warm            {spread(days)}  (first / warm = {first['seconds'] / day:.2f})")
    print(
        f"  hour, warm           {spread(hours)}  ({hour_traced['hours']} order hour, "
        f"{hour_traced['days']} days merged and analysed; day / hour = {day / hour:.1f})"
    )
    print(f"  cold import / warm hour = {cold_s / hour:.2f}")
    rss = [results[0]["rss_mb"], first["rss_mb"], by_label["day, warm"][-1]["rss_mb"]]
    print(
        f"peak RSS: {rss[0]:.0f} MB after import, {rss[1]:.0f} MB after the first day, "
        f"{rss[2]:.0f} MB after the warm runs (first day / import = {rss[1] / rss[0]:.2f})"
    )
    print(
        f"tracemalloc peak during one invocation: hour {hour_traced['traced_peak_mb']:.0f} MB, "
        f"day {day_traced['traced_peak_mb']:.0f} MB"
    )


if __name__ == "__main__":
    main()
