"""Publishing the QuickSight datasets: files first, manifests last, never backwards.

Each dataset (``quicksight.datasets``) has its own manifest. The union of the files a manifest
lists never repeats a row:
- ``orders_hourly`` is written one file per UTC day (re-publishing a day replaces its file); its
  manifest lists the day files of the ``DASHBOARD_DAYS`` days ending on the newest day published;
- the analysis results are written one file per analysis day; their manifests list the newest.

Order: every dataset file, then the lineage record, then the manifests (the primary one,
``manifest.json``, last). A write that fails raises before any manifest is written, so the
previous manifests stay in place, still pointing at complete files. A publish older than what a
manifest points to (a backfill of old days) rewrites its day files but moves no manifest back:
where a manifest points is read from the manifest itself (the days in its file names), so no
second copy of that state is kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pandas as pd

from pizza_game.quicksight.dashboard import DASHBOARD_DAYS
from pizza_game.quicksight.datasets import DATASETS, PRIMARY, DailyRows, Dataset, daily_rows, encode
from pizza_game.quicksight.manifest import LOCAL_SCHEMES, URI_SCHEMES, build_manifest
from pizza_game.storage import layout
from pizza_game.storage.codecs import JSON_TYPE, to_json
from pizza_game.storage.csv_text import CSV_TYPE
from pizza_game.storage.store import LocalStore, ObjectStore, put_if_changed


@dataclass
class Published:
    """One dataset after a publish: what its manifest lists, and whether this publish moved it."""

    dataset: str
    manifest_key: str
    uris: list[str]
    last_day: pd.Timestamp
    moved: bool
    rows_written: int
    document: dict = field(default_factory=dict)


def manifest_key(dataset: str) -> str:
    return layout.MANIFEST_KEY if dataset == PRIMARY else layout.dataset_manifest_key(dataset)


def listed_uris(document: dict) -> list[str]:
    return [uri for loc in document.get("fileLocations", []) if isinstance(loc, dict) for uri in loc.get("URIs", [])]


def uri_day(uri: str) -> pd.Timestamp | None:
    parsed = layout.parse_dataset_file(uri)
    return pd.Timestamp(parsed[1]) if parsed else None


def current_day(store: ObjectStore, dataset: str) -> pd.Timestamp | None:
    """The newest day the dataset's manifest points to (None without a manifest of ours)."""
    try:
        document = json.loads(store.get(manifest_key(dataset)))
    except (KeyError, ValueError):
        return None
    # A URI names a dataset exactly when it carries a day (the same pattern), so no day is None.
    days = [day for uri in listed_uris(document) if _dataset_of(uri) == dataset and (day := uri_day(uri)) is not None]
    return max(days, default=None)


def _dataset_of(uri: str) -> str | None:
    parsed = layout.parse_dataset_file(uri)
    return parsed[0] if parsed else None


def day_keys(store: ObjectStore, dataset: str, last_day: pd.Timestamp, days: int = DASHBOARD_DAYS) -> list[str]:
    """The dataset's day files dated within the ``days`` days ending on ``last_day``."""
    first_day = last_day.normalize() - pd.Timedelta(days=days - 1)
    months = pd.period_range(first_day.tz_localize(None), last_day.tz_localize(None), freq="M")
    keys = []
    for month in months:
        for key in store.list(f"{layout.DASHBOARD_PREFIX}/{month.year:04d}/{month.month:02d}/"):
            parsed = layout.parse_dataset_file(key)
            if parsed and parsed[0] == dataset and first_day <= pd.Timestamp(parsed[1]) <= last_day:
                keys.append(key)
    return sorted(keys)


def publish_datasets(
    store: ObjectStore,
    tables: dict[str, pd.DataFrame],
    as_of: pd.Timestamp,
    lineage: tuple[str, dict] | None = None,
) -> dict[str, Published]:
    """Write every dataset's files, then ``lineage`` (key, record), then the manifests."""
    as_of = as_of.normalize()
    before = {name: current_day(store, name) for name in DATASETS}
    written: dict[str, int] = {}
    for name, dataset in DATASETS.items():
        written[name] = _write_files(store, dataset, tables[name], as_of)
    schemes = LOCAL_SCHEMES if isinstance(store, LocalStore) else URI_SCHEMES
    plans = {name: _plan(store, DATASETS[name], as_of, before[name], written[name], schemes) for name in DATASETS}
    if lineage is not None:
        key, record = lineage
        record = {**record, "manifests": {p.dataset: p.uris for p in plans.values()}}
        store.put(key, to_json(record), JSON_TYPE)
    for name in sorted(plans, key=lambda n: n == PRIMARY):
        store.put(plans[name].manifest_key, to_json(plans[name].document), JSON_TYPE)
    return plans


def _write_files(store: ObjectStore, dataset: Dataset, table: pd.DataFrame, as_of: pd.Timestamp) -> int:
    if dataset.slicing == "daily":
        for day, data in encode_daily(dataset, daily_rows(dataset, table)).items():
            put_if_changed(store, layout.dataset_key(dataset.name, day), data, CSV_TYPE)
        return len(table)
    rows = table.sort_values(list(dataset.key)).reset_index(drop=True)
    put_if_changed(store, layout.dataset_key(dataset.name, as_of), encode(dataset, rows), CSV_TYPE)
    return len(rows)


def encode_daily(dataset: Dataset, daily: DailyRows) -> dict[pd.Timestamp, bytes]:
    """Each day's CSV, the same bytes as ``encode`` of each day's rows, from one encoding of them
    all (not of each day's own frame: cutting the rows into day frames cost as much again).

    Every cell is formatted on its own, so a day's lines are the same in one CSV of every day.
    When a cell holds a line break (a row spans several lines), each day is encoded on its own."""
    if not daily.days:
        return {}
    lines = encode(dataset, daily.rows).split(b"\n")  # the header, one line per row, then the empty tail
    if len(lines) != len(daily.rows) + 2:
        return {day: encode(dataset, rows) for day, rows in daily.slices().items()}
    header = lines[0] + b"\n"
    return {
        day: header + b"".join(line + b"\n" for line in lines[1 + rows.start : 1 + rows.stop])
        for day, rows in daily.days.items()
    }


def _plan(
    store: ObjectStore,
    dataset: Dataset,
    as_of: pd.Timestamp,
    before: pd.Timestamp | None,
    rows: int,
    schemes: tuple[str, ...],
) -> Published:
    """The manifest this publish leaves for ``dataset``: moved to ``as_of``, or kept where it was."""
    last_day = as_of if before is None or as_of >= before else before
    if dataset.slicing == "daily":
        keys = day_keys(store, dataset.name, last_day)
    else:
        keys = [layout.dataset_key(dataset.name, last_day)]
    uris = [store.uri(key) for key in keys]
    sizes = {store.uri(key): store.size(key) for key in keys}
    document = build_manifest(uris, fmt="CSV", sizes=sizes, schemes=schemes)
    return Published(dataset.name, manifest_key(dataset.name), uris, last_day, last_day == as_of, rows, document)

