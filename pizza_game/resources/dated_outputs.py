"""The IO manager of the analysis outputs: ``Stamped`` values at keys stamped with their day.

Each output's keys are in layout.DATED_OUTPUTS, so re-running the same dates rewrites the same
keys. Reading takes the newest stored object stamped on the run's day or before, from storage
alone: a fresh Dagster instance (a Lambda cold start) reads what an earlier run wrote.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from typing import Any

import dagster as dg
import pandas as pd

from pizza_game.assets.metadata import table_metadata
from pizza_game.model import Stamped
from pizza_game.partition_keys import run_range
from pizza_game.quicksight.dashboard import DASHBOARD_COLUMNS
from pizza_game.resources.storage import StorageResource, storage_failures
from pizza_game.resources.written import record_written
from pizza_game.storage import layout
from pizza_game.storage.codecs import JSON_TYPE, records_table, table_as_decoded, to_json
from pizza_game.storage.csv_text import CSV_TYPE, from_csv, to_csv
from pizza_game.storage.lookup import newest_dated_key
from pizza_game.storage.store import put_if_changed

DATED_IO = "dated_outputs_io_manager"
# The outputs stored as JSON records of a table: loaded as that table, with these canonical columns.
JSON_TABLES = {"dashboard_data": DASHBOARD_COLUMNS}
# The op whose config names the day analysed (assets/analysis.py, AnalysisRunConfig.as_of).
ANALYSIS_OP = "correlation_analysis"


def run_day(run_config: Mapping[str, Any], tags: Mapping[str, str]) -> pd.Timestamp | None:
    """The day a run's analysis describes: its ``as_of``, else the last day of the run's
    partition range, else None (the run names no day)."""
    as_of = run_config.get("ops", {}).get(ANALYSIS_OP, {}).get("config", {}).get("as_of")
    day = as_of or (run_range(dict(tags)) or (None, None))[1]
    return pd.Timestamp(day[:10], tz="UTC") if day else None


class DatedOutputsIOManager(dg.ConfigurableIOManager):
    """Stamped analysis outputs in the bucket layout, under the storage resource's root."""

    storage: StorageResource

    def handle_output(self, context: dg.OutputContext, obj: Stamped) -> None:
        name = context.asset_key.path[-1]
        with storage_failures(name):
            store = self.storage.store()
            written = []
            for ext, key_of in layout.DATED_OUTPUTS[name].items():
                key = key_of(obj.as_of)
                data, kind = (to_csv(_table(obj.value)), CSV_TYPE) if ext == "csv" else (to_json(obj.value), JSON_TYPE)
                # An hourly run that changed nothing in an output leaves its objects as they are.
                put_if_changed(store, key, data, kind)
                written.append((key, len(data)))
                if ext == "json" and name in JSON_TABLES:
                    _keep_decoded(context.run_id, key, data, obj.value, JSON_TABLES[name])
            context.add_output_metadata({"as_of": f"{obj.as_of:%Y-%m-%d}", "storage_keys": dg.MetadataValue.json([k for k, _ in written])})
            if isinstance(obj.value, pd.DataFrame):
                context.add_output_metadata(table_metadata(obj.value))
            record_written(context, store, written)

    def load_input(self, context: dg.InputContext) -> Stamped:
        name = context.asset_key.path[-1]
        run = context.step_context.dagster_run
        day = run_day(run.run_config, run.tags)
        with storage_failures(name):
            store = self.storage.store()
            ext, key_of = next(iter(layout.DATED_OUTPUTS[name].items()))
            key = newest_dated_key(store, key_of, day)
            if key is None:
                when = f"on or before {day:%Y-%m-%d}" if day is not None else "yet"
                raise dg.Failure(
                    description=f"{name}: nothing stored {when} in {store.uri('')}; materialize {ANALYSIS_OP} first",
                    allow_retries=False,
                )
            parsed = layout.parse_dated(key)
            assert parsed is not None
            data = store.get(key)
            value = parsed_once(run.run_id, key, data, _parser(name, ext))
            return Stamped(pd.Timestamp(parsed[1]), value)


# What load_input parsed in the latest run, by key: (run id, the bytes parsed, the value). The
# report and the QuickSight publish both load dashboard_data, whose JSON grows with the horizon
# (4.7 MB, 30 ms to parse, at 180 days), and correlation_summary: a run parses each once, and
# not at all the dashboard data it wrote itself (``_keep_decoded``). A value is given again only
# in the same run and for the same stored bytes, and the assets only read their inputs. A run's
# first load or kept output drops the entries of the runs before, so a process that stays up (a
# warm Lambda) keeps one run's inputs at most.
_PARSED: dict[str, tuple[str, bytes, Any]] = {}
_PARSED_LOCK = threading.Lock()  # Dagster may run steps in threads of one process


def parsed_once(run_id: str, key: str, data: bytes, parse: Callable[[bytes], Any]) -> Any:
    """``parse(data)``, or what it gave for these bytes at ``key`` earlier in run ``run_id``."""
    with _PARSED_LOCK:
        kept = _PARSED.get(key)
        if kept is not None and kept[0] == run_id and kept[1] == data:
            return kept[2]
    value = parse(data)
    _keep(run_id, key, data, value)
    return value


def _keep(run_id: str, key: str, data: bytes, value: Any) -> None:
    """``value`` as what the bytes ``data`` at ``key`` give in run ``run_id``; the runs before dropped."""
    with _PARSED_LOCK:
        for stale in [k for k, (run, _, _) in _PARSED.items() if run != run_id]:
            del _PARSED[stale]
        _PARSED[key] = (run_id, data, value)


def _parser(name: str, ext: str) -> Callable[[bytes], Any]:
    if ext == "csv":
        return from_csv
    if name in JSON_TABLES:
        return lambda data: records_table(json.loads(data), JSON_TABLES[name])
    return json.loads


def _keep_decoded(run_id: str, key: str, data: bytes, value: Any, columns: dict[str, str]) -> None:
    """What ``load_input`` gives for ``data`` at ``key`` in run ``run_id``, taken from the table
    written rather than parsed from its JSON, when ``table_as_decoded`` is sure of it: the report
    and the QuickSight publish load the dashboard data the same run wrote (4.7 MB of JSON at 180
    days: 60 ms to parse and type)."""
    decoded = table_as_decoded(value, columns) if isinstance(value, pd.DataFrame) else None
    if decoded is not None:
        _keep(run_id, key, data, decoded)


def _table(value: Any) -> pd.DataFrame:
    return value if isinstance(value, pd.DataFrame) else pd.DataFrame(value)
