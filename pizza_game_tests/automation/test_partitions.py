"""The partition mappings as Dagster resolves them, and the days-reached rule shared by the
runner and the analysis_after_orders sensor."""

from __future__ import annotations

import dagster as dg
import pandas as pd
import pytest

from pizza_game.automation import days_after_orders
from pizza_game.partition_keys import (
    FIRST,
    days_reached,
    hour_range,
    hours_of_keys,
    partition_spans,
    run_range,
)
from pizza_game.partitions import daily_partitions, hourly_partitions
from pizza_game.resources.analysis_settings import AnalysisSettings

NOW = pd.Timestamp("2024-11-01T00:00Z")


def parents(defs: dg.Definitions, child: str, parent: str, key: str) -> list[str]:
    result = defs.resolve_asset_graph().get_parent_partition_keys_for_child(key, dg.AssetKey(parent), dg.AssetKey(child))
    return sorted(result.partitions_subset.get_partition_keys())


def test_a_merged_day_reads_the_order_hours_of_the_day_before_to_the_day_after(defs: dg.Definitions) -> None:
    hours = parents(defs, "merged_dataset", "raw_orders", "2024-10-15")
    assert len(hours) == 72
    assert hours[0] == "2024-10-14-00:00"
    assert hours[-1] == "2024-10-16-23:00"


def test_a_merged_day_reads_its_own_day_of_matches(defs: dg.Definitions) -> None:
    assert parents(defs, "merged_dataset", "raw_matches", "2024-10-15") == ["2024-10-15"]


def test_the_first_day_reads_no_hours_before_the_first_partition(defs: dg.Definitions) -> None:
    hours = parents(defs, "merged_dataset", "raw_orders", "2015-01-01")
    assert hours[0] == "2015-01-01-00:00"
    assert len(hours) == 48


@pytest.mark.parametrize("partitions_def", [hourly_partitions, daily_partitions], ids=["hourly", "daily"])
def test_the_pure_key_arithmetic_agrees_with_the_dagster_partitions(partitions_def: dg.TimeWindowPartitionsDefinition) -> None:
    # Keys at the start, across DST changes (the partitions are UTC: no hour is skipped or doubled),
    # at a leap day and at today's end, each with the span Dagster gives it.
    keys = partitions_def.get_partition_keys(current_time=NOW.to_pydatetime())
    sample = list(keys[:3]) + [k for k in keys if k[:10] in ("2016-02-29", "2024-03-31", "2024-10-27")] + list(keys[-3:])
    spans = partition_spans(sample)
    for key, span in zip(sample, spans, strict=True):
        window = partitions_def.time_window_for_partition_key(key)
        assert (span.key, span.start, span.end) == (key, pd.Timestamp(window.start), pd.Timestamp(window.end))
    assert pd.Timestamp(partitions_def.start) == FIRST


def test_hour_range_gives_the_keys_dagster_gives_those_instants() -> None:
    start, end = pd.Timestamp("2024-03-31T00:30Z"), pd.Timestamp("2024-03-31T05:00+02:00")
    first, last = hour_range(start, end)
    assert first == hourly_partitions.get_partition_key_for_timestamp(start.timestamp()) == "2024-03-31-00:00"
    assert last == hourly_partitions.get_partition_key_for_timestamp((end - pd.Timedelta("1h")).timestamp()) == "2024-03-31-02:00"
    assert hour_range(pd.Timestamp("2024-05-04 18:10"), pd.Timestamp("2024-05-04 20:00")) == ("2024-05-04-18:00", "2024-05-04-19:00")


def test_the_days_reached_by_an_afternoon_hour_are_that_day_and_the_next() -> None:
    # Windows reach 12 h before and after kick-off (the 24-hour "extended" window).
    start = pd.Timestamp("2024-10-15T13:00Z")
    days = days_reached(start, start + pd.Timedelta(hours=1), before=pd.Timedelta(hours=12), after=pd.Timedelta(hours=12), now=NOW)
    assert days == ("2024-10-15", "2024-10-16")


def test_the_days_reached_by_the_first_hour_of_a_day_include_the_day_before() -> None:
    start = pd.Timestamp("2024-10-15T00:00Z")
    days = days_reached(start, start + pd.Timedelta(hours=1), before=pd.Timedelta(hours=12), after=pd.Timedelta(hours=12), now=NOW)
    assert days == ("2024-10-14", "2024-10-15")


def test_days_after_today_do_not_exist_yet() -> None:
    now = pd.Timestamp("2024-10-15T14:10Z")
    start = pd.Timestamp("2024-10-15T13:00Z")
    days = days_reached(start, start + pd.Timedelta(hours=1), before=pd.Timedelta(hours=12), after=pd.Timedelta(hours=12), now=now)
    assert days == ("2024-10-15", "2024-10-15")


def test_short_windows_reach_fewer_days() -> None:
    settings = AnalysisSettings(pre_minutes=60, during_minutes=120, post_minutes=60, extended_minutes=240)
    # Windows reach 2 h before and 3 h after kick-off: 13:00-14:00 only concerns that day.
    assert days_after_orders(("2024-10-15-13:00", "2024-10-15-13:00"), settings, NOW) == ("2024-10-15", "2024-10-15")
    # 23:00-24:00 is seen by kick-offs up to 01:59 the next day.
    assert days_after_orders(("2024-10-15-23:00", "2024-10-15-23:00"), settings, NOW) == ("2024-10-15", "2024-10-16")


def test_hour_keys_translate_to_their_time_span() -> None:
    start, end = hours_of_keys("2024-10-15-22:00", "2024-10-16-01:00")
    assert (start, end) == (pd.Timestamp("2024-10-15T22:00Z"), pd.Timestamp("2024-10-16T02:00Z"))


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"dagster/partition": "2024-10-15-13:00"}, ("2024-10-15-13:00", "2024-10-15-13:00")),
        (
            {"dagster/asset_partition_range_start": "2024-10-01", "dagster/asset_partition_range_end": "2024-10-03"},
            ("2024-10-01", "2024-10-03"),
        ),
        ({"other": "x"}, None),
    ],
)
def test_a_runs_partitions_come_from_its_tags(tags: dict[str, str], expected: tuple[str, str] | None) -> None:
    assert run_range(tags) == expected
