"""Line a day's orders up against that day's matches: the merged dataset of one UTC day.

For day D the merged data holds
- ``series``: orders per 15-minute bin during D, nationally (region "ALL", always present) and per
  region (counts, items, revenue, how many are real), with the match windows overlaid, and
  ``covered`` False where no raw data exists for the hour (missing data is not zero orders);
- ``windows``: for every match kicking off on D and each of its windows, the orders observed in
  the window, nationally (region "ALL") and per region, and the share of the window that had data;
- ``matches``: the day's matches, with why a match is excluded from the analysis.
Windows reach into D-1 and D+1, so the orders passed in cover [D - reach, D + 1 day + reach).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pizza_game.analysis.windows import (
    DEFAULT_WINDOWS,
    WindowConfig,
    count_in_windows,
    split_analysable,
    sum_in_windows,
    window_bounds,
)
from pizza_game.model import HOUR_NS, MergedDay, to_ns

BIN_MINUTES = 15
ALL_REGIONS = "ALL"
OVERLAY_PRIORITY = ("during", "pre", "post")


def covered_ns(hours_ns: np.ndarray, instants_ns: np.ndarray) -> np.ndarray:
    """Nanoseconds before each instant that lie in one of the (sorted, hour-long) data hours."""
    if len(hours_ns) == 0:
        return np.zeros(len(instants_ns), dtype="int64")
    started = np.searchsorted(hours_ns, instants_ns, side="right")
    finished = np.searchsorted(hours_ns + HOUR_NS, instants_ns, side="right")
    partial = started - finished
    last_start = hours_ns[np.maximum(started - 1, 0)]
    return finished * HOUR_NS + partial * (instants_ns - last_start)


@dataclass(frozen=True)
class SortedOrders:
    """The order columns a merge needs, sorted by order time (stable): UTC ns, the region (as its
    position in ``regions``), items, revenue and 1.0 for a real order; ``regions`` are the regions
    present, sorted."""

    ns: np.ndarray
    region: np.ndarray
    items: np.ndarray
    revenue: np.ndarray
    real: np.ndarray
    regions: list[str]

    @classmethod
    def of(cls, orders: pd.DataFrame) -> SortedOrders:
        """The columns of canonical ``orders``."""
        order_ns = to_ns(orders["ordered_at"])
        order_sort = np.argsort(order_ns, kind="stable")
        # Regions as codes, numbered in sorted order: a day's regions are compared as integers,
        # not as strings once per region.
        codes, uniques = pd.factorize(orders["region"].astype(str).to_numpy()[order_sort])
        names = [str(u) for u in uniques]
        order = sorted(range(len(names)), key=names.__getitem__)
        rank = np.empty(len(order), dtype="int64")
        rank[order] = np.arange(len(order))
        return cls(
            ns=order_ns[order_sort],
            region=rank[codes],
            items=orders["items"].to_numpy(dtype="float64")[order_sort],
            revenue=orders["total"].to_numpy(dtype="float64")[order_sort],
            real=(orders["source"].to_numpy()[order_sort] == "real").astype("float64"),
            regions=[names[i] for i in order],
        )

    def between(self, start_ns: int, end_ns: int) -> SortedOrders:
        """The orders in [start, end), numbered by the regions present among them: what ``of``
        gives for those orders alone, without sorting and comparing their text again."""
        lo, hi = np.searchsorted(self.ns, [start_ns, end_ns])
        codes = self.region[lo:hi]
        present = np.flatnonzero(np.bincount(codes, minlength=len(self.regions)))
        rank = np.zeros(len(self.regions), dtype="int64")
        rank[present] = np.arange(len(present))
        return SortedOrders(
            ns=self.ns[lo:hi],
            region=rank[codes],
            items=self.items[lo:hi],
            revenue=self.revenue[lo:hi],
            real=self.real[lo:hi],
            regions=[self.regions[i] for i in present],
        )


def merge_day(
    day: pd.Timestamp,
    orders: pd.DataFrame,
    matches: pd.DataFrame,
    hours_present: pd.DatetimeIndex | pd.Series,
    config: WindowConfig = DEFAULT_WINDOWS,
    bin_minutes: int = BIN_MINUTES,
) -> MergedDay:
    """The merged dataset of UTC day ``day`` (see module docstring).

    ``orders`` are canonical orders around the day (any extra rows are ignored), ``matches`` the
    canonical matches kicking off on the day, ``hours_present`` the hour starts that have raw order
    data (an hour present with no orders is a real zero).
    """
    hours_ns = np.unique(to_ns(pd.Series(hours_present))) if len(hours_present) else np.array([], dtype="int64")
    return merge_sorted(day, SortedOrders.of(orders), matches, hours_ns, config, bin_minutes)


def merge_sorted(
    day: pd.Timestamp,
    sorted_orders: SortedOrders,
    matches: pd.DataFrame,
    hours_ns: np.ndarray,
    config: WindowConfig = DEFAULT_WINDOWS,
    bin_minutes: int = BIN_MINUTES,
) -> MergedDay:
    """``merge_day`` of the UTC day ``day`` from its orders' columns and the sorted, unique hour
    starts with raw order data (ns): what a range of days is merged by, its orders sorted once."""
    day = pd.Timestamp(day).tz_convert("UTC") if pd.Timestamp(day).tzinfo else pd.Timestamp(day, tz="UTC")
    analysable, excluded = split_analysable(matches)
    bounds = window_bounds(analysable["kickoff_at"], config)
    bounds["match_id"] = analysable["match_id"].to_numpy()[bounds["position"].to_numpy()]

    series = _series(day.value, bin_minutes, sorted_orders, hours_ns, bounds)
    windows = _windows(bounds, sorted_orders, hours_ns)
    coverage = _coverage(day.value, hours_ns, sorted_orders.ns, config) | {
        "matches": len(matches),
        "matches_analysable": len(analysable),
        "matches_excluded": len(excluded),
    }
    return MergedDay(
        day=day,
        series=series,
        windows=windows,
        matches=_labelled_matches(matches, excluded),
        coverage=coverage,
    )


def _labelled_matches(matches: pd.DataFrame, excluded: pd.DataFrame) -> pd.DataFrame:
    """The day's matches with ``analysable`` and, for the excluded ones, ``excluded_reason``."""
    day_matches = matches.assign(analysable=True, excluded_reason=None)
    day_matches.loc[excluded.index, "analysable"] = False
    day_matches.loc[excluded.index, "excluded_reason"] = excluded["excluded_reason"]
    return day_matches


