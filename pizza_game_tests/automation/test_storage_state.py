"""What a fresh Dagster instance (a Lambda cold start) reads from storage alone: the analysis
outputs downstream assets load, and the history the typical volume is judged against."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pandas as pd

from pizza_game.definitions import ASSETS, make_resources
from pizza_game.partition_keys import RANGE_END, RANGE_START
from pizza_game.runner import run_pipeline
from pizza_game.storage import layout
from pizza_game.storage.store import LocalStore
from pizza_game_tests.automation.test_checks import evaluations, import_orders, run_orders

DAY = pd.Timestamp("2024-10-10", tz="UTC")


def report_as_of(data_dir: Path, tags: dict[str, str] | None = None) -> dg.ExecuteInProcessResult:
    """dashboard_report alone, in a new ephemeral instance that has never seen the analysis."""
    return dg.materialize(
        ASSETS,
        selection=["dashboard_report"],
        resources=make_resources(data_dir=str(data_dir), seed=7),
        instance=dg.DagsterInstance.ephemeral(),
        tags=tags,
        raise_on_error=False,
    )


def as_of(result: dg.ExecuteInProcessResult) -> str:
    (materialization,) = result.asset_materializations_for_node("dashboard_report")
    return str(materialization.metadata["as_of"].value)


def test_a_fresh_instance_loads_the_newest_stored_analysis_at_or_before_its_day(defs, data_dir: Path) -> None:
    missing = report_as_of(data_dir)
    assert not missing.success
    (failure,) = [e for e in missing.all_events if e.is_step_failure]
    message = str(failure.step_failure_data.error.message if failure.step_failure_data.error else "")
    assert ": nothing stored yet in file:" in message and "materialize correlation_analysis first" in message

    for end in (DAY, DAY + pd.Timedelta(days=2)):
        run_pipeline(end - pd.Timedelta(days=2), end, defs=defs, instance=dg.DagsterInstance.ephemeral(), collect_margin=False)

    keys = LocalStore(data_dir).list(layout.CORRELATION_PREFIX)
    stamps = sorted(f"{p[1]:%Y-%m-%d}" for k in keys if (p := layout.parse_dated(k)) and p[2] == "correlation_summary.json")
    assert len(stamps) == 2 and stamps[0] < stamps[1]
    assert as_of(report_as_of(data_dir)) == stamps[1]
    day_before = f"{pd.Timestamp(stamps[1]) - pd.Timedelta(days=1):%Y-%m-%d}"
    assert as_of(report_as_of(data_dir, {RANGE_START: day_before, RANGE_END: day_before})) == stamps[0]


def test_the_typical_volume_on_a_fresh_instance_is_judged_against_stored_hours(defs, data_dir: Path) -> None:
    with dg.instance_for_test() as first:
        run_orders(defs, first, "2024-10-08-18:00", "2024-10-15-17:00")
    import_orders(LocalStore(data_dir), [("R-1", "2024-10-15T18:05:00Z")], "export.csv")
    with dg.instance_for_test() as fresh:
        volume = evaluations(run_orders(defs, fresh, "2024-10-15-18:00", "2024-10-15-18:00"))["typical_volume"]
    assert not volume.passed, volume.description
    assert volume.metadata["history_partitions"].value == 7 * 24
    assert "first run" not in str(volume.description)


def test_merged_volume_on_a_fresh_instance_has_stored_history(defs, data_dir: Path) -> None:
    start = pd.Timestamp("2024-10-01", tz="UTC")
    run_pipeline(start, start + pd.Timedelta(days=8), defs=defs, instance=dg.DagsterInstance.ephemeral(), collect_margin=False)
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def("analysis_job").execute_in_process(
            instance=instance,
            tags={RANGE_START: "2024-10-09", RANGE_END: "2024-10-09"},
            run_config={"ops": {"correlation_analysis": {"config": {"as_of": "2024-10-09"}}}},
        )
    checks = [e for e in result.get_asset_check_evaluations() if e.asset_key == dg.AssetKey("merged_dataset")]
    (volume,) = [e for e in checks if e.check_name == "typical_volume"]
    assert volume.metadata["slots_compared"].value == 1
    assert volume.metadata["history_partitions"].value >= 8
