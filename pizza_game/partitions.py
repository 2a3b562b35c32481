"""Time partitions: hourly orders, daily matches and merged data, both from the same start date.

Also the rules that translate between the two grains, shared by the runner and the sensors:
which hourly and daily keys a time range covers, and which days must be merged again when a
range of order hours changes.
"""

from __future__ import annotations

import dagster as dg
import pandas as pd

from pizza_game.settings import PIZZA_GAME_START_DATE, env

START_DATE = env(PIZZA_GAME_START_DATE)
# Dagster's run tags for a run's partition (one key) or partition range (single-run backfills).
PARTITION_TAG = "dagster/partition"
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
HOUR = pd.Timedelta(hours=1)
DAY = pd.Timedelta(days=1)

hourly_partitions = dg.HourlyPartitionsDefinition(start_date=f"{START_DATE}-00:00", timezone="UTC")

# end_offset=1: today's partition exists while the day runs, so the hourly schedule can refresh
# today's matches (scores arrive after kick-off) and today's merged data.
daily_partitions = dg.DailyPartitionsDefinition(start_date=START_DATE, timezone="UTC", end_offset=1)


def run_range(tags: dict[str, str]) -> tuple[str, str] | None:
    """The partition keys a run covers, first and last, from its tags (None if unpartitioned)."""
    if PARTITION_TAG in tags:
        return tags[PARTITION_TAG], tags[PARTITION_TAG]
    if RANGE_START in tags and RANGE_END in tags:
        return tags[RANGE_START], tags[RANGE_END]
    return None


def hour_range(start: pd.Timestamp, end: pd.Timestamp) -> tuple[str, str]:
    """First and last hourly partition keys of [start, end)."""
    return hourly_partitions.get_partition_key_for_timestamp(start.timestamp()), (
        hourly_partitions.get_partition_key_for_timestamp((end - HOUR).timestamp())
    )


def day_range(start: pd.Timestamp, end: pd.Timestamp) -> tuple[str, str]:
    """First and last daily partition keys of the days that [start, end) touches."""
    return f"{start:%Y-%m-%d}", f"{end - pd.Timedelta(1, 'ns'):%Y-%m-%d}"


def hours_of_keys(first: str, last: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[start, end) in UTC of the hourly partitions ``first`` to ``last``."""
    start = hourly_partitions.time_window_for_partition_key(first).start
    end = hourly_partitions.time_window_for_partition_key(last).end
    return pd.Timestamp(start).tz_convert("UTC"), pd.Timestamp(end).tz_convert("UTC")


def days_reached(
    start: pd.Timestamp,
    end: pd.Timestamp,
    *,
    before: pd.Timedelta,
    after: pd.Timedelta,
    now: pd.Timestamp,
) -> tuple[str, str]:
    """First and last daily keys of the days whose match windows reach into the hours [start, end).

    A match kicking off at k has windows over [k - before, k + after), so it sees those hours when
    start - after < k < end + before. Its day is merged (and analysed) again when they change.
    Days before the first partition or after today (the last partition that exists) are left out.
    """
    first_day = pd.Timestamp(daily_partitions.start).tz_convert("UTC")
    end_of_today = now.tz_convert("UTC").floor("D") + DAY
    return day_range(max(start - after, first_day), min(end + before, end_of_today))
