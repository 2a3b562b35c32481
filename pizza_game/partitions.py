"""Time partitions: hourly orders, daily matches and merged data, both from the same start date.

Also the rules that translate between the two grains, shared by the runner and the sensors:
which hourly and daily keys a time range covers, and which days must be merged again when a
range of order hours changes; and the longest range one run may cover (``refusal``).
"""

from __future__ import annotations

import dagster as dg
import pandas as pd

from pizza_game.settings import PIZZA_GAME_MAX_RUN_DAYS, PIZZA_GAME_START_DATE, env

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


def max_run_days() -> int:
    """PIZZA_GAME_MAX_RUN_DAYS, read when a run starts; ValueError (one line) when it is no number of days."""
    text = env(PIZZA_GAME_MAX_RUN_DAYS)
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{PIZZA_GAME_MAX_RUN_DAYS} must be a whole number of days, 1 or more (got {text!r})")
    return int(text)


def refusal(what: str, partitions_def: dg.TimeWindowPartitionsDefinition, first: str, last: str) -> str | None:
    """None when a run over the keys ``first`` to ``last`` may go ahead, else the one line why not.

    A run may touch at most PIZZA_GAME_MAX_RUN_DAYS UTC days, so "All partitions" (every hour since
    the start date) or a mistyped year fails at once instead of collecting years of data; a longer
    range is run deliberately by raising the setting, to the figure the line gives.
    """
    start = pd.Timestamp(partitions_def.time_window_for_partition_key(first).start).tz_convert("UTC")
    end = pd.Timestamp(partitions_def.time_window_for_partition_key(last).end).tz_convert("UTC")
    first_day, last_day = day_range(start, end)
    days = (pd.Timestamp(last_day) - pd.Timestamp(first_day)).days + 1
    limit = max_run_days()
    if days <= limit:
        return None
    return (
        f"{what} covers {days:,} days ({first_day} to {last_day}), more than {PIZZA_GAME_MAX_RUN_DAYS}={limit} "
        f"allows: choose a shorter range, or run it deliberately with {PIZZA_GAME_MAX_RUN_DAYS}={days} set "
        "(for the UI, in the environment of `make ui`)"
    )
