"""The CLI's event log keeps one engine per SQLite file, on Dagster's own files and tables.

pizza_game/event_log.py replaces only how connections are made: a stock Dagster instance (the UI's)
reads what it wrote, and a dagster.yaml that chooses its own storage is left alone.
"""

from __future__ import annotations

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
