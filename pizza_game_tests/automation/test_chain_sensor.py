"""analysis_after_orders: after orders_job succeeds, analysis_job for the days the hours reach."""

from __future__ import annotations

import dagster as dg
import pandas as pd

from pizza_game.automation import analysis_after_orders, days_after_orders
from pizza_game.partitions import RANGE_END, RANGE_START
from pizza_game.resources import AnalysisSettings
from pizza_game.runner import run_pipeline
from pizza_game.storage import layout

HOUR = "2024-10-15-13:00"


def sensor_answer(instance: dg.DagsterInstance, run: dg.DagsterRun) -> dg.RunRequest | dg.SkipReason:
    success = instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.RUN_SUCCESS).records
    context = dg.build_run_status_sensor_context(
        sensor_name="analysis_after_orders",
        dagster_event=success[0].event_log_entry.dagster_event,
        dagster_instance=instance,
        dagster_run=run,
        resources={"analysis_settings": AnalysisSettings()},
    )
    return analysis_after_orders(context)


def test_a_scheduled_hour_is_followed_by_the_analysis_of_the_days_it_touches(
    defs: dg.Definitions, instance: dg.DagsterInstance, data_dir
) -> None:
    orders = defs.resolve_job_def("orders_job").execute_in_process(instance=instance, partition_key=HOUR)
    # The freshness checks judge the instance, on their own schedule: not part of the pipeline's runs.
    assert {e.check_name for e in orders.get_asset_check_evaluations()} == {
        "schema",
        "unique_order_ids",
        "typical_volume",
        "real_share",
    }
    request = sensor_answer(instance, orders.dagster_run)

    assert isinstance(request, dg.RunRequest)
    assert request.job_name == "analysis_job"
    # 13:00-14:00 is reached by kick-offs from 01:00 that day to 02:00 the next (12-hour windows).
    assert (request.tags[RANGE_START], request.tags[RANGE_END]) == ("2024-10-15", "2024-10-16")
    assert request.run_config["ops"]["correlation_analysis"]["config"]["as_of"] == "2024-10-16"
    assert request.run_key == f"analysis-after-{orders.run_id}"
    # A restarted sensor asks again with the same run key, and Dagster launches one run per key.
    again = sensor_answer(instance, orders.dagster_run)
    assert isinstance(again, dg.RunRequest) and again.run_key == request.run_key

    # The request runs as it stands: both days merged, the analysis published.
    analysis = defs.resolve_job_def("analysis_job").execute_in_process(
        instance=instance, tags=request.tags, run_config=request.run_config
    )
    assert analysis.success
    checks = {(e.asset_key.to_user_string(), e.check_name): e for e in analysis.get_asset_check_evaluations()}
    assert checks[("quicksight_manifest", "manifest_valid")].passed
    assert checks[("merged_dataset", "schema")].passed
    assert checks[("raw_matches", "unique_match_ids")].passed
    # Generated data only: the real-share checks warn, and only they fail.
    assert {key for key, e in checks.items() if not e.passed} == {("raw_matches", "real_share"), ("merged_dataset", "real_share")}
    for day in ("2024-10-15", "2024-10-16"):
        assert (data_dir / layout.merged_keys(pd.Timestamp(day, tz="UTC"))["json"]).is_file()
    assert (data_dir / layout.MANIFEST_KEY).is_file()


def test_runs_of_the_runner_are_not_chained_because_the_runner_analyses_them_itself(
    defs: dg.Definitions, instance: dg.DagsterInstance
) -> None:
    start = pd.Timestamp("2024-10-15T13:00Z")
    summary = run_pipeline(start, start + pd.Timedelta(hours=1), defs=defs, instance=instance, collect_margin=False)
    orders_run, analysis_run = (instance.get_run_by_id(run_id) for run_id in summary.run_ids)

    assert isinstance(sensor_answer(instance, orders_run), dg.SkipReason)
    # The runner analysed the days the sensor would have chosen: one rule for both.
    expected = days_after_orders((orders_run.tags[RANGE_START], orders_run.tags[RANGE_END]), AnalysisSettings(), pd.Timestamp.now(tz="UTC"))
    assert (analysis_run.tags[RANGE_START], analysis_run.tags[RANGE_END]) == expected == ("2024-10-15", "2024-10-16")
