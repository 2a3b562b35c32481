"""Partition keys and the time they cover, without Dagster: the arithmetic of partitions.py.

Hourly keys are Dagster's ``%Y-%m-%d-%H:%M`` and daily keys ``%Y-%m-%d``, both in UTC and both
from ``START_DATE``; partitions.py builds the Dagster partitions definitions from these, and
pizza_game_tests/automation/test_partitions.py checks the two agree. The rules translate between
the two grains for the runner, the sensors and storage: which hourly and daily keys a time range
covers, and which days must be merged again when a range of order hours changes.
"""

from __future__ import annotations

import pandas as pd

from pizza_game.model import Span
from pizza_game.settings import PIZZA_GAME_START_DATE, env

_start_date = env(PIZZA_GAME_START_DATE)
assert _start_date is not None, "PIZZA_GAME_START_DATE has a default in settings.DEFAULTS"
START_DATE: str = _start_date
# The start of the first hourly and of the first daily partition.
FIRST = pd.Timestamp(START_DATE, tz="UTC")
HOUR_FORMAT = "%Y-%m-%d-%H:%M"
DAY_FORMAT = "%Y-%m-%d"
# Dagster's run tags for a run's partition (one key) or partition range (single-run backfills).
PARTITION_TAG = "dagster/partition"
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
HOUR = pd.Timedelta(hours=1)
DAY = pd.Timedelta(days=1)


def partition_spans(keys: list[str]) -> list[Span]:
    """The UTC hours (keys like ``2024-05-04-18:00``) or days (``2024-05-04``) the partition keys
    cover, all of one grain (a key of the other grain raises ValueError). Parsed together: a year
    of hours is one call, not 8,760."""
    if not keys:
        return []
    fmt, length = (DAY_FORMAT, DAY) if len(keys[0]) == len("2024-05-04") else (HOUR_FORMAT, HOUR)
    starts = pd.to_datetime(pd.Index(keys), format=fmt, utc=True)
    return [Span(key, start, end) for key, start, end in zip(keys, starts, starts + length, strict=True)]


def partition_span(key: str) -> Span:
    return partition_spans([key])[0]


def run_range(tags: dict[str, str]) -> tuple[str, str] | None:
    """The partition keys a run covers, first and last, from its tags (None if unpartitioned)."""
    if PARTITION_TAG in tags:
        return tags[PARTITION_TAG], tags[PARTITION_TAG]
    if RANGE_START in tags and RANGE_END in tags:
        return tags[RANGE_START], tags[RANGE_END]
    return None


def hour_key(instant: pd.Timestamp) -> str:
    """The key of the hourly partition holding ``instant`` (naive means UTC)."""
    utc = instant.tz_localize("UTC") if instant.tzinfo is None else instant.tz_convert("UTC")
    return utc.floor("h").strftime(HOUR_FORMAT)


def hour_range(start: pd.Timestamp, end: pd.Timestamp) -> tuple[str, str]:
    """First and last hourly partition keys of [start, end)."""
    return hour_key(start), hour_key(end - HOUR)


def day_range(start: pd.Timestamp, end: pd.Timestamp) -> tuple[str, str]:
    """First and last daily partition keys of the days that [start, end) touches."""
    return f"{start:%Y-%m-%d}", f"{end - pd.Timedelta(1, 'ns'):%Y-%m-%d}"


def hours_of_keys(first: str, last: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[start, end) in UTC of the hourly partitions ``first`` to ``last``."""
    return partition_span(first).start, partition_span(last).end


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
    end_of_today = now.tz_convert("UTC").floor("D") + DAY
    return day_range(max(start - after, FIRST), min(end + before, end_of_today))
