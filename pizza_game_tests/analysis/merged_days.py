"""Analyse canonical orders the way production does: merge each UTC day alone, as the
``merged_dataset`` asset does (``merge_day``), then ``analyse`` the concatenated days.

The analysis tests and benchmarks/ (analysis_speed, analysis_calibration, anomaly_calibration)
start from canonical orders through here, so they measure the one merge path production runs."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from pizza_game.analysis.config import AnalysisConfig
from pizza_game.analysis.engine import AnalysisResult, analyse
from pizza_game.analysis.merge import merge_day
from pizza_game.analysis.windows import DEFAULT_WINDOWS, WindowConfig
from pizza_game.model import MergedDay, to_ns

DAY = pd.Timedelta(days=1)


class MergedTables(NamedTuple):
    """The tables of several merged days, concatenated (what ``analyse`` takes)."""

    series: pd.DataFrame
    windows: pd.DataFrame
    matches: pd.DataFrame


def concat_days(days: list[MergedDay]) -> MergedTables:
    return MergedTables(
        pd.concat([d.series for d in days], ignore_index=True),
        pd.concat([d.windows for d in days], ignore_index=True),
        pd.concat([d.matches for d in days], ignore_index=True),
    )


def merge_days(
    orders: pd.DataFrame,
    matches: pd.DataFrame,
    start: pd.Timestamp,
    end: pd.Timestamp,
    hours_present: pd.DatetimeIndex,
    config: WindowConfig = DEFAULT_WINDOWS,
) -> list[MergedDay]:
    """The merged days in [start, end), each from the orders and data hours of D-1 .. D+1 and the
    matches kicking off on D (what ``merged_dataset`` reads)."""
    orders = orders.sort_values("ordered_at", kind="stable", ignore_index=True)
    order_ns = to_ns(orders["ordered_at"])
    out = []
    for day in pd.date_range(start, end - DAY, freq="D"):
        lo, hi = np.searchsorted(order_ns, [(day - DAY).value, (day + 2 * DAY).value])
        near = hours_present[(hours_present >= day - DAY) & (hours_present < day + 2 * DAY)]
        on_day = matches[(matches["kickoff_at"] >= day) & (matches["kickoff_at"] < day + DAY)]
        out.append(merge_day(day, orders.iloc[lo:hi], on_day, near, config))
    return out


def analyse_orders(
    orders: pd.DataFrame,
    matches: pd.DataFrame,
    config: AnalysisConfig,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
) -> AnalysisResult:
    """Merge canonical orders and matches day by day over [start, end) and analyse.

    ``start``/``end`` default to the UTC days of the first and last order. Raw data exists from
    the hour of the first order to the hour of the last one (an hour without orders in between is
    a real zero); hours outside are not covered.
    """
    first, last = orders["ordered_at"].min().floor("h"), orders["ordered_at"].max().floor("h")
    start = first.floor("D") if start is None else pd.Timestamp(start)
    end = last.floor("D") + DAY if end is None else pd.Timestamp(end)
    hours = pd.date_range(first, last, freq="h")
    merged = concat_days(merge_days(orders, matches, start, end, hours, config.windows))
    return analyse(merged.series, merged.windows, merged.matches, config)
