"""The Lambda handler end to end, from a read-only install, as an unprivileged user, against S3.

The task root is built once for this module: ``pip install --target`` of the repository (not
editable) plus lambda_handler.py beside it, as deploy/Dockerfile builds
/var/task, then made read-only. Each test runs the handler in a child process that imports from
that directory only (``python -S``, PYTHONPATH set to it), runs as nobody when the tests run as
root, has an unwritable HOME and one private writable directory (PIZZA_GAME_WRITABLE_DIR, /tmp in
Lambda), and talks to the moto server over HTTP on 127.0.0.1. One test calls ``handler`` directly;
the other runs ``python -m awslambdaric lambda_handler.handler`` against a small Runtime API.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
import pytest

from pizza_game.quicksight.datasets import DATASETS
from pizza_game.quicksight.manifest import validate_manifest
from pizza_game.quicksight.publish import manifest_key
from pizza_game.report.pages import plotly_bundle_object
from pizza_game.resources.analysis_settings import AnalysisSettings
from pizza_game.storage import layout
from pizza_game_tests.deploy.emf import emf_errors
from pizza_game_tests.deploy.runtime_api import FakeRuntimeApi
from pizza_game_tests.deploy.task_root import (
    User,
    build_task_root,
    interpreter_for,
    isolated_command,
    lambda_environ,
    make_read_only,
    pip_install_target,
    remove_tree,
    tree_state,
    unprivileged_user,
)
from pizza_game_tests.layout_check import KEY_FAMILIES, families
from pizza_game_tests.s3_server import DUMMY_CREDENTIALS, REGION, MotoS3

# The runtime interface client the AWS Lambda Python base images carry in /var/runtime.
AWSLAMBDARIC = "awslambdaric==4.2.2"
DAY = "2024-10-07"
# An EventBridge scheduled event of the hourly rule: it asks for the hour 2024-10-08 00:00-01:00.
SCHEDULED_EVENT = {
    "version": "0",
    "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": "123456789012",
    "time": "2024-10-08T01:00:00Z",
    "region": REGION,
    "resources": ["arn:aws:events:us-east-1:123456789012:rule/pizza-game-hourly"],
    "detail": {},
}
SECRET = "e2e-d0m1n05-k3y-v4lu3"
CHILD_TIMEOUT = 600
# Longer than one invocation may take (lambda_budget.MAX_DAYS): refused before anything runs.
LONG_RANGE = {"start": "2024-01-01", "end": "2024-06-01"}
REPORT = "E2E-REPORT "

# Runs in the child: call the handler once per event, then report what was imported from where.
DRIVER = f"""
import contextlib, gc, json, os, sys, sysconfig
import lambda_handler
import dagster

# The import creates no Dagster instance: each invocation makes its own.
at_import = sum(isinstance(thing, dagster.DagsterInstance) for thing in gc.get_objects())

# The tags of every run, read from each invocation's instance before the handler drops it.
run_tags, instances = {{}}, []
new_instance = lambda_handler.ephemeral_instance

@contextlib.contextmanager
def recorded_instance():
    with new_instance() as instance:
        instances.append(id(instance))
        yield instance
        run_tags.update((run.run_id, run.tags) for run in instance.get_runs())

lambda_handler.ephemeral_instance = recorded_instance

# A Lambda context whose remaining time follows a script: one value per call, the last kept.
class Context:

    def __init__(self, request_id, remaining):
        self.aws_request_id = request_id
        self.remaining = remaining

    def get_remaining_time_in_millis(self):
        return self.remaining.pop(0) if len(self.remaining) > 1 else self.remaining[0]

results, errors = [], []
for request_id, event, remaining in json.loads(sys.argv[1]):
    try:
        results.append(lambda_handler.handler(event, Context(request_id, remaining)))
    except Exception as error:
        errors.append([type(error).__name__, str(error)])
