"""The freshness checks, run by freshness_job: is the hourly pipeline keeping up?"""

from __future__ import annotations

import dagster as dg
import pandas as pd

from pizza_game.runner import run_pipeline


def freshness(defs: dg.Definitions, instance: dg.DagsterInstance) -> dict[str, dg.AssetCheckEvaluation]:
    result = defs.resolve_job_def("freshness_job").execute_in_process(instance=instance)
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def test_without_runs_nothing_is_fresh(defs: dg.Definitions, fresh_instance: dg.DagsterInstance) -> None:
    checks = freshness(defs, fresh_instance)
    assert not checks["orders_fresh"].passed
    assert checks["orders_fresh"].description == "No hour of orders of the last 24 hours has been collected."
    assert not checks["published_recently"].passed


def test_after_the_hour_that_just_ended_ran_orders_and_the_dashboard_are_fresh(
    defs: dg.Definitions, fresh_instance: dg.DagsterInstance
) -> None:
    end = pd.Timestamp.now(tz="UTC").floor("h")
    run_pipeline(end - pd.Timedelta(hours=1), end, defs=defs, instance=fresh_instance, collect_margin=False)
    checks = freshness(defs, fresh_instance)
    assert checks["orders_fresh"].passed, checks["orders_fresh"].description
    assert checks["published_recently"].passed, checks["published_recently"].description


def test_an_hour_collected_long_ago_is_stale(defs: dg.Definitions, fresh_instance: dg.DagsterInstance) -> None:
    old = pd.Timestamp.now(tz="UTC").floor("h") - pd.Timedelta(hours=6)
    defs.resolve_job_def("orders_job").execute_in_process(
        instance=fresh_instance, partition_key=old.strftime("%Y-%m-%d-%H:%M")
    )
    check = freshness(defs, fresh_instance)["orders_fresh"]
    assert not check.passed and "old, more than the 90 min allowed" in str(check.description)
