"""Dagster's SQLite event log, with one SQLAlchemy engine per database file instead of one per event.

Dagster's ``SqliteEventLogStorage`` builds a new engine for every connection it opens: three per
materialization (the run's file, the index, a ``has_table`` check). An engine holds SQLAlchemy's
compiled-statement cache, so every statement is compiled again, every time: in a 5-month
`pizza-game run` (4,121 events) 13.9 s of 73 s went to compiling, 3.4 s to ``has_table``, and
engine set-up to most of the rest of the 40 s of event storage. This subclass keeps each file's
engine for the life of the storage. The pool stays ``NullPool``, as Dagster chose it: a connection is
still opened and closed per operation, so no file stays open or locked between events and every
process (the CLI, the UI's webserver, its daemon and the runs they launch) reads and writes the
same files as before. The files and tables are Dagster's own. The CLI's process uses the subclass
(``instance_ref``); the UI's processes do when the home's dagster.yaml names it, as Dagster builds
their instance from that file alone (the one ``instance.prepare_home`` writes does). Its
connections commit without fsync in every process (the CLI's whole history does, instance.py says
why), where each of the UI's runs committed, and waited for the disk, once per event
(``benchmarks/event_log.py`` times the three ways).

It also writes a batch of events in one statement per file (``store_event_batch``), where Dagster's
SQLite storage stores them one by one, four connections and a dozen statements per event: 3,624
hourly partitions made the event log more than half of a 5-month run. The rows are the ones
Dagster writes event by event (a test compares every table): the events in both files in order,
their tags, the asset's latest state from its latest event, and a planned check's rows. Dagster
hands over a batch when ``DAGSTER_EVENT_BATCH_SIZE`` is set, which ``batched_events`` does while a
run of the CLI executes on this storage, and `pizza-game ui` gives the UI's processes when their
instance uses it (``stores_batches``): the materializations of one output over a range of
partitions, and the planned events of a run. Only then: Dagster's stock storage would store a
batch event by event anyway, and when one insert of a batch fails it stores the whole batch again.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
from dagster._core.events import (
    ASSET_CHECK_EVENTS,
    ASSET_EVENTS,
    BATCH_WRITABLE_EVENTS,
    DagsterEventType,
)
from dagster._core.events.log import EventLogEntry
from dagster._core.instance.config import dagster_instance_config
from dagster._core.instance.ref import InstanceRef
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus
from dagster._core.storage.event_log.schema import (
    AssetCheckExecutionsTable,
    SqlEventLogStorageTable,
)
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from dagster._serdes import ConfigurableClassData, serialize_value
from sqlalchemy import create_engine, select
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from pizza_game.instance import EVENT_LOG_CLASS, STORAGE_KEYS, home_settings


class SqliteEventLog(SqliteEventLogStorage):
    """``SqliteEventLogStorage`` keeping one engine per file (see the module docstring)."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self._engines: dict[str, Engine] = {}
        # Its own lock: has_table is called with Dagster's _db_lock held (inside _connect) or not.
        self._engines_lock = threading.Lock()
        self._tables: set[str] = set()
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: Any
    ) -> SqliteEventLog:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        with self._engines_lock:
            engine = self._engines.get(shard)
            if engine is None:
                engine = create_engine(
                    self.conn_string_for_shard(shard),
                    poolclass=NullPool,
                    connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
                )
                # Commits without fsync in every process, as the CLI writes its whole history
                # (instance.write_history_without_fsync says why): the UI's runs commit each event.
                sqlalchemy_event.listen(engine, "connect", _without_fsync)
                self._engines[shard] = engine
            return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        # As Dagster's, under the same lock, with the file's engine kept instead of a new one.
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def has_table(self, table_name: str) -> bool:
        # Like Dagster's, without _db_lock: it runs inside _connect's critical section too. Dagster
        # asks before every materialization whether a migration's table exists (one connection
        # each, 1.9 s of a 5-month run); a table that exists stays, so a yes is kept.
        if table_name in self._tables:
            return True
        engine = self._engine(INDEX_SHARD_NAME)
        with engine.connect() as conn:
            found = bool(engine.dialect.has_table(conn, table_name))
        if found:
            self._tables.add(table_name)
        return found

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        # Only asset events and planned check evaluations come in batches (BATCH_WRITABLE_EVENTS);
        # anything else is stored as Dagster stores it.
        if not all(
            e.is_dagster_event and e.dagster_event_type in BATCH_WRITABLE_EVENTS for e in events
        ):
            for event in events:
                self.store_event(event)
            return
        rows = [self._event_to_row(event) for event in events]
        runs = {event.run_id for event in events}
        for run_id in sorted(runs):
            with self.run_connection(run_id) as conn:
                conn.execute(
                    SqlEventLogStorageTable.insert(), [r for r in rows if r["run_id"] == run_id]
                )
        with self.index_transaction() as conn:
            ids = _insert_in_order(conn, rows)
            assets = [
                (e, i)
                for e, i in zip(events, ids, strict=True)
                if e.dagster_event_type in ASSET_EVENTS
            ]
            self._store_asset_event_tags(conn, [e for e, _ in assets], [i for _, i in assets])
            for event, event_id in _latest_of_each_kind(assets):
                self._store_asset_event(conn, event, event_id)
        for event, event_id in zip(events, ids, strict=True):
            if event.dagster_event_type in ASSET_CHECK_EVENTS:
                self.store_asset_check_event(event, event_id)

    def _store_asset_check_evaluation_planned(
        self, event: EventLogEntry, event_id: int | None
    ) -> None:
        # As Dagster's, with the event serialized once rather than once per partition of the range
        # (every row holds the same event: 6 s of a 5-month run went to serializing it again).
        planned = event.get_dagster_event().asset_check_planned_data
        subset = planned.partitions_subset
        serialized = serialize_value(event)
        timestamp = self._event_insert_timestamp(event)
        rows = [
            {
                "asset_key": planned.asset_key.to_string(),
                "check_name": planned.check_name,
                "partition": partition,
                "run_id": event.run_id,
                "execution_status": AssetCheckExecutionRecordStatus.PLANNED.value,
                "evaluation_event": serialized,
                "evaluation_event_timestamp": timestamp,
                "evaluation_event_storage_id": event_id,
            }
            for partition in (subset.get_partition_keys() if subset else [None])
        ]
        with self.index_connection() as conn:
            conn.execute(AssetCheckExecutionsTable.insert(), rows)

    def dispose(self) -> None:
        super().dispose()
        with self._engines_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()


