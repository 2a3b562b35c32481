"""The Dagster instance: one for the `pizza-game` command and the Dagster UI, so CLI runs show up there.

Which instance (its ``DAGSTER_HOME``):

1. ``DAGSTER_HOME`` when it is set.
2. Run from a checkout (this package sits beside workspace.yaml and dagster.yaml): the checkout's
   git-ignored ``.dagster/`` folder, configured by the checkout's dagster.yaml (written there by
   ``prepare_home``, with the event log added).
   `make ui` (`pizza-game ui`) opens the same one.
3. Installed elsewhere: ``~/.pizza-game/dagster``, configured with ``INSTANCE_SETTINGS``.

Every piece of state Dagster writes (run and event storage, schedules, compute logs, ``.nux``,
``.telemetry``) goes under that folder, whatever the current directory. ``--ephemeral-instance``
keeps a run in memory instead, and so does the Lambda handler, one instance per invocation
(``ephemeral_instance``; deploy/lambda_handler.py says why).

Its SQLite files are written without fsync (``PRAGMA synchronous=OFF``, see
``write_history_without_fsync``), as the data itself is: a crashed process loses nothing, a power
cut during a run may cost the run history, never the data. Its event log keeps one SQLAlchemy
engine per file (pizza_game/event_log.py): Dagster builds one per event and recompiles every
statement.

Dagster settings that are environment variables (``DAGSTER_SETTINGS``) are set here too, for
every process that creates runs: the CLI and Lambda through ``default_instance`` and
``ephemeral_instance``, the UI's webserver and daemon through the environment `pizza-game ui`
gives `dg dev`.
"""

from __future__ import annotations

import functools
import os
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
import yaml

# What dagster.yaml says (a test keeps the two equal): no telemetry; our modules' Python loggers
# (e.g. the API clients' retries) go through each run's loggers, with its run id.
INSTANCE_SETTINGS = {"telemetry": {"enabled": False}, "python_logs": {"managed_python_loggers": ["pizza_game"]}}
# The keys of a dagster.yaml that choose the storage.
STORAGE_KEYS = ("storage", "run_storage", "event_log_storage", "schedule_storage")
# The event log a home's dagster.yaml names (event_log.py), so that the UI's processes store
# events as the CLI does. Named here, not imported: the Lambda imports this module and never the
# SQLite event log.
EVENT_LOG_CLASS = ("pizza_game.event_log", "SqliteEventLog")
# The first line of the dagster.yaml written into a checkout's state folder.
WRITTEN_FROM_CHECKOUT = "# Written by pizza-game from ../dagster.yaml, with this folder's event log: edit that file.\n"
CHECKOUT = Path(__file__).resolve().parents[1]
STATE_FOLDER = ".dagster"
USER_HOME = Path("~/.pizza-game/dagster")
# Without this, Dagster records one "planned" event per partition when it creates a run over a
# range of partitions (a single-run backfill); with it, one per asset, holding the range. The
# lineage's "Materialize all" offers only "All partitions" (every hour since PIZZA_GAME_START_DATE,
# over 100,000): one event per hour kept the daemon writing for more than 16 minutes before
# raw_orders could refuse the run (PIZZA_GAME_MAX_RUN_DAYS); with one, the refusal shows two to
# five minutes after the click, most of it Dagster's planned rows for raw_orders' asset checks,
# which no setting changes (README, "The guard"). The cost, in Dagster's words "partitions not
# marked as failed if the run fails": the partitions of a failed range run show in the UI as
# missing, not failed (nor in progress while it runs); the run and the backfill still show it
# failed, and nothing here reads failed partitions. A value already in the environment wins.
DAGSTER_SETTINGS = {"DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS": "true"}


def checkout_root() -> Path | None:
    """The repository this package runs from, or None when it is installed elsewhere."""
    if (CHECKOUT / "workspace.yaml").is_file() and (CHECKOUT / "dagster.yaml").is_file():
        return CHECKOUT
    return None


def instance_home(environ: Mapping[str, str] = os.environ) -> Path:
    """The DAGSTER_HOME of the default instance (the rule in this module's docstring)."""
    if environ.get("DAGSTER_HOME", "").strip():
        return Path(environ["DAGSTER_HOME"].strip()).expanduser()
    root = checkout_root()
    return root / STATE_FOLDER if root else USER_HOME.expanduser()