def _coverage(day_ns: int, hours_ns: np.ndarray, order_ns: np.ndarray, config: WindowConfig) -> dict:
    """Which hours of the day, and of the span its windows reach, have raw data; orders in the day."""
    day_hours = day_ns + HOUR_NS * np.arange(24)
    reach_before, reach_after = config.reach()
    reach_hours = np.arange(day_ns - reach_before.value, day_ns + 24 * HOUR_NS + reach_after.value, HOUR_NS)
    return {
        "hours_present": int(np.isin(day_hours, hours_ns).sum()),
        "hours_missing": [_iso(h) for h in day_hours[~np.isin(day_hours, hours_ns)]],
        "reach_hours_missing": int((~np.isin(reach_hours, hours_ns)).sum()),
        "orders_in_day": int(((order_ns >= day_ns) & (order_ns < day_ns + 24 * HOUR_NS)).sum()),
    }


def _iso(ns: int) -> str:
    return pd.Timestamp(int(ns), tz="UTC").isoformat()


def _text(values: np.ndarray) -> pd.Series:
    """A canonical str column (Python strings, object dtype) of text ``values``."""
    return pd.Series(values, dtype=object)


def _instants(ns: np.ndarray) -> pd.DatetimeIndex:
    """A canonical UTC timestamp column (ns, also when empty) of epoch nanoseconds."""
    return pd.to_datetime(ns.view("datetime64[ns]"), utc=True)


def _counts(values: np.ndarray, known: np.ndarray) -> pd.arrays.IntegerArray:
    """A canonical Int64 column of whole-number ``values``, missing where not ``known``."""
    return pd.arrays.IntegerArray(np.where(known, values, 0).astype("int64"), ~known)


