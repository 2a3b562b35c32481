"""Time partitions: hourly orders, daily matches and merged data, both from the same start date.

The Dagster definitions only; the key arithmetic they follow (formats, start date, which keys a
time range covers) is pure and lives in partition_keys.py, which storage and the runner use.
"""

from __future__ import annotations

import dagster as dg

from pizza_game.partition_keys import DAY_FORMAT, HOUR_FORMAT, START_DATE

hourly_partitions = dg.HourlyPartitionsDefinition(
    start_date=f"{START_DATE}-00:00", timezone="UTC", fmt=HOUR_FORMAT
)

# end_offset=1: today's partition exists while the day runs, so the hourly schedule can refresh
# today's matches (scores arrive after kick-off) and today's merged data.
daily_partitions = dg.DailyPartitionsDefinition(start_date=START_DATE, timezone="UTC", end_offset=1, fmt=DAY_FORMAT)
