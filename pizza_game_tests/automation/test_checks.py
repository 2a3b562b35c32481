"""The asset checks as Dagster evaluates them in real runs: failing on bad data, passing on good."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pandas as pd

from pizza_game.assets.publish_metadata import written_manifest_verdict
from pizza_game.normalize.orders import normalize_orders
from pizza_game.storage import layout
from pizza_game.storage.landing import land_import
from pizza_game.storage.store import LocalStore


def evaluations(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def import_orders(store: LocalStore, rows: list[tuple[str, str]], name: str) -> None:
    records = pd.DataFrame({"order_id": [r[0] for r in rows], "ordered_at": [r[1] for r in rows], "items": 1, "total": 12.0})
    land_import(store, "raw_orders", normalize_orders(records, source="real", where=name), source_name=name, fingerprint=name)


def run_orders(defs: dg.Definitions, instance: dg.DagsterInstance, first: str, last: str) -> dg.ExecuteInProcessResult:
    return defs.resolve_job_def("orders_job").execute_in_process(
        instance=instance,
        tags={"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last},
    )


def test_raw_orders_checks_fail_on_bad_data_and_pass_on_good_data(
    defs: dg.Definitions, fresh_instance: dg.DagsterInstance, data_dir: Path
) -> None:
    # A week of generated orders: the history the typical volume is measured against.
    week = run_orders(defs, fresh_instance, "2024-10-08-18:00", "2024-10-15-17:00")
    assert evaluations(week)["typical_volume"].passed  # nothing to compare with yet

    # A shop's export, then a corrected export that moved order R-1 to the next hour: the old
    # hour keeps R-1, so two hours now hold it. And two orders at 18:00 are far from typical.
    store = LocalStore(data_dir)
    import_orders(store, [("R-1", "2024-10-15T18:05:00Z"), ("R-2", "2024-10-15T18:30:00Z")], "export-1.csv")
    import_orders(store, [("R-1", "2024-10-15T19:10:00Z")], "export-2.csv")
    imported = evaluations(run_orders(defs, fresh_instance, "2024-10-15-18:00", "2024-10-15-19:00"))

    assert not imported["unique_order_ids"].passed
    assert imported["unique_order_ids"].metadata["examples"].value == ["R-1"]
    assert not imported["typical_volume"].passed
    assert imported["typical_volume"].severity == dg.AssetCheckSeverity.WARN
    assert imported["real_share"].passed
    assert imported["schema"].passed
    assert imported["schema"].metadata["partitions"].value == "2024-10-15-18:00 to 2024-10-15-19:00 (2 partitions)"

    # The next hour from the generator: a typical volume, unique ids, but no real data.
    generated = evaluations(run_orders(defs, fresh_instance, "2024-10-15-20:00", "2024-10-15-20:00"))
    assert generated["unique_order_ids"].passed
    assert generated["typical_volume"].passed
    assert not generated["real_share"].passed
    assert generated["real_share"].severity == dg.AssetCheckSeverity.WARN


def test_the_manifest_check_reads_the_manifest_back_and_finds_a_listed_file_missing(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    stamp = pd.Timestamp("2024-10-15", tz="UTC")
    listed = layout.dataset_key("orders_hourly", stamp)
    store.put(listed, b"hour\n", "text/csv")
    manifest = {"fileLocations": [{"URIs": [store.uri(listed)]}], "globalUploadSettings": {"format": "CSV"}}
    store.put(layout.MANIFEST_KEY, json.dumps(manifest).encode(), "application/json")
    assert written_manifest_verdict(store, layout.MANIFEST_KEY).passed

    store.delete(listed)
    verdict = written_manifest_verdict(store, layout.MANIFEST_KEY)
    assert not verdict.passed and "does not exist" in verdict.description
