"""The QuickSight datasets as QuickSight reads them: every manifest, every URI or prefix, the union
of the rows, after real pipeline runs on consecutive days and after a backfill of older days."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import dagster as dg
import pandas as pd
import pytest

from pizza_game.definitions import make_definitions
from pizza_game.quicksight.datasets import DATASETS, STRFTIME, Dataset, build_datasets, encode
from pizza_game.quicksight.manifest import LOCAL_SCHEMES, validate_manifest
from pizza_game.quicksight.publish import current_day, manifest_key, publish_datasets
from pizza_game.runner import run_pipeline
from pizza_game.storage import layout
from pizza_game.storage.codecs import decode_raw
from pizza_game.storage.store import LocalStore, StorageError
from pizza_game_tests.layout_check import families, keys_under

DAYS = [pd.Timestamp("2024-10-07", tz="UTC") + pd.Timedelta(days=i) for i in range(3)]
BACKFILL = (pd.Timestamp("2024-09-28", tz="UTC"), pd.Timestamp("2024-10-01", tz="UTC"))
FORMATS = {
    "DATETIME": re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z"),
    "DATE": re.compile(r"\d{4}-\d{2}-\d{2}"),
    "INTEGER": re.compile(r"-?\d+"),
    "BOOLEAN": re.compile(r"[01]"),
    "DECIMAL": re.compile(r"-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?"),
}


def read_like_quicksight(root: Path, dataset: str) -> tuple[dict, pd.DataFrame, list[str]]:
    """The manifest, the union of the rows of every file it lists (URIs and prefixes), as text."""
    manifest = json.loads((root / manifest_key(dataset)).read_text())
    assert validate_manifest(manifest, schemes=LOCAL_SCHEMES) == []
    settings = manifest["globalUploadSettings"]
    assert (settings["format"], settings["delimiter"], settings["containsHeader"]) == ("CSV", ",", "true")
    paths: list[Path] = []
    for location in manifest["fileLocations"]:
        paths += [Path(unquote(urlsplit(uri).path)) for uri in location.get("URIs", [])]
        for prefix in location.get("URIPrefixes", []):
            paths += sorted(p for p in Path(unquote(urlsplit(prefix).path)).rglob("*") if p.is_file())
    frames = [pd.read_csv(io.BytesIO(p.read_bytes()), dtype=str, keep_default_na=False) for p in paths]
    for path, frame in zip(paths, frames, strict=True):
        assert list(frame.columns) == list(DATASETS[dataset].columns), path
    return manifest, pd.concat(frames, ignore_index=True), [p.name for p in paths]


def assert_follows_schema(dataset: str, rows: pd.DataFrame) -> None:
    for column, kind in DATASETS[dataset].columns.items():
        values = rows.loc[rows[column] != "", column]
        pattern = FORMATS.get(kind)
        if pattern is not None:
            bad = [v for v in values if not pattern.fullmatch(v)]
            assert bad == [], f"{dataset}.{column} ({kind}): {bad[:3]}"


def raw_orders(root: Path) -> pd.DataFrame:
    keys = families(keys_under(root))["raw_orders"]
    parts = [decode_raw("raw_orders", (root / k).read_bytes(), k).rows for k in keys]
    orders = pd.concat(parts, ignore_index=True)
    return orders.drop_duplicates("order_id")


def snapshot(root: Path) -> dict[str, tuple[dict, pd.DataFrame, list[str]]]:
    return {name: read_like_quicksight(root, name) for name in DATASETS}


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """Runs on three consecutive days, then a backfill of three older days; the datasets after each."""
    root = tmp_path_factory.mktemp("data")
    defs = make_definitions(data_dir=str(root), seed=11)
    instance = dg.DagsterInstance.ephemeral()
    after = []
    for day in DAYS:
        run_pipeline(day, day + pd.Timedelta(days=1), defs=defs, instance=instance, log_level="ERROR")
        after.append(snapshot(root))
    run_pipeline(*BACKFILL, defs=defs, instance=instance, log_level="ERROR")
    after.append(snapshot(root))
    return root, after


def test_no_dataset_repeats_a_row_after_any_run(history):
    _, after = history
    for step, datasets in enumerate(after):
        for name, (_, rows, _) in datasets.items():
            key = list(DATASETS[name].key)
            duplicated = rows[rows.duplicated(key, keep=False)]
            assert duplicated.empty, f"after run {step}: {name} repeats {len(duplicated)} rows by {key}"
    assert all(len(rows) > 0 for _, rows, _ in after[-1].values())


def test_hourly_orders_add_up_to_the_raw_orders_of_the_days_listed(history):
    root, after = history
    orders = raw_orders(root)
    _, rows, files = after[-1]["orders_hourly"]
    days = sorted({pd.Timestamp(f[:8], tz="UTC") for f in files})
    # The three runs' days and the backfilled ones: all within the 30 days ending on the newest.
    assert days == [*pd.date_range(*BACKFILL, freq="D", inclusive="left"), *DAYS]
    in_days = orders[orders["ordered_at"].dt.floor("D").isin(days)]
    assert rows["orders"].astype(int).sum() == len(in_days)
    assert rows["items"].astype(int).sum() == int(in_days["items"].sum())
    assert rows["revenue"].astype(float).sum() == pytest.approx(float(in_days["total"].sum()))
    hourly = in_days.groupby([in_days["ordered_at"].dt.floor("h"), "region"]).size()
    read = rows.assign(hour=pd.to_datetime(rows["hour"], utc=True)).set_index(["hour", "region"])["orders"].astype(int)
    # Hours of a region without orders are rows of 0 (covered hours), never missing or repeated.
    assert read[read > 0].sort_index().to_dict() == hourly.sort_index().to_dict()


def test_no_manifest_moves_backwards_and_the_backfill_moves_none(history):
    _, after = history
    for name in DATASETS:
        newest = [max(pd.Timestamp(f[:8]) for f in step[name][2]) for step in after]
        assert newest[:3] == [d.tz_localize(None) for d in DAYS], name
        assert newest[3] == newest[2], f"the backfill moved {name} back to {newest[3]:%Y-%m-%d}"
        if DATASETS[name].slicing == "latest":
            assert after[3][name][0] == after[2][name][0], name
            assert after[3][name][1].equals(after[2][name][1]), name


def test_every_file_follows_its_dataset_schema_and_date_formats(history):
    _, after = history
    for datasets in after:
        for name, (_, rows, _) in datasets.items():
            assert_follows_schema(name, rows)
    kpis = after[-1]["kpis"][1]
    assert len(kpis) == 1 and kpis["as_of"].tolist() == [f"{DAYS[-1]:%Y-%m-%d}"]


def test_match_windows_carry_the_engines_anomaly_flag_and_used_status_row_for_row(history):
    root, after = history
    _, rows, _ = after[-1]["match_windows"]
    engine = pd.read_csv(root / layout.match_windows_key(DAYS[-1]), dtype=str, keep_default_na=False)
    # The engine's analysed windows (the per-match CSV also lists the matches left out, without a
    # window) of the matches that kicked off in the dashboard's 30 days.
    kickoff = pd.to_datetime(engine["kickoff_at"], utc=True, format="ISO8601")
    first = DAYS[-1] - pd.Timedelta(days=29)
    engine = engine[(engine["window"] != "") & (kickoff >= first) & (kickoff < DAYS[-1] + pd.Timedelta(days=1))]
    key = ["match_id", "window", "region"]
    published = rows.set_index(key).sort_index()
    engine = engine.set_index(key).sort_index()
    assert published.index.equals(engine.index)
    for column in ("anomaly", "used"):
        expected = engine[column].map({"True": "1", "False": "0", "": ""})
        assert expected.notna().all(), f"{column}: {sorted(set(engine[column]))}"
        assert published[column].tolist() == expected.tolist(), column
    assert published["unused_reason"].tolist() == engine["unused_reason"].tolist()
    for column in ("anomaly_p", "anomaly_p_adjusted"):
        read = pd.to_numeric(published[column].replace("", None))
        assert read.tolist() == pytest.approx(pd.to_numeric(engine[column].replace("", None)).tolist(), nan_ok=True), column
    # Three days hold too few reference days for any lift test or window-scale anomaly test: every
    # window is unused, with the reason, and none carries an anomaly p-value or flag.
    assert set(published["anomaly"]) == {"0"}
    assert (published["anomaly_p"] == "").all()
    assert set(published["used"]) == {"0"}
    assert published["unused_reason"].str.startswith("lift test not run").all()


def test_a_broken_schema_is_caught():
    broken = pd.DataFrame({"hour": ["2024-10-07T09:30:00.000000Z"], "orders": ["3"]})
    broken = broken.reindex(columns=list(DATASETS["orders_hourly"].columns), fill_value="")
    with pytest.raises(AssertionError, match=r"orders_hourly\.hour"):
        assert_follows_schema("orders_hourly", broken)


class FillingStore(LocalStore):
    """A local store whose disk fills after ``room`` more writes."""

    def __init__(self, root: Path, room: int):
        super().__init__(root)
        self.room = room
        self.keys: list[str] = []

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        if self.room <= 0:
            raise StorageError(f"writing {key}: no space left on device")
        self.room -= 1
        self.keys.append(key)
        super().put(key, data, content_type)


def stored_tables(root: Path, stamp: pd.Timestamp) -> dict[str, pd.DataFrame]:
    dashboard = pd.DataFrame(json.loads((root / layout.dashboard_data_key(stamp)).read_text()))
    for column in ("time", "kickoff_at", "window_end"):
        dashboard[column] = pd.to_datetime(dashboard[column], utc=True, format="ISO8601")
    summary = json.loads((root / layout.correlation_summary_key(stamp)).read_text())
    return build_datasets(dashboard, summary, stamp)


def copy_data(root: Path, copy: Path) -> None:
    for key in keys_under(root):
        (copy / key).parent.mkdir(parents=True, exist_ok=True)
        (copy / key).write_bytes((root / key).read_bytes())


def test_a_disk_filling_during_publishing_leaves_the_previous_manifests(history, tmp_path):
    root, _ = history
    tables = stored_tables(root, DAYS[-1])
    # Publish the same tables as if one day later, into a copy of the data, filling up at every write.
    manifests = {name: manifest_key(name) for name in DATASETS}
    # Counted on a copy too: day files whose bytes are already stored are not written again.
    copy_data(root, tmp_path / "count")
    counting = FillingStore(tmp_path / "count", 10_000)
    publish_datasets(counting, tables, DAYS[-1] + pd.Timedelta(days=1), lineage=("quicksight-ready/metadata/lineage/x.json", {}))
    writes = counting.keys
    first_manifest = min(writes.index(key) for key in manifests.values())
    assert writes[first_manifest:] == [k for k in writes if k in manifests.values()], "manifests come last"
    assert writes[-1] == layout.MANIFEST_KEY
    for room in range(len(writes)):
        copy = tmp_path / f"room{room}"
        copy_data(root, copy)
        before = {name: (copy / key).read_bytes() for name, key in manifests.items()}
        store = FillingStore(copy, room)
        with pytest.raises(StorageError, match="no space left"):
            publish_datasets(store, tables, DAYS[-1] + pd.Timedelta(days=1), lineage=("quicksight-ready/metadata/lineage/x.json", {}))
        for name, key in manifests.items():
            if room <= first_manifest:
                assert (copy / key).read_bytes() == before[name], f"{name} manifest replaced after {room} writes"
            _, rows, _ = read_like_quicksight(copy, name)
            assert not rows.duplicated(list(DATASETS[name].key)).any()
        assert current_day(store, "orders_hourly") == DAYS[-1]


def test_dates_are_written_as_strftime_writes_them_whatever_the_zone():
    dataset = Dataset("dates", "Dates", {"at": "DATETIME", "day": "DATE"}, ("at",), "latest")
    # Repeated instants and missing ones: each distinct instant is formatted once.
    first, last = pd.Timestamp("2024-05-04T18:00:59.9Z"), pd.Timestamp("1999-12-31T23:30:00Z")
    instants = pd.DatetimeIndex([first, pd.NaT, last, first, pd.NaT, last + pd.Timedelta(hours=1), last])
    for zone in ("UTC", "Europe/Berlin"):
        table = pd.DataFrame({"at": instants.tz_convert(zone), "day": instants.tz_convert(zone)})
        expected = {name: [None if pd.isna(t) else t.strftime(STRFTIME[kind]) for t in table[name]] for name, kind in dataset.columns.items()}
        lines = encode(dataset, table).decode().splitlines()
        assert lines[1:] == [f"{a or ''},{d or ''}" for a, d in zip(expected["at"], expected["day"], strict=True)], zone