import boto3, pandas, pizza_game
report = {{
    "results": results,
    "errors": errors,
    "run_tags": [run_tags[run_id] for result in results for run_id in result["run_ids"]],
    "instances": len(instances),
    "instances_at_import": at_import,
    "modules": [m.__file__ for m in (lambda_handler, pizza_game, dagster, pandas, boto3)],
    "sys_path": sys.path,
    "stdlib": [sysconfig.get_path("stdlib"), sysconfig.get_path("platstdlib")],
    "uid": os.geteuid(),
}}
print({REPORT!r} + json.dumps(report), flush=True)
"""


@dataclass(frozen=True)
class Sandbox:
    """The child's HOME (nobody may write it) and its one writable directory."""

    home: Path
    writable: Path


@pytest.fixture(scope="module")
def user() -> User:
    return unprivileged_user()


@pytest.fixture(scope="module")
def task_root() -> Iterator[Path]:
    # Not under pytest's tmp_path: that is private to the current user, and the child is nobody.
    root = Path(tempfile.mkdtemp(prefix="pizza-game-task-root-"))
    try:
        build_task_root(root)
        yield root
    finally:
        remove_tree(root)


@pytest.fixture(scope="module")
def runtime_dir() -> Iterator[Path]:
    """awslambdaric and its dependencies, read-only, standing in for the image's /var/runtime."""
    root = Path(tempfile.mkdtemp(prefix="pizza-game-runtime-"))
    try:
        pip_install_target(root, AWSLAMBDARIC)
        make_read_only(root)
        yield root
    finally:
        remove_tree(root)


@pytest.fixture(scope="module")
def python(user: User, task_root: Path) -> str:
    found = interpreter_for(user, task_root)
    if found is None:
        pytest.skip(
            f"no Python {user} can run: the interpreter behind this environment is unreadable "
            "for that user and there is none at /usr/bin or /usr/local/bin"
        )
    return found


@pytest.fixture
def sandbox(user: User) -> Iterator[Sandbox]:
    home = Path(tempfile.mkdtemp(prefix="pizza-game-home-"))
    writable = Path(tempfile.mkdtemp(prefix="pizza-game-tmp-"))
    home.chmod(0o555)
    if user.switch:
        os.chown(writable, user.uid, user.gid)
    try:
        yield Sandbox(home, writable)
    finally:
        remove_tree(home)
        remove_tree(writable)


def child_environ(
    task_root: Path, sandbox: Sandbox, moto: MotoS3, bucket: str, *python_path: Path
) -> dict[str, str]:
    return lambda_environ(
        task_root,
        home=sandbox.home,
        writable=sandbox.writable,
        endpoint_url=moto.endpoint_url,
        bucket=bucket,
        region=REGION,
        credentials=DUMMY_CREDENTIALS,
        python_path=python_path,
    )


def bucket_keys(moto: MotoS3, bucket: str) -> list[str]:
    pages = moto.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def json_lines(stdout: str) -> list[dict[str, Any]]:
    """The handler's JSON log lines among the child's output."""
    lines = []
    for line in stdout.splitlines():
        if line.startswith("{"):
            try:
                lines.append(json.loads(line))
            except ValueError:
                continue
    return lines


def expected_day_keys(day: str) -> set[str]:
    """The layout keys a ``{"partition": day}`` run writes, lineage records aside."""
    start = pd.Timestamp(day, tz="UTC")
    before, after = AnalysisSettings().windows().reach()
    hours = pd.date_range(
        start - before.ceil("h"),
        start + pd.Timedelta(days=1) + after.ceil("h"),
        freq="h",
        inclusive="left",
    )
    return {
        *(layout.raw_orders_key("mock", hour) for hour in hours),
        layout.raw_matches_key("mock", start),
        *layout.merged_keys(start).values(),
        layout.merged_columns_key(start),
        layout.correlation_results_key(start),
        layout.significant_correlations_key(start),
        layout.correlation_summary_key(start),
        layout.match_windows_key(start),
        layout.dashboard_data_key(start, "json"),
        layout.dashboard_data_key(start, "csv"),
        *(layout.dataset_key(name, start) for name in DATASETS),
        *(manifest_key(name) for name in DATASETS),
        layout.report_key(start),
        layout.REPORT_LATEST_KEY,
        plotly_bundle_object()[0],
    }


