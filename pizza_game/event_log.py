"""Dagster's SQLite event log, with one SQLAlchemy engine per database file instead of one per event.

Dagster's ``SqliteEventLogStorage`` builds a new engine for every connection it opens: three per
materialization (the run's file, the index, a ``has_table`` check). An engine holds SQLAlchemy's
compiled-statement cache, so every statement is compiled again, every time: in a 5-month
`pizza-game run` (4,121 events) 13.9 s of 73 s went to compiling, 3.4 s to ``has_table``, and
engine set-up to most of the rest of the 40 s of event storage. This subclass keeps each file's
engine for the life of the storage. The pool stays ``NullPool``, as Dagster chose it: a connection is
still opened and closed per operation, so no file stays open or locked between events and other
processes (the UI's webserver and daemon) read and write the same files as before. The files and
tables are Dagster's own; only the CLI's process uses the subclass (``instance_ref``),
the UI keeps Dagster's class on the same files.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
from dagster._core.instance.config import dagster_instance_config
from dagster._core.instance.ref import InstanceRef
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from dagster._serdes import ConfigurableClassData
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

# The keys of dagster.yaml that choose the storage: when one is set, the instance is configured
# by its owner (Postgres, say) and is used as configured.
STORAGE_KEYS = ("storage", "run_storage", "event_log_storage", "schedule_storage")


class SqliteEventLog(SqliteEventLogStorage):
    """``SqliteEventLogStorage`` keeping one engine per file (see the module docstring)."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self._engines: dict[str, Engine] = {}
        # Its own lock: has_table is called with Dagster's _db_lock held (inside _connect) or not.
        self._engines_lock = threading.Lock()
        self._tables: set[str] = set()
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData | None, config_value: Any) -> SqliteEventLog:
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

    def dispose(self) -> None:
        super().dispose()
        with self._engines_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()


def instance_ref(home: Path) -> InstanceRef:
    """The instance of ``home`` as its dagster.yaml configures it, with ``SqliteEventLog`` as the
    event log when that is Dagster's default SQLite one (no storage key in the file)."""
    config, _ = dagster_instance_config(str(home))
    if any(config.get(key) for key in STORAGE_KEYS):
        return InstanceRef.from_dir(str(home))
    event_log = {
        "module": __name__,
        "class": SqliteEventLog.__name__,
        # Where Dagster's default composite storage keeps it (history/runs/, index.db beside the runs).
        "config": {"base_dir": str(Path(home).resolve() / "history" / "runs")},
    }
    return InstanceRef.from_dir(str(home), overrides={"event_log_storage": event_log})


def instance_at(home: Path) -> dg.DagsterInstance:
    """The persistent instance of ``home`` (see ``instance_ref``)."""
    return dg.DagsterInstance.from_ref(instance_ref(home))
