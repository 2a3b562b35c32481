"""The whole asset graph, materialized in-process into a temporary data root, checked end to end."""

import json

import dagster as dg
import pandas as pd
import pytest

from pizza_game.analysis.engine import RESULT_COLUMNS
from pizza_game.analysis.match_table import LEADING as MATCH_TABLE_LEADING
from pizza_game.analysis.merge import ALL_REGIONS
from pizza_game.definitions import make_definitions
from pizza_game.model import SERIES_COLUMNS
from pizza_game.quicksight.dashboard import DASHBOARD_COLUMNS
from pizza_game.quicksight.manifest import LOCAL_SCHEMES, validate_manifest
from pizza_game.runner import run_pipeline
from pizza_game.schema import MATCH_COLUMNS, ORDER_COLUMNS
from pizza_game.storage.codecs import decode_merged, decode_raw
from pizza_game_tests.layout_check import KEY_FAMILIES, families, keys_under

START, END = pd.Timestamp("2024-10-05", tz="UTC"), pd.Timestamp("2024-10-12", tz="UTC")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    defs = make_definitions(data_dir=str(root), seed=7)
    instance = dg.DagsterInstance.ephemeral()
    summary = run_pipeline(START, END, defs=defs, instance=instance, log_level="ERROR")
    return root, summary, defs, instance


def _raw(root, keys, asset):
    return {k: decode_raw(asset, (root / k).read_bytes(), k) for k in keys}


def test_every_key_family_of_the_layout_is_written_and_nothing_else(run):
    root, summary, _, _ = run
    grouped = families(keys_under(root))
    assert None not in grouped, f"keys outside the layout: {grouped.get(None)}"
    assert set(grouped) == set(KEY_FAMILIES)
    assert len(grouped["merged_dataset"]) == 7 * 2
    assert len(grouped["raw_matches"]) == 7
    # The orders reach 12 h beyond each end of the range, for the edge days' extended windows.
    assert len(grouped["raw_orders"]) == 7 * 24 + 2 * 12
    assert all("/mock/" in k for k in grouped["raw_orders"] + grouped["raw_matches"])
    assert grouped["correlation_summary"] == ["processed-data/correlation-analysis/2024/10/11/20241011_000000_correlation_summary.json"]
    assert summary.orders > 0 and summary.orders_real_share == 0.0


def test_tables_have_their_schemas(run):
    root, _, _, _ = run
    grouped = families(keys_under(root))
    for part in _raw(root, grouped["raw_orders"][:5], "raw_orders").values():
        assert list(part.rows.columns) == list(ORDER_COLUMNS) and part.source == "mock"
        assert (part.rows["source"] == "mock").all()
    for part in _raw(root, grouped["raw_matches"], "raw_matches").values():
        assert list(part.rows.columns) == list(MATCH_COLUMNS)
    merged_csv = [k for k in grouped["merged_dataset"] if k.endswith(".csv")]
    assert list(pd.read_csv(root / merged_csv[0]).columns) == list(SERIES_COLUMNS)
    results = pd.read_csv(root / grouped["correlation_results"][0])
    assert list(results.columns) == list(RESULT_COLUMNS)
    # Seven days hold no match-free reference days: every test is below its minimum, so none is
    # run and the answer says so (docs/analysis.md, "Minimums").
    assert len(results) == 0
    summary_doc = json.loads((root / grouped["correlation_summary"][0]).read_text())
    assert summary_doc["headline"].startswith("Not enough data to say whether matches move orders")
    drill_down = pd.read_csv(root / grouped["match_windows"][0])
    assert list(drill_down.columns[: len(MATCH_TABLE_LEADING)]) == list(MATCH_TABLE_LEADING)
    assert drill_down["match_id"].nunique() == summary_doc["data_quality"]["matches"]
    significant = pd.read_csv(root / grouped["significant_correlations"][0])
    assert list(significant.columns) == list(RESULT_COLUMNS)
    assert set(significant["test_id"]) == set(results.loc[results["significant"], "test_id"])
    dashboard_json = json.loads((root / grouped["dashboard_data"][1]).read_text())
    assert all(list(record) == list(DASHBOARD_COLUMNS) for record in dashboard_json)
    assert {r["record_type"] for r in dashboard_json} == {"kpi", "window_lift", "orders", "match_window"}
    dashboard_csv = pd.read_csv(root / grouped["dashboard_data"][0])
    assert list(dashboard_csv.columns) == list(DASHBOARD_COLUMNS) and len(dashboard_csv) == len(dashboard_json)


