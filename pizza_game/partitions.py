"""Time partitions: hourly orders, daily matches and merged data, both from the same start date."""

from __future__ import annotations

import dagster as dg

from pizza_game.settings import PIZZA_GAME_START_DATE, env

START_DATE = env(PIZZA_GAME_START_DATE)

hourly_partitions = dg.HourlyPartitionsDefinition(start_date=f"{START_DATE}-00:00", timezone="UTC")

# end_offset=1: today's partition exists while the day runs, so the hourly schedule can refresh
# today's matches (scores arrive after kick-off) and today's merged data.
daily_partitions = dg.DailyPartitionsDefinition(start_date=START_DATE, timezone="UTC", end_offset=1)
