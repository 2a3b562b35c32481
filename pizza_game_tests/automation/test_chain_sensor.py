"""analysis_after_orders: after any run that materialized raw_orders, analysis_job for the days its hours reach."""

from __future__ import annotations

import dagster as dg
import pandas as pd

from pizza_game.assets.raw_orders import raw_orders
from pizza_game.automation import analysis_after_orders, days_after_orders
from pizza_game.partition_keys import PARTITION_TAG, RANGE_END, RANGE_START
from pizza_game.resources.analysis_settings import AnalysisSettings
from pizza_game.runner import run_pipeline
from pizza_game.storage import layout

HOUR = "2024-10-15-13:00"


def sensor_answer(instance: dg.DagsterInstance, cursor: str | None = None) -> dg.SensorResult:
    context = dg.build_sensor_context(
        instance=instance,
        cursor=cursor,
        sensor_name="analysis_after_orders",
        resources={"analysis_settings": AnalysisSettings()},
    )
    answer = analysis_after_orders(context)
    assert isinstance(answer, dg.SensorResult)
    return answer


def run_requests(answer: dg.SensorResult) -> list[dg.RunRequest]:
    return list(answer.run_requests or [])


def skip_message(answer: dg.SensorResult) -> str:
    assert answer.skip_reason is not None and answer.skip_reason.skip_message is not None
    return answer.skip_reason.skip_message


def test_a_scheduled_hour_is_followed_by_the_analysis_of_the_days_it_touches(
    defs: dg.Definitions, fresh_instance: dg.DagsterInstance, data_dir
) -> None:
    orders = defs.resolve_job_def("orders_job").execute_in_process(instance=fresh_instance, partition_key=HOUR)
    # The freshness checks judge the instance, on their own schedule: not part of the pipeline's runs.
    assert {e.check_name for e in orders.get_asset_check_evaluations()} == {
        "schema",
        "unique_order_ids",
        "typical_volume",
        "real_share",
    }
    answer = sensor_answer(fresh_instance)

    (request,) = run_requests(answer)
    assert request.job_name == "analysis_job"
    # 13:00-14:00 is reached by kick-offs from 01:00 that day to 02:00 the next (12-hour windows).
    assert (request.tags[RANGE_START], request.tags[RANGE_END]) == ("2024-10-15", "2024-10-16")
    assert request.run_config["ops"]["correlation_analysis"]["config"]["as_of"] == "2024-10-16"
    assert request.run_key == f"analysis-after-{orders.run_id}"
    # The next tick has nothing new, and says so.
    idle = sensor_answer(fresh_instance, answer.cursor)
    assert run_requests(idle) == [] and "no raw_orders partitions materialized" in skip_message(idle)
    # A sensor restarted from an older cursor asks again with the same run key, and Dagster
    # launches one run per key.
    (again,) = run_requests(sensor_answer(fresh_instance))
    assert again.run_key == request.run_key

    # The request runs as it stands: both days merged, the analysis published.
    analysis = defs.resolve_job_def("analysis_job").execute_in_process(
        instance=fresh_instance, tags=request.tags, run_config=request.run_config
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


def test_any_run_that_materializes_orders_is_followed_whatever_its_job(
    defs: dg.Definitions, fresh_instance: dg.DagsterInstance
) -> None:
    # As the UI's "Materialize" does: the asset itself, outside orders_job, two hours of one day,
    # and then one more hour in a run of its own.
    first = dg.materialize(
        [raw_orders],
        instance=fresh_instance,
        resources=defs.resources,
        tags={RANGE_START: "2024-10-15-13:00", RANGE_END: "2024-10-15-14:00"},
    )
    second = dg.materialize([raw_orders], instance=fresh_instance, resources=defs.resources, partition_key="2024-10-20-13:00")
    assert first.dagster_run.job_name != "orders_job"

    answer = sensor_answer(fresh_instance)

    requests = {r.tags["pizza_game/parent_run"]: r for r in run_requests(answer)}
    assert set(requests) == {first.run_id, second.run_id}  # one analysis per run, not per hour
    assert (requests[first.run_id].tags[RANGE_START], requests[first.run_id].tags[RANGE_END]) == ("2024-10-15", "2024-10-16")
    assert (requests[second.run_id].tags[RANGE_START], requests[second.run_id].tags[RANGE_END]) == ("2024-10-20", "2024-10-21")
    assert second.dagster_run.tags[PARTITION_TAG] == "2024-10-20-13:00"


def test_runs_of_the_runner_are_not_chained_because_the_runner_analyses_them_itself(
    defs: dg.Definitions, fresh_instance: dg.DagsterInstance
) -> None:
    start = pd.Timestamp("2024-10-15T13:00Z")
    summary = run_pipeline(start, start + pd.Timedelta(hours=1), defs=defs, instance=fresh_instance, collect_margin=False)
    orders_run, analysis_run = (fresh_instance.get_run_by_id(run_id) for run_id in summary.run_ids)
    assert orders_run is not None and analysis_run is not None

    answer = sensor_answer(fresh_instance)
    assert run_requests(answer) == [] and orders_run.run_id in skip_message(answer)
    # The runner analysed the days the sensor would have chosen: one rule for both.
    expected = days_after_orders((orders_run.tags[RANGE_START], orders_run.tags[RANGE_END]), AnalysisSettings(), pd.Timestamp.now(tz="UTC"))
    assert (analysis_run.tags[RANGE_START], analysis_run.tags[RANGE_END]) == expected == ("2024-10-15", "2024-10-16")