def stray_files(user: User, since: float, allowed: Path) -> list[str]:
    """Entries the child's user created in the world-writable directories, ``allowed`` aside."""
    found = []
    for shared in (Path("/tmp"), Path("/var/tmp"), Path("/dev/shm")):
        if not shared.is_dir():
            continue
        for entry in shared.iterdir():
            try:
                info = entry.lstat()
            except FileNotFoundError:
                continue
            if info.st_uid == user.uid and info.st_ctime >= since and entry != allowed:
                found.append(str(entry))
    return found


def assert_nothing_written_outside(
    user: User, sandbox: Sandbox, since: float, trees: dict[Path, dict[str, Any]]
) -> None:
    for root, before in trees.items():
        assert tree_state(root) == before, f"{root} changed"
    assert list(sandbox.home.iterdir()) == []
    if user.switch:  # only then are the child's files told apart by their owner
        assert stray_files(user, since, sandbox.writable) == []
    # The in-memory instances leave nothing behind, their artifact folders in TMPDIR included.
    assert not (sandbox.writable / "dagster-home").exists()
    assert list((sandbox.writable / "tmp").iterdir()) == []


def test_handler_from_a_read_only_install_writes_the_day_to_s3(
    python: str, user: User, task_root: Path, sandbox: Sandbox, moto_s3: MotoS3
) -> None:
    bucket = moto_s3.new_bucket()
    parameter = "/pizza-game-e2e/dominos-api-key"
    boto3.client("ssm", endpoint_url=moto_s3.endpoint_url, region_name=REGION).put_parameter(
        Name=parameter, Value=SECRET, Type="SecureString", Overwrite=True
    )
    environ = child_environ(task_root, sandbox, moto_s3, bucket)
    # Read at cold start from SSM; without DOMINOS_API_URL the orders still come from the generator.
    environ["DOMINOS_API_KEY_PARAMETER"] = parameter
    trees = {task_root: tree_state(task_root)}
    started = time.time()

    done = subprocess.run(
        isolated_command(
            python,
            "-c",
            DRIVER,
            json.dumps([["e2e-direct", {"partition": DAY}, [900_000]], ["e2e-direct", LONG_RANGE, [900_000]]]),
        ),
        check=False,
        cwd=task_root,
        env=environ,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        **user.popen_kwargs(),
    )

    assert done.returncode == 0, done.stderr[-4000:]
    [report] = [
        json.loads(line[len(REPORT) :])
        for line in done.stdout.splitlines()
        if line.startswith(REPORT)
    ]
    assert report["uid"] == user.uid
    for module in report["modules"]:
        assert Path(module).is_relative_to(task_root), module
    stdlib = [Path(path) for path in report["stdlib"]]
    for entry in map(Path, report["sys_path"]):
        # "" (the working directory, the task root), the task root, the standard library and its
        # zip beside it; no site-packages or dist-packages.
        standard = any(entry.is_relative_to(path) for path in stdlib) or (
            entry.suffix == ".zip" and entry.parent == stdlib[0].parent
        )
        assert entry == Path("") or entry.is_relative_to(task_root) or standard, entry

    [result] = report["results"]
    assert (result["complete"], result["days"], result["start"], result["end"]) == (
        True,
        1,
        f"{DAY}T00:00:00+00:00",
        "2024-10-08T00:00:00+00:00",
    )
    [summary] = result["parts"]
    assert summary["orders"] == result["orders"] > 0 and result["orders_real_share"] == 0.0
    assert all(uri.startswith(f"s3://{bucket}/") for uri in summary["outputs"].values())
    assert [tags["aws/lambda-request-id"] for tags in report["run_tags"]] == ["e2e-direct"] * 2
    # One instance for the day's invocation; the refused range ran nothing and needed none.
    assert (report["instances_at_import"], report["instances"]) == (0, 1)
    [[error_type, error]] = report["errors"]
    assert error_type == "RangeTooLong"
    assert "(152 days)" in error and "pizza-game backfill --lambda" in error

    keys = bucket_keys(moto_s3, bucket)
    grouped = families(keys)
    assert None not in grouped, grouped.get(None)
    assert set(grouped) == set(KEY_FAMILIES)
    lineage = grouped.pop("lineage")
    assert len(lineage) == 1
    assert set(keys) - set(lineage) == expected_day_keys(DAY)
    assert summary["hours"] == len(grouped["raw_orders"])

    s3 = moto_s3.client()
    for key in keys:
        head = s3.head_object(Bucket=bucket, Key=key)
        assert head["ServerSideEncryption"] == "AES256", key
        assert SECRET.encode() not in s3.get_object(Bucket=bucket, Key=key)["Body"].read(), key
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=layout.MANIFEST_KEY)["Body"].read())
    assert validate_manifest(manifest) == []
    start = pd.Timestamp(DAY, tz="UTC")
    assert [uri for location in manifest["fileLocations"] for uri in location["URIs"]] == [
        f"s3://{bucket}/{layout.dataset_key('orders_hourly', start)}"
    ]

    assert SECRET not in done.stdout and SECRET not in done.stderr
    logs = json_lines(done.stdout)
    [cold] = [line for line in logs if line["message"] == "cold start done"]
    assert cold["api_keys_from_ssm"] == ["DOMINOS_API_KEY"]
    assert Path(cold["workdir"]).is_relative_to(sandbox.writable)
    [succeeded] = [line for line in logs if line["message"] == "run succeeded"]
    assert succeeded["request_id"] == "e2e-direct"
    assert succeeded["run_ids"] == summary["run_ids"]
    [refused] = [line for line in logs if line["message"] == "run refused"]
    assert (refused["level"], refused["request_id"], refused["error"]) == ("ERROR", "e2e-direct", error)
    # One metrics line per invocation, and nothing else is EMF.
    emf = [line for line in logs if "_aws" in line]
    assert [line["message"] for line in emf] == ["run succeeded", "run refused"]
    for line in emf:
        assert emf_errors(line) == [], line
        assert (line["FunctionName"], line["RunKind"]) == ("pizza-game-pipeline", "range")
    assert succeeded["RunSuccess"] == 1 and refused["RunSuccess"] == 0
    assert succeeded["OrdersCollected"] == result["orders"]
    assert succeeded["OrdersRealShare"] == 0.0 and succeeded["ApiFallbacks"] == 0
    assert "OrdersCollected" not in refused  # nothing ran
    assert_nothing_written_outside(user, sandbox, started, trees)


