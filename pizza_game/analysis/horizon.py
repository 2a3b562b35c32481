"""The analysis horizon: which merged days one analysis reads, and what its summary says of them."""

from __future__ import annotations

from typing import Any

import pandas as pd

from pizza_game.analysis.summary import rejected_rows
from pizza_game.model import MergedDay
from pizza_game.storage import layout
from pizza_game.storage.lookup import newest_day
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


def concat_days(days: list[MergedDay]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The series, windows and matches tables of several merged days, stacked."""
    if not days:
        raise ValueError("no merged data in the analysis horizon: materialize merged_dataset first")
    return (
        pd.concat([d.series for d in days], ignore_index=True),
        pd.concat([d.windows for d in days], ignore_index=True),
        pd.concat([d.matches for d in days], ignore_index=True),
    )


def horizon_summary(summary: dict[str, Any], days: list[MergedDay], as_of: pd.Timestamp, horizon_days: int) -> dict[str, Any]:
    """The analysis's ``summary`` with what it rests on: the horizon, the days read of it, and the
    rows their merge rejected."""
    return {
        **summary,
        "data_quality": {
            **summary["data_quality"],
            "rejected": rejected_rows([d.coverage for d in days]),
        },
        "as_of": f"{as_of:%Y-%m-%d}",
        "days_analysed": len(days),
        "horizon_days": horizon_days,
    }