def prepare_home(home: Path) -> Path:
    """Creates ``home`` and its dagster.yaml (``home_settings``): in a checkout's state folder, of
    the checkout's dagster.yaml, rewritten whenever that file changes; elsewhere, if missing or as
    an earlier version wrote it (``INSTANCE_SETTINGS`` alone), of ``INSTANCE_SETTINGS``. Any other
    file is the user's and stays as it is."""
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    root = checkout_root()
    if root and home == root / STATE_FOLDER:
        settings = yaml.safe_load((root / "dagster.yaml").read_text()) or {}
        text = WRITTEN_FROM_CHECKOUT + yaml.safe_dump(home_settings(settings, home), sort_keys=False)
        # A home of an earlier version links the checkout's file instead.
        if config.is_symlink() or not config.is_file() or config.read_text() != text:
            _write_atomically(config, text)
    elif not (config.exists() or config.is_symlink()) or _written_by_an_earlier_version(config):
        _write_atomically(config, yaml.safe_dump(home_settings(INSTANCE_SETTINGS, home), sort_keys=False))
    return home


def _written_by_an_earlier_version(config: Path) -> bool:
    """Whether ``config`` is exactly what earlier versions wrote for a new home (no event log)."""
    return config.is_file() and not config.is_symlink() and config.read_text() == yaml.safe_dump(INSTANCE_SETTINGS, sort_keys=False)


def home_settings(settings: Mapping[str, Any], home: Path) -> dict[str, Any]:
    """A dagster.yaml's ``settings`` with, unless they choose a storage of their own, the CLI's
    event log on ``home``'s files (those of Dagster's default storage): every process that builds
    the instance from the file (the UI's webserver, its daemon, the runs they launch) uses it."""
    if any(settings.get(key) for key in STORAGE_KEYS):
        return dict(settings)
    module, name = EVENT_LOG_CLASS
    event_log = {"module": module, "class": name, "config": {"base_dir": str(history_runs(home))}}
    return {**settings, "event_log_storage": event_log}


def history_runs(home: Path) -> Path:
    """Where Dagster's default storage keeps a home's event log (index.db beside the runs' files)."""
    return Path(home).resolve() / "history" / "runs"


def _write_atomically(path: Path, text: str) -> None:
    # A webserver reading the file meanwhile sees the old one or the new one, never half of one.
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_text(text)
    os.replace(partial, path)


def dagster_environment(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """``environ`` with ``DAGSTER_SETTINGS`` added where it does not set them."""
    return {**DAGSTER_SETTINGS, **environ}


def apply_dagster_settings() -> None:
    """Sets ``DAGSTER_SETTINGS`` in this process's environment, where not set already."""
    for name, value in DAGSTER_SETTINGS.items():
        os.environ.setdefault(name, value)


_UNSYNCED_HOMES: set[str] = set()


def write_history_without_fsync(home: Path) -> None:
    """Dagster's SQLite files under ``home``, opened by this process, commit without fsync.

    Dagster's SQLite event log opens, commits and closes a connection for every event, and each
    commit and close waits for the disk: 16 ms per event measured here against 0.3 ms without,
    two thirds of the wall time of a 7-day `pizza-game run` (24 s against 13 s at load 5; a run
    writes one event per partition it materializes). The data store does not fsync either (atomic
    renames): with this, the history is as durable as the data it describes. SQLite stays
    consistent when the process dies; only an operating-system crash or power cut during a run can
    damage the history, then `rm -r .dagster` starts a new one. Files elsewhere are untouched.
    """
    folder = os.path.realpath(home)
    if not _UNSYNCED_HOMES:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        event.listen(Engine, "connect", _no_fsync_in_unsynced_homes)
    _UNSYNCED_HOMES.add(folder + os.sep)
    _unsynced.cache_clear()


def _no_fsync_in_unsynced_homes(connection: Any, _record: Any) -> None:
    if not isinstance(connection, sqlite3.Connection):
        return
    files = [row[2] for row in connection.execute("PRAGMA database_list") if row[2]]
    if any(_unsynced(f) for f in files):
        connection.execute("PRAGMA synchronous=OFF")


@functools.lru_cache(maxsize=1024)
def _unsynced(file: str) -> bool:
    # Once per file: every event opens a connection, and realpath costs a system call per folder.
    return os.path.realpath(file).startswith(tuple(_UNSYNCED_HOMES))


def default_instance() -> dg.DagsterInstance:
    """The persistent instance the UI opens (see the module docstring)."""
    apply_dagster_settings()
    home = instance_home()
    write_history_without_fsync(home)
    from pizza_game.event_log import instance_at

    if os.environ.get("DAGSTER_HOME", "").strip():
        if not (home.is_absolute() and home.is_dir()):
            return dg.DagsterInstance.get()  # raises Dagster's own error for such a DAGSTER_HOME
        return instance_at(home)
    return instance_at(prepare_home(home))


def ephemeral_instance() -> dg.DagsterInstance:
    """An in-memory instance, with the same settings: nothing is kept once it is disposed."""
    apply_dagster_settings()
    return dg.DagsterInstance.ephemeral(settings=INSTANCE_SETTINGS)
