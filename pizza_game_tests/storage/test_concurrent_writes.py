"""Concurrent writers never lose rows: real `pizza-game import` processes racing into the same
hours, a run's mock write racing an import, and the same merge on S3 (moto over HTTP) through
conditional writes (If-Match / If-None-Match)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest

from pizza_game.collectors.collect import mock_orders
from pizza_game.normalize.orders import normalize_orders
from pizza_game.partition_keys import partition_spans
from pizza_game.storage.landing import land_import
from pizza_game.storage.partitioned import RawStore
from pizza_game.storage.s3 import S3Store
from pizza_game.storage.store import LocalStore
from pizza_game_tests.s3_server import MotoS3

ROOT = Path(__file__).resolve().parents[2]
HOURS = [f"2024-03-05-{h:02d}:00" for h in range(10, 16)]


def orders_csv(path: Path, prefix: str, parity: int, n: int = 60) -> set[str]:
    """``n`` orders spread over HOURS; the two files' minutes interleave (parity 0 and 1)."""
    ids, lines = set(), ["order_id,ordered_at,store_id,region,items,total"]
    for i in range(n):
        minute = (2 * i + parity) % 60
        stamp = f"2024-03-05T{10 + i % len(HOURS):02d}:{minute:02d}:00Z"
        ids.add(f"{prefix}-{i}")
        lines.append(f"{prefix}-{i},{stamp},s1,North,2,20.5")
    path.write_text("\n".join(lines) + "\n")
    return ids


def stored_ids(root: Path) -> list[str]:
    ids = []
    for path in sorted((root / "raw-data/dominos-orders/real").rglob("*.json")):
        ids += [row["order_id"] for row in json.loads(path.read_text())["rows"]]
    return ids


def import_process(path: Path, data_dir: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "pizza_game.cli", "import", "orders", str(path), "--data-dir", str(data_dir)]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_two_imports_racing_into_the_same_hours_keep_every_row(tmp_path: Path):
    data_dir = tmp_path / "data"
    expected: set[str] = set()
    for round_ in range(20):
        files = [tmp_path / f"r{round_}-{side}.csv" for side in "ab"]
        expected |= orders_csv(files[0], f"r{round_}a", 0) | orders_csv(files[1], f"r{round_}b", 1)
        processes = [import_process(path, data_dir) for path in files]
        for process in processes:
            out, err = process.communicate(timeout=120)
            assert process.returncode == 0, err
            assert "imported 60 orders" in out
        ids = stored_ids(data_dir)
        assert len(ids) == len(set(ids)), f"round {round_}: a row is stored twice"
        assert set(ids) == expected, f"round {round_}: {len(expected - set(ids))} rows lost"


@pytest.mark.slow
def test_a_run_racing_an_import_leaves_one_source_per_partition(tmp_path: Path):
    data_dir = tmp_path / "data"
    store = LocalStore(data_dir)
    windows = partition_spans(HOURS)
    raw = RawStore(store, "raw_orders")
    for round_ in range(3):
        path = tmp_path / f"orders{round_}.csv"
        orders_csv(path, f"i{round_}", round_ % 2)
        process = import_process(path, data_dir)
        while process.poll() is None:
            raw.write_many(windows, mock_orders(windows, seed=round_, reason="racing test"))
        assert process.returncode == 0, process.stderr and process.stderr.read()
        raw.write_many(windows, mock_orders(windows, seed=round_, reason="after the import"))
        for window in windows:
            keys = [raw.key(source, window) for source in ("real", "mock") if store.exists(raw.key(source, window))]
            assert keys == [raw.key("real", window)], window.key


def test_a_missing_placeholder_never_replaces_real_data_written_after_the_listing(tmp_path: Path):
    store = LocalStore(tmp_path)
    windows = partition_spans(HOURS[:1])
    raw = RawStore(store, "raw_orders")
    real_key = raw.key("real", windows[0])
    store.put(real_key, b"{}", "application/json")
    assert not store.put_if_version(real_key, b"placeholder", "application/json", None)
    assert store.get(real_key) == b"{}"


def test_a_stale_version_is_refused_locally_and_on_s3(tmp_path: Path, moto_s3: MotoS3, s3_bucket: str):
    for store in (LocalStore(tmp_path), S3Store(moto_s3.client(), s3_bucket)):
        assert store.put_if_version("k.json", b"1", "application/json", None)
        data, version = store.get_version("k.json")
        assert data == b"1"
        assert not store.put_if_version("k.json", b"x", "application/json", None), store
        assert store.put_if_version("k.json", b"2", "application/json", version)
        assert not store.put_if_version("k.json", b"3", "application/json", version), store
        assert store.get("k.json") == b"2"


def test_a_batch_of_conditional_writes_takes_each_object_at_its_own_version(
    tmp_path: Path, moto_s3: MotoS3, s3_bucket: str
):
    for store in (LocalStore(tmp_path), S3Store(moto_s3.client(), s3_bucket)):
        for key in ("d1/a.json", "d1/b.json", "d2/c.json"):
            store.put(key, b"old", "application/json")
        _, a = store.get_version("d1/a.json")
        written = store.put_if_versions(
            [
                ("d1/a.json", b"new", "application/json", a),  # at its version: written
                ("d1/b.json", b"new", "application/json", None),  # exists, said absent: refused
                ("d2/c.json", b"new", "application/json", "stale"),  # another version: refused
                ("d2/d.json", b"new", "application/json", None),  # absent: written
            ]
        )
        assert written == [True, False, False, True], store
        assert [store.get(k) for k in ("d1/a.json", "d1/b.json", "d2/c.json", "d2/d.json")] == [b"new", b"old", b"old", b"new"]


def test_imports_racing_on_s3_merge_through_conditional_writes(moto_s3: MotoS3, s3_bucket: str, tmp_path: Path):
    store = S3Store(moto_s3.client(), s3_bucket)
    tables = []
    for side, parity in (("a", 0), ("b", 1)):
        path = tmp_path / f"{side}.csv"
        orders_csv(path, side, parity)
        tables.append(normalize_orders(pd.read_csv(path, dtype=str), source="real", where=str(path)))
    errors: list[BaseException] = []

    def land(normalized, name):
        try:
            land_import(store, "raw_orders", normalized, source_name=name, fingerprint=name)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=land, args=(t, f"file-{i}")) for i, t in enumerate(tables)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    windows = partition_spans(HOURS)
    stored = RawStore(store, "raw_orders").read_many(windows, sources=("real",))
    ids = [i for part in stored.values() for i in part.rows["order_id"]]
    assert sorted(ids) == sorted(i for t in tables for i in t.rows["order_id"])
    journal = json.loads(store.get("imports/journal/raw_orders/file-0.json"))
    assert journal["status"] == "complete"
