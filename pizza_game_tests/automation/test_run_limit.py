"""No run covers more than PIZZA_GAME_MAX_RUN_DAYS days: "All partitions" (every hour since the start
date, what the UI's "Materialize all" offers) or a mistyped year fails at once with one line that
says how to run it deliberately, and nothing is collected."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from pizza_game import settings
from pizza_game.partition_keys import RANGE_END, RANGE_START
from pizza_game.partitions import daily_partitions, hourly_partitions, refusal

NOW = pd.Timestamp.now(tz="UTC")
FIRST_HOUR = str(hourly_partitions.get_first_partition_key())
LAST_HOUR = str(hourly_partitions.get_last_partition_key())


def test_every_hour_since_the_start_date_is_refused_by_default_with_the_figure_that_allows_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(settings.PIZZA_GAME_MAX_RUN_DAYS, raising=False)
    days = (NOW.floor("h") - pd.Timestamp(FIRST_HOUR[:10], tz="UTC")).days + 1
    why = refusal("raw_orders: this run", hourly_partitions, FIRST_HOUR, LAST_HOUR)
    assert why == (
        f"raw_orders: this run covers {days:,} days (2015-01-01 to {LAST_HOUR[:10]}), more than "
        "PIZZA_GAME_MAX_RUN_DAYS=400 allows: choose a shorter range, or run it deliberately with "
        f"PIZZA_GAME_MAX_RUN_DAYS={days} set (for the UI, in the environment of `make ui`)"
    )
    monkeypatch.setenv(settings.PIZZA_GAME_MAX_RUN_DAYS, str(days))
    assert refusal("raw_orders: this run", hourly_partitions, FIRST_HOUR, LAST_HOUR) is None


def test_the_limit_counts_the_utc_days_a_range_touches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(settings.PIZZA_GAME_MAX_RUN_DAYS, "2")
    # 25 hours from noon touch three days; two days of daily keys are two.
    assert "covers 3 days (2024-10-01 to 2024-10-03)" in str(refusal("x", hourly_partitions, "2024-10-01-12:00", "2024-10-03-00:00"))
    assert refusal("x", hourly_partitions, "2024-10-01-00:00", "2024-10-02-23:00") is None
    assert refusal("x", daily_partitions, "2024-10-01", "2024-10-02") is None
    assert "covers 3 days" in str(refusal("x", daily_partitions, "2024-10-01", "2024-10-03"))


@pytest.mark.parametrize("value", ["0", "ten", "-5", "1.5"])
def test_a_limit_that_is_no_number_of_days_is_one_clear_line(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(settings.PIZZA_GAME_MAX_RUN_DAYS, value)
    with pytest.raises(ValueError, match=rf"^PIZZA_GAME_MAX_RUN_DAYS must be a whole number of days, 1 or more \(got '{value}'\)$"):
        refusal("x", daily_partitions, "2024-10-01", "2024-10-01")


def _failure(result: dg.ExecuteInProcessResult) -> str:
    (event,) = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    failure = event.step_failure_data.user_failure_data
    assert failure is not None
    return str(failure.description)


@pytest.mark.parametrize(
    ("job", "first", "last", "asset"),
    [
        ("orders_job", "2024-10-01-00:00", "2024-10-05-23:00", "raw_orders"),
        ("analysis_job", "2024-10-01", "2024-10-05", "raw_matches"),
    ],
)
def test_a_run_over_the_limit_fails_at_once_and_collects_nothing(
    defs: dg.Definitions, instance: dg.DagsterInstance, data_dir: Path, monkeypatch: pytest.MonkeyPatch, job, first, last, asset
) -> None:
    # Five days against a limit of four stands in for "All partitions" (every hour since 2015,
    # refused the same way above): Dagster records a planned event per partition before a run
    # starts, minutes for 100,000 hours.
    monkeypatch.setenv(settings.PIZZA_GAME_MAX_RUN_DAYS, "4")
    result = defs.resolve_job_def(job).execute_in_process(
        instance=instance, tags={RANGE_START: first, RANGE_END: last}, raise_on_error=False
    )
    assert not result.success
    message = _failure(result)
    assert message == (
        f"{asset}: this run covers 5 days (2024-10-01 to 2024-10-05), more than PIZZA_GAME_MAX_RUN_DAYS=4 allows: "
        "choose a shorter range, or run it deliberately with PIZZA_GAME_MAX_RUN_DAYS=5 set (for the UI, in the "
        "environment of `make ui`)"
    )
    assert result.get_asset_materialization_events() == []
    # No retry (the collectors' retry policy would otherwise start it twice more) and no data.
    assert not [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]
    assert not [p for p in data_dir.rglob("*") if p.is_file()]


def test_raising_the_limit_runs_a_longer_range_deliberately(
    defs: dg.Definitions, instance: dg.DagsterInstance, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tags = {RANGE_START: "2024-10-01-00:00", RANGE_END: "2024-10-03-23:00"}
    monkeypatch.setenv(settings.PIZZA_GAME_MAX_RUN_DAYS, "2")
    refused = defs.resolve_job_def("orders_job").execute_in_process(instance=instance, tags=tags, raise_on_error=False)
    assert not refused.success and "PIZZA_GAME_MAX_RUN_DAYS=3 set" in _failure(refused)
    monkeypatch.setenv(settings.PIZZA_GAME_MAX_RUN_DAYS, "3")
    done = defs.resolve_job_def("orders_job").execute_in_process(instance=instance, tags=tags)
    assert done.success
    assert len(done.get_asset_materialization_events()) == 72


def test_the_cli_refuses_a_mistyped_year_before_any_run(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    done = subprocess.run(
        # 2015 for 2024: nine years instead of one month.
        [sys.executable, "-m", "pizza_game.cli", "run", "--start", "2015-10-01", "--end", "2024-10-31", "--data-dir", str(tmp_path / "data")],
        capture_output=True,
        text=True,
        timeout=300,
        env={**{k: v for k, v in os.environ.items() if k != settings.PIZZA_GAME_MAX_RUN_DAYS}, "DAGSTER_HOME": str(home)},
    )
    assert done.returncode == 2, done.stderr
    line = done.stderr.strip().splitlines()[-1]
    # The orders run reaches half a day beyond either end: the edge days' match windows.
    assert line.startswith("pizza-game: error: 2015-10-01 to 2024-10-31: its orders run covers 3,321 days (2015-09-30 to 2024-11-01)")
    assert "PIZZA_GAME_MAX_RUN_DAYS=3321 set" in line and "Traceback" not in done.stderr
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.get_runs() == []
    assert not (tmp_path / "data" / "raw-data").exists()
