"""What the UI shows on every asset after a run: size, time range, real/mock share, where, a preview."""

from __future__ import annotations

import dagster as dg
import pandas as pd
import pytest

from pizza_game.runner import run_pipeline
from pizza_game_tests.automation.conftest import OUTSIDE_WORLD
from pizza_game_tests.test_definitions import ASSETS

ASSET_NAMES = sorted(ASSETS)

EVERY_ASSET = {"storage_uri", "time_range", "real_share", "mock_share"}
PREVIEWS = {"merged_dataset": "window_preview", "correlation_summary": "lift_per_window"}
ROW_COUNTS = {"correlation_summary": "tests_run"}


@pytest.fixture(scope="module")
def metadata(instance: dg.DagsterInstance, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    from pizza_game.definitions import make_definitions

    with pytest.MonkeyPatch.context() as patch:
        for name in OUTSIDE_WORLD:
            patch.delenv(name, raising=False)
        defs = make_definitions(data_dir=str(tmp_path_factory.mktemp("data")), seed=11)
        run_pipeline(pd.Timestamp("2024-10-05", tz="UTC"), pd.Timestamp("2024-10-07", tz="UTC"), defs=defs, instance=instance, log_level="ERROR")
    out = {}
    for name in ASSET_NAMES:
        event = instance.get_latest_materialization_event(dg.AssetKey(name))
        assert event is not None and event.asset_materialization is not None, name
        out[name] = {k: v.value for k, v in event.asset_materialization.metadata.items()}
    return out


@pytest.mark.parametrize("name", ASSET_NAMES)
def test_every_asset_says_how_big_when_how_real_where_and_what(metadata: dict[str, dict], name: str) -> None:
    values = metadata[name]
    assert set(values) >= EVERY_ASSET, EVERY_ASSET - set(values)
    assert values["real_share"] + values["mock_share"] in (0.0, 1.0)
    assert values[ROW_COUNTS.get(name, "dagster/row_count")] >= 0
    assert values[PREVIEWS.get(name, "preview")]


def test_the_summary_says_its_answer_in_words_and_draws_the_lift_per_window(metadata: dict[str, dict]) -> None:
    summary = metadata["correlation_summary"]
    assert summary["headline"].strip().endswith(".")
    assert summary["lift_per_window"].startswith("| window | lift |")


@pytest.mark.parametrize("name", ["raw_orders", "raw_matches"])
def test_a_range_records_its_metadata_once_on_its_last_partition(
    metadata: dict[str, dict], instance: dg.DagsterInstance, name: str
) -> None:
    records = instance.fetch_materializations(dg.AssetKey(name), limit=1000).records
    assert len(records) > 1
    newest, *others = records
    assert newest.asset_materialization is not None
    assert {"storage_uri", "time_range", "preview"} <= set(newest.asset_materialization.metadata)
    assert all(r.asset_materialization is not None and not r.asset_materialization.metadata for r in others)