BATCH_SIZE_VARIABLE = "DAGSTER_EVENT_BATCH_SIZE"
BATCH_SIZE = "1000"


@contextmanager
def batched_events(instance: dg.DagsterInstance) -> Iterator[None]:
    """While the block runs, Dagster hands ``instance``'s event log batches of up to ``BATCH_SIZE``
    events, when that event log is a ``SqliteEventLog`` and the variable is not set already."""
    if not isinstance(instance.event_log_storage, SqliteEventLog) or BATCH_SIZE_VARIABLE in os.environ:
        yield
        return
    os.environ[BATCH_SIZE_VARIABLE] = BATCH_SIZE
    try:
        yield
    finally:
        os.environ.pop(BATCH_SIZE_VARIABLE, None)


def _insert_in_order(conn: Connection, rows: list[dict[str, Any]]) -> list[int]:
    """Inserts ``rows`` into the index's event table (one statement, executed per row); their ids.

    SQLite gives each new row an id above the largest so far, the rows go in in order, and the
    open transaction keeps any other writer out until it commits: the newest ``len(rows)`` ids are
    these rows', in their order."""
    conn.execute(SqlEventLogStorageTable.insert(), rows)
    newest = conn.execute(
        select(SqlEventLogStorageTable.c.id)
        .order_by(SqlEventLogStorageTable.c.id.desc())
        .limit(len(rows))
    ).scalars()
    return sorted(newest)


def _latest_of_each_kind(
    events: list[tuple[EventLogEntry, int]],
) -> list[tuple[EventLogEntry, int]]:
    """Per asset and event type, the latest event, in the order of the batch.

    Dagster updates an asset's row (its latest materialization, run...) from every event in turn;
    each event type sets the same columns every time, so the last event of each type leaves the
    row as the whole sequence would."""
    latest: dict[tuple[str, DagsterEventType], int] = {}
    for position, (event, _) in enumerate(events):
        dagster_event = event.get_dagster_event()
        if dagster_event.asset_key:
            latest[(dagster_event.asset_key.to_string(), dagster_event.event_type)] = position
    return [events[p] for p in sorted(latest.values())]


def _without_fsync(connection: Any, _record: Any) -> None:
    connection.execute("PRAGMA synchronous=OFF")


def instance_ref(home: Path) -> InstanceRef:
    """The instance of ``home`` as its dagster.yaml configures it; when the file chooses no storage
    (a home of an earlier version, or one the user made), with ``SqliteEventLog`` on its files."""
    config = _config(home)
    if any(config.get(key) for key in STORAGE_KEYS):
        return InstanceRef.from_dir(str(home))
    return InstanceRef.from_dir(str(home), overrides={"event_log_storage": home_settings({}, home)["event_log_storage"]})


def stores_batches(home: Path) -> bool:
    """Whether every process on the instance of ``home`` stores events with ``SqliteEventLog``: its
    dagster.yaml names the class as its event log and chooses no other storage."""
    config = _config(home)
    storage = config.get("event_log_storage")
    ours = isinstance(storage, Mapping) and (storage.get("module"), storage.get("class")) == EVENT_LOG_CLASS
    return ours and not any(config.get(key) for key in STORAGE_KEYS if key != "event_log_storage")


def _config(home: Path) -> Mapping[str, Any]:
    return dagster_instance_config(str(home))[0]


def instance_at(home: Path) -> dg.DagsterInstance:
    """The persistent instance of ``home`` (see ``instance_ref``)."""
    return dg.DagsterInstance.from_ref(instance_ref(home))