def test_numbers_are_consistent_from_raw_orders_to_results(run):
    root, summary, _, _ = run
    grouped = families(keys_under(root))
    orders = pd.concat([p.rows for p in _raw(root, grouped["raw_orders"], "raw_orders").values()], ignore_index=True)
    days = [decode_merged((root / k).read_bytes(), k) for k in grouped["merged_dataset"] if k.endswith(".json")]
    in_range = orders[(orders["ordered_at"] >= START) & (orders["ordered_at"] < END)]
    assert summary.orders == len(in_range)
    for day in days:
        national = day.series[day.series["region"] == ALL_REGIONS]
        on_day = orders[(orders["ordered_at"] >= day.day) & (orders["ordered_at"] < day.day + pd.Timedelta(days=1))]
        assert national["orders"].sum() == len(on_day)
        assert day.series.loc[day.series["region"] != ALL_REGIONS, "orders"].sum() == len(on_day)
        # Window counts add up to the orders inside the windows.
        for row in day.windows[day.windows["region"] == ALL_REGIONS].itertuples():
            inside = (orders["ordered_at"] >= row.start) & (orders["ordered_at"] < row.end)
            assert row.orders == inside.sum(), (row.match_id, row.window)
            assert row.coverage == 1.0
    summary_doc = json.loads((root / grouped["correlation_summary"][0]).read_text())
    assert summary_doc["data_quality"]["orders"] == len(in_range)
    assert summary_doc["data_quality"]["real_share"] == 0.0
    matches = sum(len(d.matches) for d in days)
    assert summary_doc["data_quality"]["matches"] == matches == summary.matches


def test_manifest_lists_existing_dashboard_files_in_the_documented_format(run):
    root, _, _, _ = run
    manifest = json.loads((root / "quicksight-ready/metadata/manifest.json").read_text())
    assert validate_manifest(manifest, schemes=LOCAL_SCHEMES) == []
    uris = [uri for location in manifest["fileLocations"] for uri in location.get("URIs", [])]
    days = [k for k in families(keys_under(root))["quicksight_datasets"] if k.endswith("_orders_hourly.csv")]
    assert uris == [(root / k).as_uri() for k in days] and len(days) == 7
    assert manifest["globalUploadSettings"] == {"format": "CSV", "delimiter": ",", "textqualifier": '"', "containsHeader": "true"}


def test_a_second_run_over_the_same_dates_rewrites_the_same_keys(run, tmp_path):
    root, first, defs, instance = run
    before = {k: (root / k).read_bytes() for k in keys_under(root)}
    second = run_pipeline(START, END, defs=defs, instance=instance, log_level="ERROR")
    after = {k: (root / k).read_bytes() for k in keys_under(root)}
    lineage = {k for k in after if k.startswith("quicksight-ready/metadata/lineage/")}
    assert set(after) - lineage == set(before) - lineage  # one lineage record per publish, by design
    assert len(lineage) == 2
    assert second.orders == first.orders and second.matches == first.matches
    changed = [k for k in before if k not in lineage and before[k] != after[k]]
    assert changed == [], "re-running the same dates must reproduce every object"


def test_metadata_describes_each_asset(run):
    root, _, _, instance = run
    for name in ("raw_orders", "raw_matches", "merged_dataset", "correlation_results", "dashboard_data"):
        event = instance.get_latest_materialization_event(dg.AssetKey(name))
        metadata = event.asset_materialization.metadata
        assert "storage_uri" in metadata, name
    summary = instance.get_latest_materialization_event(dg.AssetKey("correlation_summary")).asset_materialization.metadata
    assert summary["headline"].value
    assert "| window | lift |" in summary["lift_per_window"].value
    orders = instance.get_latest_materialization_event(dg.AssetKey("raw_orders")).asset_materialization.metadata
    assert orders["real_share"].value == 0.0
    assert orders["fallback_reasons"].value == ["DOMINOS_API_URL is not set: no orders API to call"]
    written = _raw(root, families(keys_under(root))["raw_orders"], "raw_orders")
    assert orders["dagster/row_count"].value == sum(len(p.rows) for p in written.values())
