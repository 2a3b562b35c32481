"""The CLI's event log keeps one engine per SQLite file, on Dagster's own files and tables.

pizza_game/event_log.py replaces only how connections are made: a stock Dagster instance (the UI's)
reads what it wrote, and a dagster.yaml that chooses its own storage is left alone.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import dagster as dg
import pytest
import yaml

from pizza_game import event_log
from pizza_game.event_log import SqliteEventLog, instance_at

PARTITIONS = dg.StaticPartitionsDefinition([f"p{i:02d}" for i in range(12)])


@dg.asset(partitions_def=PARTITIONS)
def numbered() -> None:
    pass


def materialize_each(instance: dg.DagsterInstance) -> None:
    for key in PARTITIONS.get_partition_keys():
        assert dg.materialize([numbered], instance=instance, partition_key=key).success


def test_engines_are_made_once_per_file_not_once_per_event(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[str] = []
    real = event_log.create_engine

    def counting(url: str, **kwargs: object) -> object:
        made.append(url)
        return real(url, **kwargs)

    monkeypatch.setattr(event_log, "create_engine", counting)
    instance = instance_at(tmp_path)
    assert isinstance(instance.event_log_storage, SqliteEventLog)
    materialize_each(instance)
    # 12 runs, each with its own file, plus the index: one engine each, whatever the events.
    assert len(made) == len(set(made)) == 13


def test_a_stock_dagster_instance_reads_what_it_wrote(tmp_path: Path) -> None:
    materialize_each(instance_at(tmp_path))
    stock = dg.DagsterInstance.from_config(str(tmp_path))
    assert type(stock.event_log_storage) is not SqliteEventLog
    assert len(stock.get_runs()) == 12
    assert stock.get_materialized_partitions(dg.AssetKey("numbered")) == set(PARTITIONS.get_partition_keys())
    # And the other way round: the CLI's instance reads what the stock one adds.
    assert dg.materialize([numbered], instance=stock, partition_key="p00").success
    assert len(instance_at(tmp_path).get_runs()) == 13


def test_a_dagster_yaml_choosing_its_storage_is_used_as_configured(tmp_path: Path) -> None:
    folder = tmp_path / "elsewhere"
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump({"storage": {"sqlite": {"base_dir": str(folder)}}}))
    instance = instance_at(tmp_path)
    assert type(instance.event_log_storage) is not SqliteEventLog
    materialize_each(instance)
    assert (folder / "history" / "runs" / "index.db").is_file()


# A single-run range of hours, as raw_orders': Dagster hands its materializations and planned
# events over in batches, and its planned check evaluation holds the range (a row per hour).
HOURS = dg.HourlyPartitionsDefinition(start_date="2025-01-01-00:00", end_date="2025-01-01-12:00")


@dg.asset(
    partitions_def=HOURS,
    backfill_policy=dg.BackfillPolicy.single_run(),
    check_specs=[dg.AssetCheckSpec("counted", asset="ranged")],
)
def ranged(context):  # unannotated: with postponed annotations Dagster would read a string
    return dg.MaterializeResult(
        metadata={"partitions": len(context.partition_keys)},
        check_results=[dg.AssetCheckResult(check_name="counted", passed=True)],
    )


RANGE = {"dagster/asset_partition_range_start": "2025-01-01-00:00", "dagster/asset_partition_range_end": "2025-01-01-11:00"}
EVENT_COLUMNS = "dagster_event_type, step_key, asset_key, partition"


def rows(database: Path, query: str) -> list[tuple]:
    with sqlite3.connect(database) as conn:
        return conn.execute(query).fetchall()


def stored_tables(home: Path) -> dict[str, list[tuple]]:
    """What the event log holds, without what differs between two runs (ids, run ids, times): the
    events of the run's file and of the index in order, the tags (their names: a data version is
    made from the run id) and check rows with the event they
    point at, and the asset's latest state."""
    runs = home / "history" / "runs"
    index = runs / "index.db"
    (run_file,) = [p for p in runs.glob("*.db") if p != index]
    of_event = "(SELECT dagster_event_type || ' ' || IFNULL(partition, '') FROM event_logs e WHERE e.id = {})"
    return {
        "run events": rows(run_file, f"SELECT {EVENT_COLUMNS} FROM event_logs ORDER BY id"),
        "index events": rows(index, f"SELECT {EVENT_COLUMNS} FROM event_logs ORDER BY id"),
        "tags": rows(index, f"SELECT asset_key, key, {of_event.format('event_id')} FROM asset_event_tags ORDER BY id"),
        "checks": rows(
            index,
            "SELECT asset_key, check_name, partition, execution_status, "
            f"{of_event.format('evaluation_event_storage_id')} FROM asset_check_executions ORDER BY id",
        ),
        "latest": rows(index, "SELECT asset_key, last_materialization IS NOT NULL, last_run_id IS NOT NULL FROM asset_keys"),
    }


