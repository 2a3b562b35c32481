"""The analysis horizon: which merged days one analysis reads, and what its summary says of them."""

from __future__ import annotations

from typing import Any

import pandas as pd

from pizza_game.analysis.summary import rejected_rows
from pizza_game.storage import layout
from pizza_game.storage.lookup import newest_day
from pizza_game.storage.stacked_days import StackedDays
from pizza_game.storage.store import ObjectStore


def analysis_horizon(as_of: pd.Timestamp, horizon_days: int) -> pd.DatetimeIndex:
    """The ``horizon_days`` days that end on ``as_of``."""
    return pd.date_range(end=as_of, periods=horizon_days, freq="D")


def latest_merged_day(store: ObjectStore) -> pd.Timestamp:
    """The newest day with merged data."""
    newest = newest_day(store, layout.MERGED_PREFIX)
    if newest is None:
        raise ValueError("no merged data yet: materialize merged_dataset first")
    return newest


def horizon_tables(days: StackedDays) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The series, windows and matches tables of the merged days read, stacked."""
    if not len(days):
        raise ValueError("no merged data in the analysis horizon: materialize merged_dataset first")
    return days.tables["series"], days.tables["windows"], days.tables["matches"]


def horizon_summary(summary: dict[str, Any], coverage: list[dict], as_of: pd.Timestamp, horizon_days: int) -> dict[str, Any]:
    """The analysis's ``summary`` with what it rests on: the horizon, the days read of it (their
    ``coverage``), and the rows their merge rejected."""
    return {
        **summary,
        "data_quality": {
            **summary["data_quality"],
            "rejected": rejected_rows(coverage),
        },
        "as_of": f"{as_of:%Y-%m-%d}",
        "days_analysed": len(coverage),
        "horizon_days": horizon_days,
    }
