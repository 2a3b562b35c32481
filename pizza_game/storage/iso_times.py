"""ISO 8601 UTC text of timestamps, as every stored JSON and CSV object writes them.

"2024-05-04T18:00:00Z", with microseconds only where needed (a format QuickSight parses as a
date); missing instants are None.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

_SECONDS_PER_DAY = 86_400


def utc_nanos(values: pd.Series) -> np.ndarray:
    """A tz-aware column's instants as UTC ``datetime64[ns]`` (NaT where missing)."""
    array = values.array  # a DatetimeArray's integers are UTC instants in its unit
    return array.asi8.view(f"datetime64[{array.unit}]").astype("datetime64[ns]")


def fractions(nanos: np.ndarray) -> np.ndarray:
    """Per instant: has it a fraction of a second? (False where missing)"""
    return ~np.isnat(nanos) & (nanos.view(np.int64) % 1_000_000_000 != 0)


def iso_text(nanos: np.ndarray, fraction: np.ndarray, *, quote: str = "") -> np.ndarray:
    """ISO 8601 UTC strings ("...Z", None where missing), with microseconds where ``fraction``,
    each between two ``quote``s (a JSON string's: its text needs no escaping).

    Whole seconds are a day's text then a second of the day's, each made once (the days of a
    range, a table of the day's 86,400 seconds) and joined per value: ``datetime_as_string`` of
    every value took three times as long. The text is numpy's either way (tested).
    """
    text = np.full(len(nanos), None, dtype=object)
    present = ~np.isnat(nanos)
    if present.any():
        days, seconds = iso_halves(nanos[present], before=quote, after=quote)
        text[present] = days + seconds
    fraction = fraction & present
    if fraction.any():
        iso = np.datetime_as_string(nanos[fraction].astype("datetime64[us]"), unit="us").astype(object)
        text[fraction] = quote + iso + ("Z" + quote)
    return text


def iso_halves(nanos: np.ndarray, *, before: str = "", after: str = "") -> tuple[np.ndarray, np.ndarray]:
    """The whole-second ISO text of instants (none missing) in two halves, ``before`` and the day
    ("YYYY-MM-DDT"), the second of the day and ``after`` ("HH:MM:SSZ"): the texts of two small
    tables (the days of the instants, the 86,400 seconds of a day) that ``iso_text`` joins and a
    JSON writer joins with the rest of a row."""
    day, second = np.divmod(nanos.astype("datetime64[s]").view(np.int64), _SECONDS_PER_DAY)
    codes, days = pd.factorize(day)
    dates = np.datetime_as_string(days.astype("datetime64[D]")).astype(object)
    return (before + dates + "T")[codes], _clock(after)[second]


@functools.cache
def _clock(quote: str) -> np.ndarray:
    """"HH:MM:SSZ" and ``quote`` for each second of a day: hours, minutes and seconds joined by
    two outer additions (formatting 86,400 strings one by one took 50 ms)."""
    hours = np.array([f"{h:02d}:" for h in range(24)], dtype=object)
    sixty = [f"{m:02d}" for m in range(60)]
    minutes = np.array([f"{m}:" for m in sixty], dtype=object)
    seconds = np.array([f"{s}Z{quote}" for s in sixty], dtype=object)
    return np.add.outer(np.add.outer(hours, minutes).ravel(), seconds).ravel()


def iso_frame(table: pd.DataFrame) -> pd.DataFrame:
    out = table.copy(deep=False)  # copy-on-write: setting a column never changes ``table``
    for name in out.columns:
        if isinstance(out[name].dtype, pd.DatetimeTZDtype):
            # Microseconds in every row of a column if any of its values has a fraction.
            nanos = utc_nanos(out[name])
            out[name] = iso_text(nanos, np.full(len(nanos), fractions(nanos).any()))
    return out
