"""`pizza-game ui` (what `make ui` runs) as a user starts it: `dg dev` with the pinned Dagster,
webserver and daemon, on a loopback port, with the checkout's code location loaded."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from pizza_game.event_log import BATCH_SIZE, BATCH_SIZE_VARIABLE
from pizza_game.instance import INSTANCE_SETTINGS, home_settings
from pizza_game_tests.automation.conftest import OUTSIDE_WORLD
from pizza_game_tests.automation.test_webserver import free_port, graphql, stop_session
from pizza_game_tests.test_definitions import ASSETS

STARTUP_SECONDS = 150
QUERY = """
{
  workspaceOrError { ... on Workspace { locationEntries { name loadStatus
    locationOrLoadError { __typename ... on RepositoryLocation { repositories { assetNodes { assetKey { path } } } }
                         ... on PythonError { message } } } } }
  instance { daemonHealth { allDaemonStatuses { daemonType healthy } } }
}
"""


def wait_for(what: str, check, server: subprocess.Popen, log: Path) -> object:
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        if server.poll() is not None:
            pytest.fail(f"pizza-game ui exited with {server.returncode}: {log.read_text()[-3000:]}")
        try:
            found = check()
            if found:
                return found
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"waited {STARTUP_SECONDS} s for {what}; pizza-game ui said: {log.read_text()[-3000:]}")
        time.sleep(1)


@pytest.mark.slow
def test_pizza_game_ui_starts_dg_dev_with_the_webserver_the_daemon_and_the_assets(tmp_path: Path) -> None:
    home = tmp_path / "dagster_home"
    env = {k: v for k, v in os.environ.items() if k not in OUTSIDE_WORLD}
    env |= {"DAGSTER_HOME": str(home), "PIZZA_GAME_DATA_DIR": str(tmp_path / "data")}
    port = free_port()
    log = tmp_path / "ui.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "pizza_game.cli", "ui", "-h", "127.0.0.1", "-p", str(port)],
            cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        def loaded() -> dict | None:
            answer = graphql(url, QUERY)["data"]
            daemons = answer["instance"]["daemonHealth"]["allDaemonStatuses"]
            entries = answer["workspaceOrError"]["locationEntries"]
            if entries and entries[0]["loadStatus"] == "LOADED" and any(d["healthy"] for d in daemons):
                return answer
            return None

        answer = wait_for("the code location and the daemon", loaded, server, log)
        assert isinstance(answer, dict)
        (entry,) = answer["workspaceOrError"]["locationEntries"]
        assert entry["name"] == "pizza_game"
        location = entry["locationOrLoadError"]
        assert location["__typename"] == "RepositoryLocation", location
        (repository,) = location["repositories"]
        assert {"/".join(node["assetKey"]["path"]) for node in repository["assetNodes"]} == ASSETS
        daemons = {d["daemonType"]: d["healthy"] for d in answer["instance"]["daemonHealth"]["allDaemonStatuses"]}
        assert daemons.get("SENSOR") and daemons.get("SCHEDULER"), daemons
        # The process pizza-game ui became (it execs): dg dev, not dagster dev.
        command = Path(f"/proc/{server.pid}/cmdline").read_bytes().split(b"\0")
        assert Path(command[1].decode()).name == "dg" and command[2] == b"dev", command
        # Its home's dagster.yaml (written by pizza-game ui) names the CLI's event log, so its
        # processes are also given the CLI's event batches.
        assert yaml.safe_load((home / "dagster.yaml").read_text()) == home_settings(INSTANCE_SETTINGS, home)
        environment = dict(v.split(b"=", 1) for v in Path(f"/proc/{server.pid}/environ").read_bytes().split(b"\0") if v)
        assert environment[BATCH_SIZE_VARIABLE.encode()] == BATCH_SIZE.encode()
    finally:
        # dg dev, its webserver, daemon and code servers share the session started above.
        stop_session(server, timeout=30)
