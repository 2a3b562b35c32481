"""One instance for the CLI and the UI: `pizza-game run` leaves its runs where `pizza-game ui` looks."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa
import yaml
from dagster._core.instance.ref import InstanceRef

from pizza_game import event_log
from pizza_game import instance as instance_module
from pizza_game.cli import main
from pizza_game.event_log import SqliteEventLog, instance_at, instance_ref, stores_batches
from pizza_game.instance import (
    DAGSTER_SETTINGS,
    EVENT_LOG_CLASS,
    INSTANCE_SETTINGS,
    STATE_FOLDER,
    WRITTEN_FROM_CHECKOUT,
    dagster_environment,
    default_instance,
    history_runs,
    home_settings,
    instance_home,
    prepare_home,
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
    assert yaml.safe_load((REPO / "dagster.yaml").read_text()) == INSTANCE_SETTINGS
    assert (event_log.__name__, SqliteEventLog.__name__) == EVENT_LOG_CLASS


@dg.asset
def one() -> int:
    return 1


def test_the_uis_processes_build_the_clis_event_log_from_the_homes_dagster_yaml(
    checkout: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = prepare_home(checkout / STATE_FOLDER)
    runs_folder = str(history_runs(home))
    written = yaml.safe_load((home / "dagster.yaml").read_text())
    assert written == home_settings(INSTANCE_SETTINGS, home)
    assert written["event_log_storage"]["config"] == {"base_dir": runs_folder}
    assert stores_batches(home)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    # As the webserver, the daemon and a run's process build theirs: from DAGSTER_HOME's file alone.
    with dg.DagsterInstance.get() as ui:
        assert type(ui.event_log_storage) is SqliteEventLog
        assert ui.event_log_storage._base_dir == runs_folder
        assert dg.materialize([one], instance=ui).success
        run_id = ui.get_runs(limit=1)[0].run_id
        # Its events commit without fsync too, as the CLI's do (the UI's runs commit each event).
        with ui.event_log_storage.run_connection(run_id) as conn:
            assert conn.execute(sa.text("PRAGMA synchronous")).scalar() == 0
    # The CLI's instance is on the same files: it sees the UI's run and its materialization.
    with instance_at(home) as cli:
        assert type(cli.event_log_storage) is SqliteEventLog
        assert [r.run_id for r in cli.get_runs()] == [run_id]
        latest = cli.get_latest_materialization_event(dg.AssetKey("one"))
        assert latest is not None and latest.run_id == run_id


def test_the_homes_dagster_yaml_follows_the_checkouts_and_replaces_an_older_link(checkout: Path) -> None:
    home = checkout / STATE_FOLDER
    home.mkdir()
    (home / "dagster.yaml").symlink_to(Path("..") / "dagster.yaml")  # as an earlier version made it
    prepare_home(home)
    assert not (home / "dagster.yaml").is_symlink()
    assert (home / "dagster.yaml").read_text().startswith(WRITTEN_FROM_CHECKOUT)
    settings = yaml.safe_load((checkout / "dagster.yaml").read_text())
    (checkout / "dagster.yaml").write_text(yaml.safe_dump({**settings, "telemetry": {"enabled": True}}))
    prepare_home(home)
    assert yaml.safe_load((home / "dagster.yaml").read_text())["telemetry"] == {"enabled": True}
    assert stores_batches(home)


def test_dagster_dev_without_dagster_home_reads_the_checkouts_file_with_dagsters_own_event_log(
    checkout: Path, tmp_path: Path
) -> None:
    # `dagster dev` or `dg dev` started by hand without DAGSTER_HOME: a temporary instance,
    # configured by the current directory's dagster.yaml (dagster._cli.utils).
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(tmp_path / "temporary"), config_dir=str(checkout))) as instance:
        assert type(instance.event_log_storage).__name__ == "SqliteEventLogStorage"


def test_a_home_that_chooses_its_storage_keeps_it_and_an_older_home_batches_only_in_the_cli(tmp_path: Path) -> None:
    older = tmp_path / "older"
    older.mkdir()
    (older / "dagster.yaml").write_text(yaml.safe_dump(INSTANCE_SETTINGS))
    assert not stores_batches(older)
    assert _event_log_class(older) == "SqliteEventLog"  # the CLI's, as before
    # What an earlier version wrote for a new home gets the event log; the user's own file does not.
    (older / "dagster.yaml").write_text(yaml.safe_dump(INSTANCE_SETTINGS, sort_keys=False))
    prepare_home(older)
    assert yaml.safe_load((older / "dagster.yaml").read_text()) == home_settings(INSTANCE_SETTINGS, older)
    assert stores_batches(older)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "dagster.yaml").write_text("# mine\n" + yaml.safe_dump(INSTANCE_SETTINGS, sort_keys=False))
    prepare_home(mine)
    assert (mine / "dagster.yaml").read_text().startswith("# mine") and not stores_batches(mine)
    own = tmp_path / "own"
    own.mkdir()
    stock = {"module": "dagster._core.storage.event_log", "class": "SqliteEventLogStorage", "config": {"base_dir": str(own / "events")}}
    (own / "dagster.yaml").write_text(yaml.safe_dump({**INSTANCE_SETTINGS, "event_log_storage": stock}))
    assert home_settings(yaml.safe_load((own / "dagster.yaml").read_text()), own)["event_log_storage"] == stock
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
    checkout: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    assert main(["run", "--start", "2024-10-07", "--end", "2024-10-07", "--data-dir", str(data), "--quiet"]) == 0

    home = checkout / STATE_FOLDER
    assert yaml.safe_load((home / "dagster.yaml").read_text()) == home_settings(INSTANCE_SETTINGS, home)
    assert str(home) in capsys.readouterr().out
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
