"""ISO 8601 UTC text of timestamps, as every stored JSON and CSV object writes them.

"2024-05-04T18:00:00Z", with microseconds only where needed (a format QuickSight parses as a
date); missing instants are None.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def utc_nanos(values: pd.Series) -> np.ndarray:
    return values.dt.tz_convert(None).to_numpy().astype("datetime64[ns]")


def fractions(nanos: np.ndarray) -> np.ndarray:
    """Per instant: has it a fraction of a second? (False where missing)"""
    return ~np.isnat(nanos) & (nanos.view(np.int64) % 1_000_000_000 != 0)


def iso_text(nanos: np.ndarray, fraction: np.ndarray) -> np.ndarray:
    """ISO 8601 UTC strings ("...Z", None where missing), with microseconds where ``fraction``.

    One numpy pass: the same text as ``strftime`` in a small part of its time.
    """
    text = np.datetime_as_string(nanos.astype("datetime64[s]"), unit="s").astype(object) + "Z"
    if fraction.any():
        text[fraction] = np.datetime_as_string(nanos[fraction].astype("datetime64[us]"), unit="us").astype(object) + "Z"
    text[np.isnat(nanos)] = None
    return text


def iso_frame(table: pd.DataFrame) -> pd.DataFrame:
    out = table.copy(deep=False)  # copy-on-write: setting a column never changes ``table``
    for name in out.columns:
        if isinstance(out[name].dtype, pd.DatetimeTZDtype):
            # Microseconds in every row of a column if any of its values has a fraction.
            nanos = utc_nanos(out[name])
            out[name] = iso_text(nanos, np.full(len(nanos), fractions(nanos).any()))
    return out