def _series(day_ns: int, bin_minutes: int, orders: SortedOrders, hours_ns: np.ndarray, bounds: pd.DataFrame) -> pd.DataFrame:
    """The series table, built with the canonical columns and dtypes (``SERIES_COLUMNS``): typing
    it afterwards (``schema.coerce``) was a quarter of a merge."""
    bin_ns = bin_minutes * 60 * 1_000_000_000
    n_bins = 24 * 60 // bin_minutes
    order_ns = orders.ns
    in_day = (order_ns >= day_ns) & (order_ns < day_ns + n_bins * bin_ns)
    bins = (order_ns[in_day] - day_ns) // bin_ns
    codes = orders.region[in_day] + 1
    cell = np.concatenate([bins, codes * n_bins + bins])  # row block 0 is ALL, then each region
    regions = [ALL_REGIONS, *orders.regions]
    size = len(regions) * n_bins

    def total(weights=None):
        twice = None if weights is None else np.concatenate([weights, weights])
        return np.bincount(cell, weights=twice, minlength=size).astype("float64")

    bin_start_ns = np.tile(day_ns + bin_ns * np.arange(n_bins), len(regions))
    hour_start = bin_start_ns - (bin_start_ns - day_ns) % HOUR_NS
    covered = np.isin(hour_start, hours_ns)
    columns = {
        "orders": total(),
        "items": total(orders.items[in_day]),
        "revenue": np.round(total(orders.revenue[in_day]), 2),
        "real_orders": total(orders.real[in_day]),
    }
    window, matches_live = _overlay(bin_start_ns, bounds)
    return pd.DataFrame(
        {
            "bin_start": _instants(bin_start_ns),
            "region": _text(np.repeat(np.array(regions, dtype=object), n_bins)),
            "covered": covered,
            "orders": _counts(columns["orders"], covered),
            "items": _counts(columns["items"], covered),
            "revenue": np.where(covered, columns["revenue"], np.nan),
            "real_orders": _counts(columns["real_orders"], covered),
            "window": _text(window),
            "matches_live": matches_live,
        }
    )


def _overlay(bin_ns: np.ndarray, bounds: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per bin (start, ns): the match window it falls in (during > pre > post, "" for none) and
    how many matches are live."""
    label = np.full(len(bin_ns), "", dtype=object)
    live = np.zeros(len(bin_ns), dtype="int64")
    window = bounds["window"].to_numpy()
    start_ns, end_ns = bounds["start_ns"].to_numpy(), bounds["end_ns"].to_numpy()
    for name in OVERLAY_PRIORITY:
        rows = window == name
        starts = np.sort(start_ns[rows])
        ends = np.sort(end_ns[rows])
        active = np.searchsorted(starts, bin_ns, side="right") - np.searchsorted(ends, bin_ns, side="right")
        if name == "during":
            live = active.astype("int64")
        label[(label == "") & (active > 0)] = name
    return label, live


def _window_table(bounds: pd.DataFrame, hours_ns: np.ndarray, sums: dict[str, list[np.ndarray]], names: list[str]) -> pd.DataFrame:
    """The windows table: one block of rows per region in ``names``, sums[column][i] for block i."""
    start_ns = bounds["start_ns"].to_numpy()
    end_ns = bounds["end_ns"].to_numpy()
    coverage = (covered_ns(hours_ns, end_ns) - covered_ns(hours_ns, start_ns)) / (end_ns - start_ns)
    blocks = len(names)  # at least ALL

    def stacked(column: str) -> np.ndarray:
        return np.concatenate(sums[column])

    # Built at once, block after block (a frame per region and a concat cost 17 ms a day), with
    # the canonical columns and dtypes (``WINDOW_COLUMNS``).
    return pd.DataFrame(
        {
            "match_id": _text(np.tile(bounds["match_id"].to_numpy(dtype=object), blocks)),
            "window": _text(np.tile(bounds["window"].to_numpy(dtype=object), blocks)),
            "region": _text(np.repeat(np.array(names, dtype=object), len(bounds))),
            "start": _instants(np.tile(start_ns, blocks)),
            "end": _instants(np.tile(end_ns, blocks)),
            "coverage": np.tile(coverage, blocks),
            "orders": np.rint(stacked("orders")).astype("int64"),
            "items": np.rint(stacked("items")).astype("int64"),
            "revenue": np.round(stacked("revenue"), 2),
            "real_orders": np.rint(stacked("real_orders")).astype("int64"),
        }
    )


def _windows(bounds: pd.DataFrame, orders: SortedOrders, hours_ns: np.ndarray) -> pd.DataFrame:
    """Window sums from sorted order times, region by region (exact for any window bounds)."""
    start_ns = bounds["start_ns"].to_numpy()
    end_ns = bounds["end_ns"].to_numpy()
    names = [ALL_REGIONS, *orders.regions]
    sums: dict[str, list[np.ndarray]] = {"orders": [], "items": [], "revenue": [], "real_orders": []}
    for code in range(len(names)):
        pick = slice(None) if code == 0 else orders.region == code - 1  # block 0 is ALL
        times = orders.ns[pick]
        sums["orders"].append(count_in_windows(times, start_ns, end_ns))
        for column, values in (("items", orders.items), ("revenue", orders.revenue), ("real_orders", orders.real)):
            sums[column].append(sum_in_windows(times, values[pick], start_ns, end_ns))
    return _window_table(bounds, hours_ns, sums, names)
