"""The canonical tables every source is normalized to: their columns and dtypes, the values a
match's status and winner may take, and the empty and coerced forms of each table.

``pizza_game.normalize`` turns any source's records into these tables.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import pandas as pd

SOURCES = ("real", "mock")

ORDER_COLUMNS: dict[str, str] = {
    "order_id": "str",
    "ordered_at": "datetime64[ns, UTC]",
    "store_id": "str",
    "region": "str",
    "items": "int64",
    "total": "float64",
    "source": "str",
}

MATCH_COLUMNS: dict[str, str] = {
    "match_id": "str",
    "competition": "str",
    "kickoff_at": "datetime64[ns, UTC]",
    "kickoff_known": "bool",
    "status": "str",
    "stage": "str",
    "matchday": "Int64",
    "home_team": "str",
    "away_team": "str",
    "home_score": "Int64",
    "away_score": "Int64",
    "home_score_ht": "Int64",
    "away_score_ht": "Int64",
    "winner": "str",
    "source": "str",
}

REJECTED_COLUMNS: dict[str, str] = {"where": "str", "reason": "str", "record": "str"}

# football-data.org v4 statuses (both spellings of cancelled exist in the wild).
MATCH_STATUSES = (
    "SCHEDULED",
    "TIMED",
    "IN_PLAY",
    "PAUSED",
    "FINISHED",
    "POSTPONED",
    "SUSPENDED",
    "CANCELLED",
    "CANCELED",
    "AWARDED",
)
# Matches that kicked off (AWARDED results may come from a decision, not a game): the only ones
# the analysis uses.
PLAYED_STATUSES = ("IN_PLAY", "PAUSED", "FINISHED")
WINNERS = ("HOME_TEAM", "AWAY_TEAM", "DRAW")

@dataclass(frozen=True)
class Normalized:
    """Rows that passed (typed, canonical) and rows that did not (with a reason each)."""

    rows: pd.DataFrame
    rejected: pd.DataFrame


def empty_table(columns: dict[str, str]) -> pd.DataFrame:
    # A copy of one typed template: building the table costs a millisecond, and every raw
    # partition of a range holds an empty one (rejected rows, hours without orders).
    return _empty_template(tuple(columns.items())).copy()


@functools.cache
def _empty_template(columns: tuple[tuple[str, str], ...]) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in columns})


def empty_orders() -> pd.DataFrame:
    return empty_table(ORDER_COLUMNS)


def empty_matches() -> pd.DataFrame:
    return empty_table(MATCH_COLUMNS)


def empty_rejected() -> pd.DataFrame:
    return empty_table(REJECTED_COLUMNS)


def coerce(table: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """``table`` with exactly ``columns``, in order, cast to their canonical dtypes."""
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"table lacks canonical columns {missing}")
    out = {}
    for name, dtype in columns.items():
        values = table[name]
        if dtype == "str":
            if not values.hasnans and pd.api.types.infer_dtype(values, skipna=False) == "string":
                # Every value a str (pandas' str dtype or objects): no NA to turn into None.
                out[name] = values if values.dtype == object else values.astype(object)
                continue
            if values.dtype != object or pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
                values = values.astype("string").astype(object)
            out[name] = values.where(values.notna(), None)
        elif dtype.startswith("datetime64"):
            if str(values.dtype) != dtype:
                text = values.dtype == object or pd.api.types.is_string_dtype(values)
                values = pd.to_datetime(values, utc=True, format="ISO8601" if text else None).astype(pd.api.types.pandas_dtype(dtype))
            out[name] = values
        else:
            out[name] = values if str(values.dtype) == dtype else values.astype(pd.api.types.pandas_dtype(dtype))
    return pd.DataFrame(out).reset_index(drop=True)