def test_handler_stops_a_range_between_chunks_when_the_time_runs_out(
    python: str, user: User, task_root: Path, sandbox: Sandbox, moto_s3: MotoS3
) -> None:
    """Eight days are two chunks (7 + 1). The fake context has 85 s left for the handler's checks
    (range fits, lock, first chunk), then 10 s: the second chunk is not started, the first stands."""
    bucket = moto_s3.new_bucket()
    environ = child_environ(task_root, sandbox, moto_s3, bucket)
    event = {"start": "2024-09-01", "end": "2024-09-09"}
    done = subprocess.run(
        isolated_command(python, "-c", DRIVER, json.dumps([["e2e-short", event, [85_000, 85_000, 85_000, 10_000]]])),
        check=False,
        cwd=task_root,
        env=environ,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        **user.popen_kwargs(),
    )
    assert done.returncode == 0, done.stderr[-4000:]
    [report] = [json.loads(line[len(REPORT) :]) for line in done.stdout.splitlines() if line.startswith(REPORT)]
    [result] = report["results"]
    assert (result["complete"], result["days"], result["done_until"]) == (False, 7, "2024-09-08T00:00:00+00:00")
    assert result["remaining"] == {"start": "2024-09-08T00:00:00+00:00", "end": "2024-09-09T00:00:00+00:00"}
    [stopped] = [line for line in json_lines(done.stdout) if line.get("message") == "run stopped"]
    assert stopped["level"] == "ERROR" and stopped["request_id"] == "e2e-short"
    assert "stopped before 2024-09-08 00:00 UTC" in stopped["error"] and "10 s are left" in stopped["error"]
    assert "pizza-game backfill --lambda" in stopped["error"]
    assert emf_errors(stopped) == [] and stopped["RunSuccess"] == 0
    assert stopped["OrdersCollected"] == result["orders"] > 0
    merged_days = families(bucket_keys(moto_s3, bucket))["merged_dataset"]
    assert merged_days and not any("2024/09/08" in key for key in merged_days)


