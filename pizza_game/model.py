"""The domain types every layer shares: raw partitions, partition spans, merged days, stamped outputs.

The lowest module of the package (with schema.py and settings.py): it imports no other layer and
no Dagster, so storage, collectors, analysis, quicksight, report and the Dagster shell can all
use these types without importing each other (docs/architecture.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pizza_game.schema import empty_rejected

# An hour in the unit of ``to_ns``.
HOUR_NS = 3_600 * 1_000_000_000


def source_labels(real_share: pd.Series | np.ndarray) -> np.ndarray:
    """What rows rest on, from their share of real orders: "real" (all), "mock" (none), "mixed",
    None where there is no share (no orders). The dashboard's and QuickSight's ``data_source``."""
    share = pd.to_numeric(pd.Series(real_share), errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    labels = np.where(share >= 1.0, "real", np.where(share <= 0.0, "mock", "mixed")).astype(object)
    labels[np.isnan(share)] = None
    return labels


def to_ns(timestamps: pd.Series) -> np.ndarray:
    """UTC timestamps as int64 nanoseconds since the epoch."""
    naive = pd.Series(timestamps).astype("datetime64[ns, UTC]").dt.tz_localize(None)
    return naive.to_numpy(dtype="datetime64[ns]").view("int64")


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

    @classmethod
    def missing_partition(cls, source: str, rows: pd.DataFrame, **notes: Any) -> RawPartition:
        """A partition materialized without data (``missing``): ``rows`` is an empty table of the
        asset's columns, ``notes`` say why (e.g. ``reason``)."""
        return cls(source, rows, notes={"missing": True, **notes})

    @property
    def missing(self) -> bool:
        """Materialized without data: nothing is known about this partition (not zero rows)."""
        return bool(self.notes.get("missing"))

    @property
    def is_real_data(self) -> bool:
        return self.source == "real" and not self.missing


@dataclass(frozen=True)
class Span:
    """A partition: its key and the half-open UTC time span it covers (not a match window)."""

    key: str
    start: pd.Timestamp
    end: pd.Timestamp


def split_by_span(rows: pd.DataFrame, time_column: str, spans: list[Span]) -> dict[str, pd.DataFrame]:
    """Rows grouped by the span their ``time_column`` falls in; rows outside every span are dropped.

    Every span gets an entry, possibly empty: an hour without orders is a real zero. The tables
    are read-only: the empty ones are one shared table (a year of one store's hours is half empty
    hours, and a slice costs tens of microseconds).
    """
    starts = np.array([s.start.value for s in spans], dtype="int64")
    ends = np.array([s.end.value for s in spans], dtype="int64")
    instants = to_ns(rows[time_column]) if len(rows) else np.array([], dtype="int64")
    span_of = np.searchsorted(starts, instants, side="right") - 1
    inside = span_of >= 0
    inside[inside] = instants[inside] < ends[span_of[inside]]
    order = np.flatnonzero(inside)[np.argsort(span_of[inside], kind="stable")]
    bounds = np.searchsorted(span_of[order], np.arange(len(spans) + 1), side="left")
    # One take, then slices of it: a take per span costs a millisecond however few rows it holds.
    ordered = rows.take(order)
    ordered.index = pd.RangeIndex(len(ordered))
    empty = ordered.iloc[0:0]
    out = {}
    for i, span in enumerate(spans):
        if bounds[i] == bounds[i + 1]:
            out[span.key] = empty
            continue
        part = ordered.iloc[bounds[i] : bounds[i + 1]]
        if bounds[i]:
            part.index = pd.RangeIndex(len(part))
        out[span.key] = part
    return out


# The merged data of one UTC day (analysis/merge.py builds it, storage/ stores it, the analysis,
# QuickSight datasets and report read it): a 15-minute series and the orders in each match window.
SERIES_COLUMNS: dict[str, str] = {
    "bin_start": "datetime64[ns, UTC]",
    "region": "str",
    "covered": "bool",
    "orders": "Int64",
    "items": "Int64",
    "revenue": "float64",
    "real_orders": "Int64",
    "window": "str",
    "matches_live": "int64",
}

WINDOW_COLUMNS: dict[str, str] = {
    "match_id": "str",
    "window": "str",
    "region": "str",
    "start": "datetime64[ns, UTC]",
    "end": "datetime64[ns, UTC]",
    "coverage": "float64",
    "orders": "int64",
    "items": "int64",
    "revenue": "float64",
    "real_orders": "int64",
}


@dataclass
class MergedDay:
    day: pd.Timestamp
    series: pd.DataFrame
    windows: pd.DataFrame
    matches: pd.DataFrame
    coverage: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Stamped:
    """An analysis or publishing output and the day it describes (the key's timestamp)."""

    as_of: pd.Timestamp
    value: Any
