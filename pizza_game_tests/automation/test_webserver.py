"""The code location in the Dagster webserver: every asset, check, job, schedule and sensor loads.

Starts `dagster-webserver` on a free loopback port against workspace.yaml, with DAGSTER_HOME in a
temporary folder (telemetry off), and asks its GraphQL API.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from pizza_game_tests.automation.conftest import OUTSIDE_WORLD
from pizza_game_tests.test_definitions import ASSETS

REPO = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 90
QUERY = """
{
  repositoriesOrError {
    ... on RepositoryConnection {
      nodes {
        name
        location { name }
        jobs { name }
        schedules { name cronSchedule executionTimezone }
        sensors { name sensorType }
        assetNodes { assetKey { path } assetChecksOrError { ... on AssetChecks { checks { name } } } }
      }
    }
    ... on PythonError { message }
  }
}
"""


def stop_session(server: subprocess.Popen, timeout: float) -> None:
    """SIGTERM to the server's whole session (webserver, daemon, code servers), SIGKILL after ``timeout``."""
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def graphql(url: str, query: str) -> dict:
    request = urllib.request.Request(
        f"{url}/graphql", data=json.dumps({"query": query}).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture
def webserver(tmp_path: Path) -> Iterator[str]:
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {k: v for k, v in os.environ.items() if k not in OUTSIDE_WORLD}
    env |= {"DAGSTER_HOME": str(home), "PIZZA_GAME_DATA_DIR": str(tmp_path / "data")}
    port = free_port()
    log = (tmp_path / "webserver.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "dagster_webserver", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if server.poll() is not None:
                pytest.fail(f"dagster-webserver exited with {server.returncode}: {(tmp_path / 'webserver.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{url}/server_info", timeout=2):
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    pytest.fail(f"dagster-webserver did not answer within {STARTUP_SECONDS} s")
                time.sleep(0.5)
        yield url
    finally:
        # The server and the code server it started share the session started above.
        stop_session(server, timeout=20)
        log.close()


def test_the_ui_loads_every_asset_check_job_schedule_and_sensor(webserver: str) -> None:
    answer = graphql(webserver, QUERY)
    (repository,) = answer["data"]["repositoriesOrError"]["nodes"]
    assert repository["location"]["name"] == "pizza_game"

    assets = {"/".join(node["assetKey"]["path"]): node for node in repository["assetNodes"]}
    assert set(assets) == ASSETS
    checks = {name: {c["name"] for c in node["assetChecksOrError"]["checks"]} for name, node in assets.items()}
    assert checks["raw_orders"] == {"schema", "unique_order_ids", "typical_volume", "real_share", "orders_fresh"}
    assert checks["quicksight_manifest"] == {"manifest_valid", "published_recently"}

    assert {"orders_job", "analysis_job", "freshness_job"} <= {job["name"] for job in repository["jobs"]}
    schedules = {s["name"]: s for s in repository["schedules"]}
    assert schedules["hourly_schedule"]["cronSchedule"] == "0 * * * *"
    assert schedules["hourly_schedule"]["executionTimezone"] == "UTC"
    assert "freshness_schedule" in schedules
    sensors = {s["name"]: s["sensorType"] for s in repository["sensors"]}
    assert sensors == {"analysis_after_orders": "STANDARD", "import_sensor": "STANDARD"}