def test_a_batch_is_stored_as_dagsters_storage_stores_its_events_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", "5")  # batches of 5, 5 and 2 materializations
    # As the CLI sets it: a planned check evaluation holds the range, and becomes a row per partition.
    monkeypatch.setenv("DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS", "true")
    batched = []
    real = SqliteEventLog.store_event_batch

    def counting(self: SqliteEventLog, events: list) -> None:
        batched.append(len(events))
        real(self, events)

    monkeypatch.setattr(SqliteEventLog, "store_event_batch", counting)
    ours, stock_home = tmp_path / "ours", tmp_path / "stock"
    ours.mkdir()
    stock_home.mkdir()
    assert dg.materialize([ranged], instance=instance_at(ours), tags=RANGE).success
    stock = dg.DagsterInstance.from_config(str(stock_home))
    assert type(stock.event_log_storage) is not SqliteEventLog
    assert dg.materialize([ranged], instance=stock, tags=RANGE).success
    assert batched.count(5) >= 2, batched  # the materializations did come in batches
    expected, stored = stored_tables(stock_home), stored_tables(ours)
    assert len(expected["index events"]) > 12 and [r[3] for r in expected["checks"]].count("PLANNED") == 12
    for table in expected:
        assert stored[table] == expected[table], table
    mine = instance_at(ours)
    assert mine.get_materialized_partitions(dg.AssetKey("ranged")) == set(HOURS.get_partition_keys())
    # The asset's row holds the last materialization of the range.
    (record,) = mine.get_asset_records([dg.AssetKey("ranged")])
    latest = record.asset_entry.last_materialization_record
    assert latest is not None and latest.event_log_entry.dagster_event is not None
    assert latest.event_log_entry.dagster_event.partition == "2025-01-01-11:00"


def test_runs_of_the_cli_batch_their_events_and_nothing_else_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(event_log.BATCH_SIZE_VARIABLE, raising=False)
    seen: list[str | None] = []
    with event_log.batched_events(instance_at(tmp_path)):
        seen.append(os.environ.get(event_log.BATCH_SIZE_VARIABLE))
    with event_log.batched_events(dg.DagsterInstance.ephemeral()):  # not our event log
        seen.append(os.environ.get(event_log.BATCH_SIZE_VARIABLE))
    # Set only inside the block: a process that later starts the UI does not hand it on.
    assert seen == [event_log.BATCH_SIZE, None]
    assert event_log.BATCH_SIZE_VARIABLE not in os.environ
    monkeypatch.setenv(event_log.BATCH_SIZE_VARIABLE, "7")  # a value set outside wins
    with event_log.batched_events(instance_at(tmp_path)):
        assert os.environ[event_log.BATCH_SIZE_VARIABLE] == "7"


def test_the_runner_hands_the_cli_event_log_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pandas as pd

    from pizza_game.definitions import make_definitions
    from pizza_game.runner import run_pipeline

    monkeypatch.delenv(event_log.BATCH_SIZE_VARIABLE, raising=False)
    batches: list[int] = []
    real = SqliteEventLog.store_event_batch

    def counting(self: SqliteEventLog, events: list) -> None:
        batches.append(len(events))
        real(self, events)

    monkeypatch.setattr(SqliteEventLog, "store_event_batch", counting)
    (tmp_path / "home").mkdir()
    instance = instance_at(tmp_path / "home")
    start = pd.Timestamp("2024-10-05", tz="UTC")
    defs = make_definitions(data_dir=str(tmp_path / "data"), seed=1)
    run_pipeline(start, start + pd.Timedelta(days=1), defs=defs, instance=instance, log_level="ERROR")
    # The day's 24 hourly materializations of raw_orders went over as one batch at least.
    assert max(batches, default=0) >= 24, batches
    assert event_log.BATCH_SIZE_VARIABLE not in os.environ
