"""One instance for the CLI and the UI: `pizza-game run` leaves its runs where `pizza-game ui` looks."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa
import yaml

from pizza_game import event_log
from pizza_game import instance as instance_module
from pizza_game.cli import main
from pizza_game.event_log import SqliteEventLog, instance_at, instance_ref, stores_batches
from pizza_game.instance import (
    DAGSTER_SETTINGS,
    EVENT_LOG_STORAGE,
    HOME_SETTINGS,
    INSTANCE_SETTINGS,
    STATE_FOLDER,
    dagster_environment,
    default_instance,
    instance_home,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A checkout's instance files in a temporary folder, standing in for the repository's."""
    root = tmp_path / "checkout"
    root.mkdir()
    for name in ("dagster.yaml", "workspace.yaml"):
        shutil.copy(REPO / name, root / name)
    monkeypatch.setattr(instance_module, "CHECKOUT", root)
    monkeypatch.delenv("DAGSTER_HOME")
    return root


def test_the_repositorys_dagster_yaml_says_what_installed_copies_get() -> None:
    assert yaml.safe_load((REPO / "dagster.yaml").read_text()) == HOME_SETTINGS
    assert HOME_SETTINGS == {**INSTANCE_SETTINGS, "event_log_storage": EVENT_LOG_STORAGE}
    assert (EVENT_LOG_STORAGE["module"], EVENT_LOG_STORAGE["class"]) == (event_log.__name__, SqliteEventLog.__name__)


@dg.asset
def one() -> int:
    return 1


def test_the_uis_processes_build_the_clis_event_log_from_dagster_yaml(
    checkout: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(checkout / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    # As the webserver, the daemon and a run's process build theirs: from DAGSTER_HOME's file alone.
    with dg.DagsterInstance.get() as ui:
        assert type(ui.event_log_storage) is SqliteEventLog
        assert dg.materialize([one], instance=ui).success
        run_id = ui.get_runs(limit=1)[0].run_id
        # Its events commit without fsync too, as the CLI's do (the UI's runs commit each event).
        with ui.event_log_storage.run_connection(run_id) as conn:
            assert conn.execute(sa.text("PRAGMA synchronous")).scalar() == 0
    assert stores_batches(home)
    # The CLI's instance is on the same files: it sees the UI's run and its materialization.
    with instance_at(home) as cli:
        assert type(cli.event_log_storage) is SqliteEventLog
        assert [r.run_id for r in cli.get_runs()] == [run_id]
        latest = cli.get_latest_materialization_event(dg.AssetKey("one"))
        assert latest is not None and latest.run_id == run_id
    monkeypatch.delenv("DAGSTER_HOME")
    with pytest.raises(dg.DagsterInvariantViolationError, match="without a base_dir needs DAGSTER_HOME"):
        dg.DagsterInstance.from_config(str(home))


def test_a_home_that_chooses_its_storage_keeps_it_and_an_older_home_batches_only_in_the_cli(tmp_path: Path) -> None:
    older = tmp_path / "older"
    older.mkdir()
    (older / "dagster.yaml").write_text(yaml.safe_dump(INSTANCE_SETTINGS))
    assert not stores_batches(older)
    assert _event_log_class(older) == "SqliteEventLog"  # the CLI's, as before
    own = tmp_path / "own"
    own.mkdir()
    stock = {"module": "dagster._core.storage.event_log", "class": "SqliteEventLogStorage", "config": {"base_dir": str(own / "events")}}
    (own / "dagster.yaml").write_text(yaml.safe_dump({**HOME_SETTINGS, "event_log_storage": stock}))
    assert not stores_batches(own)
    assert _event_log_class(own) == "SqliteEventLogStorage"


def _event_log_class(home: Path) -> str:
    data = instance_ref(home).event_storage_data
    assert data is not None
    return data.class_name


def test_the_home_is_dagster_home_else_the_checkouts_state_folder_else_one_in_the_users_home(
    checkout: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert instance_home({"DAGSTER_HOME": str(tmp_path / "mine")}) == tmp_path / "mine"
    assert instance_home({}) == checkout / STATE_FOLDER
    (checkout / "workspace.yaml").unlink()
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    assert instance_home({}) == tmp_path / "user" / ".pizza-game" / "dagster"


def test_a_cli_run_is_in_the_default_instance_with_its_materializations(
    checkout: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    assert main(["run", "--start", "2024-10-07", "--end", "2024-10-07", "--data-dir", str(data), "--quiet"]) == 0

    home = checkout / STATE_FOLDER
    assert (home / "dagster.yaml").resolve() == (checkout / "dagster.yaml").resolve()
    assert str(home) in capsys.readouterr().out
    monkeypatch.setenv("DAGSTER_HOME", str(home))  # as `pizza-game ui` gives the UI's processes
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs()
        assert sorted(run.job_name for run in runs) == ["analysis_job", "orders_job"]
        assert all(run.status == dg.DagsterRunStatus.SUCCESS for run in runs)
        orders = instance.fetch_materializations(dg.AssetKey("raw_orders"), limit=1000).records
        # The day itself and the hours its match windows reach into on either side.
        assert {r.partition_key for r in orders} >= {f"2024-10-07-{h:02d}:00" for h in range(24)}
        for key in ("merged_dataset", "correlation_summary", "quicksight_manifest", "dashboard_report"):
            (latest,) = instance.fetch_materializations(dg.AssetKey(key), limit=1).records
            assert latest.run_id in {run.run_id for run in runs}
        checks = instance.event_log_storage.get_asset_check_execution_history(
            dg.AssetCheckKey(dg.AssetKey("raw_orders"), "schema"), limit=1
        )
        assert checks and checks[0].run_id in {run.run_id for run in runs}


def test_ephemeral_instance_keeps_nothing(checkout: Path, tmp_path: Path) -> None:
    args = ["--start", "2024-10-07", "--end", "2024-10-07", "--data-dir", str(tmp_path / "data"), "--quiet"]
    assert main(["run", *args, "--ephemeral-instance"]) == 0
    assert not (checkout / STATE_FOLDER).exists()


def test_the_cli_and_the_ui_get_one_planned_event_per_asset_for_a_range_run(
    checkout: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS"
    assert {name: "true"} == DAGSTER_SETTINGS
    monkeypatch.setenv(name, "")
    monkeypatch.delenv(name)
    # `pizza-game ui` gives dg dev (webserver and daemon) this environment; a value set wins.
    assert dagster_environment({"PATH": "/bin"}) == {"PATH": "/bin", name: "true"}
    assert dagster_environment({name: "false"})[name] == "false"
    # The CLI (and Lambda) open the instance through default_instance.
    with default_instance() as instance:
        assert instance.event_log_storage.supports_partition_subset_in_asset_materialization_planned_events
    monkeypatch.setenv(name, "false")
    with default_instance() as instance:
        assert not instance.event_log_storage.supports_partition_subset_in_asset_materialization_planned_events


def test_the_history_is_written_without_fsync_and_other_sqlite_files_are_not(checkout: Path, tmp_path: Path) -> None:
    with default_instance() as instance, instance.event_log_storage.index_connection() as conn:  # type: ignore[attr-defined]
        assert conn.execute(sa.text("PRAGMA synchronous")).scalar() == 0  # OFF
    elsewhere = sa.create_engine(f"sqlite:///{tmp_path / 'other.db'}")
    with elsewhere.connect() as conn:
        assert conn.execute(sa.text("PRAGMA synchronous")).scalar() == 2  # SQLite's default, FULL
    elsewhere.dispose()