def test_awslambdaric_runs_the_image_cmd_against_the_runtime_api(
    python: str,
    user: User,
    task_root: Path,
    runtime_dir: Path,
    sandbox: Sandbox,
    moto_s3: MotoS3,
) -> None:
    bucket = moto_s3.new_bucket()
    environ = child_environ(task_root, sandbox, moto_s3, bucket, runtime_dir)
    trees = {task_root: tree_state(task_root), runtime_dir: tree_state(runtime_dir)}
    events = [("e2e-bad-event", {"partition": "last tuesday"}), ("e2e-hourly", SCHEDULED_EVENT)]
    started = time.time()

    with FakeRuntimeApi(events) as api:
        environ["AWS_LAMBDA_RUNTIME_API"] = api.address
        process = subprocess.Popen(
            isolated_command(python, "-m", "awslambdaric", "lambda_handler.handler"),
            cwd=task_root,
            env=environ,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            **user.popen_kwargs(),
        )
        deadline = time.monotonic() + CHILD_TIMEOUT
        while len(api.answers) < len(events) and process.poll() is None:
            assert time.monotonic() < deadline, "the runtime did not answer both invocations"
            api.wait_for_answers(len(events), timeout=1)
        # Between invocations the runtime waits on /next, as in Lambda, inside C code where a
        # Python SIGTERM handler (Dagster installs one) never runs: end it as Lambda does.
        running = process.poll() is None
        process.kill()
        stdout, stderr = process.communicate(timeout=60)
    assert running, f"the runtime exited with {process.returncode}:\n{stderr[-4000:]}"

    bad, hourly = api.answers
    assert (bad.request_id, bad.kind) == ("e2e-bad-event", "error")
    assert bad.json()["errorType"] == "ValueError"
    assert "'partition'" in bad.json()["errorMessage"]
    assert (hourly.request_id, hourly.kind) == ("e2e-hourly", "response"), hourly.body[:2000]
    summary = hourly.json()
    assert (summary["start"], summary["end"], summary["complete"]) == (
        "2024-10-08T00:00:00+00:00",
        "2024-10-08T01:00:00+00:00",
        True,
    )
    [part] = summary["parts"]
    assert part["hours"] == 1

    keys = bucket_keys(moto_s3, bucket)
    assert families(keys)["raw_orders"] == [
        layout.raw_orders_key("mock", pd.Timestamp("2024-10-08T00:00", tz="UTC"))
    ]
    for uri in part["outputs"].values():
        for key in uri.replace(f"s3://{bucket}/", "").split(" … "):
            assert key in keys, key
    assert layout.MANIFEST_KEY in keys

    logs = json_lines(stdout)
    assert [(line["message"], line.get("request_id")) for line in logs if "request_id" in line] == [
        ("bad event", "e2e-bad-event"),
        ("run started", "e2e-hourly"),
        ("run succeeded", "e2e-hourly"),
    ]
    emf = [line for line in logs if "_aws" in line]
    assert [(line["message"], line["RunKind"], line["RunSuccess"]) for line in emf] == [
        ("bad event", "range", 0),
        ("run succeeded", "hourly", 1),
    ]
    assert all(emf_errors(line) == [] for line in emf)
    assert_nothing_written_outside(user, sandbox, started, trees)
