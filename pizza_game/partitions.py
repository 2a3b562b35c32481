"""Time partitions: hourly orders, daily matches and merged data, both from the same start date.

The Dagster definitions only; the key arithmetic they follow (formats, start date, which keys a
time range covers) is pure and lives in partition_keys.py, which storage and the runner use.
Also the longest range one run may cover (``refusal``).
"""

from __future__ import annotations

import dagster as dg
import pandas as pd

from pizza_game.partition_keys import DAY_FORMAT, HOUR_FORMAT, START_DATE, day_range
from pizza_game.settings import PIZZA_GAME_MAX_RUN_DAYS, env

hourly_partitions = dg.HourlyPartitionsDefinition(
    start_date=f"{START_DATE}-00:00", timezone="UTC", fmt=HOUR_FORMAT
)

# end_offset=1: today's partition exists while the day runs, so the hourly schedule can refresh
# today's matches (scores arrive after kick-off) and today's merged data.
daily_partitions = dg.DailyPartitionsDefinition(start_date=START_DATE, timezone="UTC", end_offset=1, fmt=DAY_FORMAT)


def max_run_days() -> int:
    """PIZZA_GAME_MAX_RUN_DAYS, read when a run starts; ValueError (one line) when it is no number of days."""
    text = env(PIZZA_GAME_MAX_RUN_DAYS) or ""
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
