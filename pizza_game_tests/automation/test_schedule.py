"""The hourly schedule: at each hour, orders_job for the hour that just ended."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg


def tick(defs: dg.Definitions, at: datetime) -> list[dg.RunRequest]:
    schedule = defs.resolve_schedule_def("hourly_schedule")
    context = dg.build_schedule_context(scheduled_execution_time=at, repository_def=defs.get_repository_def())
    return list(schedule.evaluate_tick(context).run_requests or [])


def test_runs_every_hour_on_the_hour_in_utc(defs: dg.Definitions) -> None:
    schedule = defs.resolve_schedule_def("hourly_schedule")
    assert schedule.cron_schedule == "0 * * * *"
    assert schedule.execution_timezone in (None, "UTC")
    assert schedule.job_name == "orders_job"


def test_collects_the_hour_that_just_ended(defs: dg.Definitions) -> None:
    (request,) = tick(defs, datetime(2024, 10, 15, 14, 0, tzinfo=UTC))
    assert request.partition_key == "2024-10-15-13:00"
    # Resolved against orders_job: the run carries Dagster's partition tag.
    assert request.tags["dagster/partition"] == "2024-10-15-13:00"


def test_the_midnight_run_collects_the_last_hour_of_the_day_before(defs: dg.Definitions) -> None:
    (request,) = tick(defs, datetime(2024, 10, 16, 0, 0, tzinfo=UTC))
    assert request.partition_key == "2024-10-15-23:00"


def test_the_pipeline_jobs_run_in_one_process(defs: dg.Definitions) -> None:
    for name in ("orders_job", "analysis_job", "freshness_job"):
        assert defs.resolve_job_def(name).executor_def.name == "in_process"


def test_the_freshness_checks_run_at_half_past_every_hour(defs: dg.Definitions) -> None:
    schedule = defs.resolve_schedule_def("freshness_schedule")
    assert (schedule.cron_schedule, schedule.execution_timezone, schedule.job_name) == ("30 * * * *", "UTC", "freshness_job")
