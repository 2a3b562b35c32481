"""Raw data as collected, one object per partition, before any analysis."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pizza_game.analysis.windows import to_ns
from pizza_game.schema import empty_rejected


@dataclass
class RawPartition:
    """One partition's raw data: canonical rows, rejected rows with reasons, and API bodies.

    ``source`` is "real" or "mock" for the whole partition: real and mock rows never share a
    partition, so the storage key (``real/`` or ``mock/``) always says what the data is.
    ``responses`` holds API bodies exactly as received (empty for generated data); ``notes`` says
    how the data was obtained (e.g. why the collector fell back to the generator).
    """

    source: str
    rows: pd.DataFrame
    rejected: pd.DataFrame = field(default_factory=empty_rejected)
    responses: list = field(default_factory=list)
    notes: dict = field(default_factory=dict)

    @property
    def missing(self) -> bool:
        """Materialized without data: nothing is known about this partition (not zero rows)."""
        return bool(self.notes.get("missing"))

    @property
    def is_real_data(self) -> bool:
        return self.source == "real" and not self.missing


@dataclass(frozen=True)
class Window:
    """A partition: its key and its half-open UTC time window."""

    key: str
    start: pd.Timestamp
    end: pd.Timestamp


def split_by_window(rows: pd.DataFrame, time_column: str, windows: list[Window]) -> dict[str, pd.DataFrame]:
    """Rows grouped by the window their ``time_column`` falls in; rows outside every window are dropped.

    Every window gets an entry, possibly empty: an hour without orders is a real zero.
    """
    starts = np.array([w.start.value for w in windows], dtype="int64")
    ends = np.array([w.end.value for w in windows], dtype="int64")
    instants = to_ns(rows[time_column]) if len(rows) else np.array([], dtype="int64")
    slot = np.searchsorted(starts, instants, side="right") - 1
    inside = slot >= 0
    inside[inside] = instants[inside] < ends[slot[inside]]
    order = np.flatnonzero(inside)[np.argsort(slot[inside], kind="stable")]
    bounds = np.searchsorted(slot[order], np.arange(len(windows) + 1), side="left")
    # One take, then slices of it: a take per window costs a millisecond however few rows it holds.
    ordered = rows.take(order)
    out = {}
    for i, window in enumerate(windows):
        part = ordered.iloc[bounds[i] : bounds[i + 1]]
        part.index = pd.RangeIndex(len(part))
        out[window.key] = part
    return out
