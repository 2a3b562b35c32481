"""The checks and conversions orders and matches share: flat records, required columns, whole and
finite numbers, the first problem of each row, duplicates, and the rejected table they all feed."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pizza_game.normalize.json_text import record_json
from pizza_game.schema import SOURCES, empty_rejected

# Whole numbers beyond this lose precision as floats: never cast them.
MAX_EXACT = 2**53

# A reason and the rows it applies to; a row is rejected for the first reason that applies.
Problem = tuple[str, np.ndarray]


def check_source(source: str) -> None:
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, not {source!r}")


def nested(records: pd.DataFrame) -> Problem:
    """Rows holding an object or an array in some field (records are flat tables)."""
    bad = np.zeros(len(records), dtype=bool)
    for name in records.columns:
        if name != "_where" and records[name].dtype == object:
            bad |= records[name].map(lambda v: isinstance(v, (dict, list, tuple))).to_numpy(dtype=bool)
    return "a field holds a nested object or array (records must be flat)", bad


def required(records: pd.DataFrame, where: str, kind: str, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in records.columns]
    if missing:
        raise ValueError(
            f"{where}: {kind} need the column(s) {', '.join(missing)}, which the file lacks; "
            f"found {sorted(str(c) for c in records.columns if c != '_where')}"
        )


def row_origins(records: pd.DataFrame, where: str) -> pd.Series:
    """Where each record came from: its ``_where`` column, or ``where`` and its row number."""
    if "_where" in records.columns:
        return records["_where"].astype(str)
    return pd.Series([f"{where} row {i}" for i in range(len(records))], index=records.index)


def time_problems(problem: np.ndarray) -> list[Problem]:
    """The reasons ``parse_utc`` gave, one Problem each."""
    return [(text, problem == text) for text in pd.unique(problem) if text]


def first_problem(problems: list[Problem], n: int) -> np.ndarray:
    reason = np.full(n, "", dtype=object)
    for text, mask in problems:
        fill = mask & (reason == "")
        reason[fill] = text
    return reason


def reject_duplicates(ids: pd.Series, reason: np.ndarray, keep: str, text: str) -> None:
    """Give the duplicates of ``ids`` among the rows without a reason the reason ``text``, in place;
    ``keep`` ("first" or "last") is the one that stays."""
    ok = reason == ""
    duplicate = np.zeros(len(reason), dtype=bool)
    duplicate[ok] = ids[ok].duplicated(keep=keep).to_numpy()
    reason[duplicate] = text


def collect_rejected(records: pd.DataFrame, reason: np.ndarray, where: pd.Series, at: pd.Series) -> pd.DataFrame:
    """The rejected rows, whole, with ``at``: their UTC time where it could be read (NaT else),
    which places each in the partition of its own time."""
    bad = reason != ""
    if not bad.any():
        return empty_rejected()
    return pd.DataFrame(
        {
            "where": where.to_numpy()[bad],
            "reason": reason[bad],
            "at": at.to_numpy()[bad],
            "record": [record_json(r) for r in records.loc[bad].drop(columns="_where", errors="ignore").to_dict(orient="records")],
        }
    )


def int_column(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Whole numbers as Int64; anything else (text, fractions, infinities, numbers too large to be
    exact) flagged. Missing stays <NA>."""
    numeric = pd.to_numeric(values.map(scalar), errors="coerce").astype("float64")
    missing = values.isna().to_numpy()
    number = numeric.to_numpy()
    with np.errstate(invalid="ignore"):
        exact = np.isfinite(number) & (np.abs(number) <= MAX_EXACT) & (np.mod(number, 1) == 0)
    bad = ~exact & ~missing
    clean = pd.Series(np.where(exact, number, np.nan), index=values.index)
    return clean.astype("Int64"), bad


def float_column(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Finite numbers as float64; text, infinities and NaN given as a value flagged."""
    numeric = pd.to_numeric(values.map(scalar), errors="coerce").astype("float64")
    finite = np.isfinite(numeric.to_numpy())
    bad = ~finite & ~values.isna().to_numpy()
    return numeric.where(finite), bad


def scalar(value: object) -> object:
    """Booleans and containers are not numbers (pandas would read True as 1)."""
    return None if isinstance(value, (bool, np.bool_, dict, list, tuple)) else value


def text_id(values: pd.Series) -> pd.Series:
    """An id column as stripped text (containers and booleans missing)."""
    return values.map(scalar).astype("string").str.strip()
