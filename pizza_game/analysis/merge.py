"""Line a day's orders up against that day's matches: the merged dataset of one UTC day.

For day D the merged data holds
- ``series``: orders per 15-minute bin during D, nationally (region "ALL", always present) and per
  region (counts, items, revenue, how many are real), with the match windows overlaid, and
  ``covered`` False where no raw data exists for the hour (missing data is not zero orders);
- ``windows``: for every match kicking off on D and each of its windows, the orders observed in
  the window, nationally (region "ALL") and per region, and the share of the window that had data;
- ``matches``: the day's matches, with why a match is excluded from the analysis.
Windows reach into D-1 and D+1, so the orders passed in cover [D - reach, D + 1 day + reach).

``merge_range`` builds the same tables for many days at once (one pass over the orders: a
per-minute histogram per region, window counts from its prefix sums), for analyses and backfills
that start from canonical orders.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pizza_game.analysis.windows import (
    DEFAULT_WINDOWS,
    MINUTE_NS,
    WindowConfig,
    count_in_windows,
    split_analysable,
    sum_in_windows,
    window_bounds,
)
from pizza_game.model import HOUR_NS, SERIES_COLUMNS, WINDOW_COLUMNS, MergedDay, to_ns
from pizza_game.schema import coerce

BIN_MINUTES = 15
ALL_REGIONS = "ALL"
OVERLAY_PRIORITY = ("during", "pre", "post")


@dataclass
class MergedRange:
    """The merged tables of the UTC days in [start, end), as if each day were merged alone."""

    start: pd.Timestamp
    end: pd.Timestamp
    series: pd.DataFrame
    windows: pd.DataFrame
    matches: pd.DataFrame
    coverage: dict = field(default_factory=dict)


def covered_ns(hours_ns: np.ndarray, instants_ns: np.ndarray) -> np.ndarray:
    """Nanoseconds before each instant that lie in one of the (sorted, hour-long) data hours."""
    if len(hours_ns) == 0:
        return np.zeros(len(instants_ns), dtype="int64")
    started = np.searchsorted(hours_ns, instants_ns, side="right")
    finished = np.searchsorted(hours_ns + HOUR_NS, instants_ns, side="right")
    partial = started - finished
    last_start = hours_ns[np.maximum(started - 1, 0)]
    return finished * HOUR_NS + partial * (instants_ns - last_start)


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
    day = pd.Timestamp(day).tz_convert("UTC") if pd.Timestamp(day).tzinfo else pd.Timestamp(day, tz="UTC")
    day_ns = day.value
    bin_ns = bin_minutes * MINUTE_NS
    n_bins = 24 * 60 // bin_minutes
    hours_ns = np.unique(to_ns(pd.Series(hours_present))) if len(hours_present) else np.array([], dtype="int64")

    order_ns = to_ns(orders["ordered_at"])
    order_sort = np.argsort(order_ns, kind="stable")
    order_ns = order_ns[order_sort]
    region = orders["region"].astype(str).to_numpy()[order_sort]
    items = orders["items"].to_numpy(dtype="float64")[order_sort]
    revenue = orders["total"].to_numpy(dtype="float64")[order_sort]
    real = (orders["source"].to_numpy()[order_sort] == "real").astype("float64")
    regions = sorted(set(region.tolist()))

    analysable, excluded = split_analysable(matches)
    bounds = window_bounds(analysable["kickoff_at"], config)
    bounds["match_id"] = analysable["match_id"].to_numpy()[bounds["position"].to_numpy()]

    series = _series(day_ns, bin_ns, n_bins, order_ns, region, items, revenue, real, regions, hours_ns)
    _overlay(series, bounds)
    windows = _windows(bounds, order_ns, region, items, revenue, real, regions, hours_ns)

    day_matches = matches.assign(analysable=True, excluded_reason=None)
    day_matches.loc[excluded.index, "analysable"] = False
    day_matches.loc[excluded.index, "excluded_reason"] = excluded["excluded_reason"]
    day_hours = day_ns + HOUR_NS * np.arange(24)
    reach_before, reach_after = config.reach()
    reach_hours = np.arange(day_ns - reach_before.value, day_ns + 24 * HOUR_NS + reach_after.value, HOUR_NS)
    coverage = {
        "hours_present": int(np.isin(day_hours, hours_ns).sum()),
        "hours_missing": [_iso(h) for h in day_hours[~np.isin(day_hours, hours_ns)]],
        "reach_hours_missing": int((~np.isin(reach_hours, hours_ns)).sum()),
        "orders_in_day": int(((order_ns >= day_ns) & (order_ns < day_ns + 24 * HOUR_NS)).sum()),
        "matches": len(matches),
        "matches_analysable": len(analysable),
        "matches_excluded": len(excluded),
    }
    return MergedDay(
        day=day,
        series=coerce(series, SERIES_COLUMNS),
        windows=coerce(windows, WINDOW_COLUMNS),
        matches=day_matches,
        coverage=coverage,
    )


def _iso(ns: int) -> str:
    return pd.Timestamp(int(ns), tz="UTC").isoformat()


def _series(day_ns, bin_ns, n_bins, order_ns, region, items, revenue, real, regions, hours_ns) -> pd.DataFrame:
    in_day = (order_ns >= day_ns) & (order_ns < day_ns + n_bins * bin_ns)
    bins = (order_ns[in_day] - day_ns) // bin_ns
    codes = pd.Categorical(region[in_day], categories=regions).codes.astype("int64") + 1
    slot = np.concatenate([bins, codes * n_bins + bins])  # row block 0 is ALL, then each region
    regions = [ALL_REGIONS, *regions]
    size = len(regions) * n_bins

    def total(weights=None):
        twice = None if weights is None else np.concatenate([weights, weights])
        return np.bincount(slot, weights=twice, minlength=size).astype("float64")

    bin_start_ns = np.tile(day_ns + bin_ns * np.arange(n_bins), len(regions))
    hour_start = bin_start_ns - (bin_start_ns - day_ns) % HOUR_NS
    covered = np.isin(hour_start, hours_ns)
    columns = {
        "orders": total(),
        "items": total(items[in_day]),
        "revenue": np.round(total(revenue[in_day]), 2),
        "real_orders": total(real[in_day]),
    }
    table = pd.DataFrame(
        {
            "bin_start": pd.to_datetime(bin_start_ns, utc=True),
            "region": np.repeat(np.array(regions, dtype=object), n_bins),
            "covered": covered,
            **{name: np.where(covered, values, np.nan) for name, values in columns.items()},
        }
    )
    return table


def _overlay(series: pd.DataFrame, bounds: pd.DataFrame) -> None:
    """Label each bin with the match window it falls in (during > pre > post) and live matches."""
    bin_ns = to_ns(series["bin_start"])
    label = np.full(len(series), "", dtype=object)
    for name in OVERLAY_PRIORITY:
        rows = bounds[bounds["window"] == name]
        starts = np.sort(rows["start_ns"].to_numpy())
        ends = np.sort(rows["end_ns"].to_numpy())
        active = np.searchsorted(starts, bin_ns, side="right") - np.searchsorted(ends, bin_ns, side="right")
        if name == "during":
            series["matches_live"] = active.astype("int64")
        label[(label == "") & (active > 0)] = name
    series["window"] = label


def _window_table(bounds: pd.DataFrame, hours_ns: np.ndarray, sums: dict[str, list[np.ndarray]], names: list[str]) -> pd.DataFrame:
    """The windows table: one block of rows per region in ``names``, sums[column][i] for block i."""
    start_ns = bounds["start_ns"].to_numpy()
    end_ns = bounds["end_ns"].to_numpy()
    coverage = (covered_ns(hours_ns, end_ns) - covered_ns(hours_ns, start_ns)) / (end_ns - start_ns)
    frames = [
        pd.DataFrame(
            {
                "match_id": bounds["match_id"].to_numpy(),
                "window": bounds["window"].to_numpy(),
                "region": name,
                "start": pd.to_datetime(start_ns, utc=True),
                "end": pd.to_datetime(end_ns, utc=True),
                "coverage": coverage,
                "orders": np.rint(sums["orders"][i]).astype("int64"),
                "items": np.rint(sums["items"][i]).astype("int64"),
                "revenue": np.round(sums["revenue"][i], 2),
                "real_orders": np.rint(sums["real_orders"][i]).astype("int64"),
            }
        )
        for i, name in enumerate(names)
    ]
    return pd.concat(frames, ignore_index=True)


def _windows(bounds, order_ns, region, items, revenue, real, regions, hours_ns) -> pd.DataFrame:
    """Window sums from sorted order times, region by region (exact for any window bounds)."""
    start_ns = bounds["start_ns"].to_numpy()
    end_ns = bounds["end_ns"].to_numpy()
    names = [ALL_REGIONS, *regions]
    sums: dict[str, list[np.ndarray]] = {"orders": [], "items": [], "revenue": [], "real_orders": []}
    for name in names:
        pick = slice(None) if name == ALL_REGIONS else region == name
        times = order_ns[pick]
        sums["orders"].append(count_in_windows(times, start_ns, end_ns))
        for column, values in (("items", items), ("revenue", revenue), ("real_orders", real)):
            sums[column].append(sum_in_windows(times, values[pick], start_ns, end_ns))
    return _window_table(bounds, hours_ns, sums, names)


def merge_range(
    orders: pd.DataFrame,
    matches: pd.DataFrame,
    start: pd.Timestamp,
    end: pd.Timestamp,
    hours_present: pd.DatetimeIndex | pd.Series | None = None,
    config: WindowConfig = DEFAULT_WINDOWS,
    bin_minutes: int = BIN_MINUTES,
) -> MergedRange:
    """The merged tables of every UTC day in [start, end) in one vectorized pass.

    Same columns and meaning as concatenating ``merge_day`` over the days, with two differences:
    every region that has orders in the range appears on every day (merge_day lists only the
    regions with orders around its day; a missing region row is zero orders either way), and the
    ``window``/``matches_live`` overlay uses every analysable match given, so a window crossing
    midnight is labelled on both days. ``hours_present`` defaults to every hour (complete data).
    Windows whose bounds are whole minutes (every real kick-off) are counted from a per-minute
    histogram; other bounds fall back to sorted order times and ``searchsorted``.
    """
    start, end = _utc_day(start), _utc_day(end)
    if end <= start:
        raise ValueError(
            f"merge_range needs start < end, got {start.isoformat()} and {end.isoformat()}"
        )
    reach_before, reach_after = config.reach()
    lo = _floor_minute(start.value - reach_before.value)
    hi = _floor_minute(end.value + reach_after.value + MINUTE_NS - 1)
    if hours_present is None:
        hours_ns = np.arange(lo - lo % HOUR_NS, hi, HOUR_NS, dtype="int64")
    else:
        hours_ns = (
            np.unique(to_ns(pd.Series(hours_present)))
            if len(hours_present)
            else np.array([], dtype="int64")
        )

    arrays = order_arrays(orders, lo, hi)
    order_ns, codes, regions = arrays.ns, arrays.codes, arrays.regions
    in_range = matches[(matches["kickoff_at"] >= start) & (matches["kickoff_at"] < end)]
    analysable, excluded = split_analysable(in_range)
    bounds = window_bounds(analysable["kickoff_at"], config)
    bounds["match_id"] = analysable["match_id"].to_numpy()[bounds["position"].to_numpy()]

    per_minute = minute_histograms(arrays, lo, (hi - lo) // MINUTE_NS)
    series = _range_series(start, end, lo, bin_minutes, per_minute, regions, hours_ns)
    all_analysable, _ = split_analysable(matches)
    _overlay(series, window_bounds(all_analysable["kickoff_at"], config))
    if len(bounds) and not np.any((bounds[["start_ns", "end_ns"]].to_numpy() - lo) % MINUTE_NS):
        windows = count_windows(bounds, lo, per_minute, regions, hours_ns)
    else:
        order_sort = np.argsort(order_ns, kind="stable")
        windows = _windows(
            bounds,
            order_ns[order_sort],
            np.asarray(regions, dtype=object)[codes[order_sort]],
            arrays.items[order_sort],
            arrays.revenue[order_sort],
            arrays.real[order_sort],
            regions,
            hours_ns,
        )
    range_matches = in_range.assign(analysable=True, excluded_reason=None)
    range_matches.loc[excluded.index, "analysable"] = False
    range_matches.loc[excluded.index, "excluded_reason"] = excluded["excluded_reason"]
    range_hours = np.arange(start.value, end.value, HOUR_NS)
    coverage = {
        "days": int((end - start) // pd.Timedelta(days=1)),
        "hours_present": int(np.isin(range_hours, hours_ns).sum()),
        "hours_missing": int((~np.isin(range_hours, hours_ns)).sum()),
        "orders_in_range": int(((order_ns >= start.value) & (order_ns < end.value)).sum()),
        "matches": len(in_range),
        "matches_analysable": len(analysable),
        "matches_excluded": len(excluded),
    }
    return MergedRange(
        start, end, coerce(series, SERIES_COLUMNS), coerce(windows, WINDOW_COLUMNS), range_matches, coverage
    )


def _utc_day(value: pd.Timestamp) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_convert("UTC") if stamp.tzinfo else stamp.tz_localize("UTC")
    return stamp.floor("D")


def _floor_minute(ns: int) -> int:
    return ns - ns % MINUTE_NS


@dataclass
class OrderArrays:
    """The order columns a merge needs, as arrays: UTC ns, region codes into ``regions``, items,
    revenue and whether the order is real (orders outside the merged span are left out)."""

    ns: np.ndarray
    codes: np.ndarray
    regions: list[str]
    items: np.ndarray
    revenue: np.ndarray
    real: np.ndarray


def order_arrays(orders: pd.DataFrame, lo_ns: int, hi_ns: int) -> OrderArrays:
    """The columns of the canonical orders with ``ordered_at`` in [lo_ns, hi_ns), as arrays.

    Columns already in their canonical dtype are used in place (no copy of 10 M timestamps).
    """
    stamps = orders["ordered_at"]
    if isinstance(stamps.dtype, pd.DatetimeTZDtype) and stamps.dtype.unit == "ns":
        ns = stamps.array.asi8
    else:
        ns = to_ns(stamps)
    keep = (ns >= lo_ns) & (ns < hi_ns)
    everything = bool(keep.all())

    def pick(values: np.ndarray) -> np.ndarray:
        return values if everything else values[keep]

    codes, regions = pd.factorize(pick(orders["region"].to_numpy(dtype=object)), sort=True)
    return OrderArrays(
        ns=pick(ns),
        codes=np.asarray(codes, dtype="int64"),
        regions=[str(r) for r in regions],
        items=pick(orders["items"].to_numpy()),
        revenue=pick(orders["total"].to_numpy(dtype="float64")),
        real=pick(orders["source"].to_numpy(dtype=object)) == "real",
    )


def minute_histograms(arrays: OrderArrays, lo_ns: int, n_minutes: int) -> dict[str, np.ndarray]:
    """Orders, items, revenue and real orders per region and minute: arrays [region, minute]."""
    key = arrays.ns - lo_ns
    key //= MINUTE_NS
    key += arrays.codes * n_minutes
    size = len(arrays.regions) * n_minutes
    shape = (len(arrays.regions), n_minutes)
    return {
        "orders": np.bincount(key, minlength=size).reshape(shape).astype("float64"),
        "items": np.bincount(key, weights=arrays.items, minlength=size).reshape(shape),
        "revenue": np.bincount(key, weights=arrays.revenue, minlength=size).reshape(shape),
        "real_orders": np.bincount(key, weights=arrays.real, minlength=size).reshape(shape),
    }


def _range_series(start, end, lo, bin_minutes, per_minute, regions, hours_ns) -> pd.DataFrame:
    n_days = int((end - start) // pd.Timedelta(days=1))
    per_day = 24 * 60 // bin_minutes
    first = (start.value - lo) // MINUTE_NS
    width = n_days * 24 * 60
    names = [ALL_REGIONS, *regions]

    def binned(values: np.ndarray) -> np.ndarray:
        window = (
            values[:, first : first + width]
            .reshape(len(values), n_days * per_day, bin_minutes)
            .sum(axis=2)
        )
        national = window.sum(axis=0, keepdims=True)
        stacked = np.concatenate([national, window]).reshape(len(names), n_days, per_day)
        return stacked.transpose(1, 0, 2).ravel()

    bin_start_ns = start.value + bin_minutes * MINUTE_NS * np.arange(
        n_days * per_day, dtype="int64"
    )
    bin_start_ns = np.tile(bin_start_ns.reshape(n_days, 1, per_day), (1, len(names), 1)).ravel()
    covered = np.isin(bin_start_ns - bin_start_ns % HOUR_NS, hours_ns)
    columns = {name: binned(values) for name, values in per_minute.items()}
    columns["revenue"] = np.round(columns["revenue"], 2)
    return pd.DataFrame(
        {
            "bin_start": pd.to_datetime(bin_start_ns, utc=True),
            "region": np.tile(np.repeat(np.array(names, dtype=object), per_day), n_days),
            "covered": covered,
            **{name: np.where(covered, values, np.nan) for name, values in columns.items()},
        }
    )


def count_windows(
    bounds: pd.DataFrame,
    lo_ns: int,
    per_minute: dict[str, np.ndarray],
    regions: list[str],
    hours_ns: np.ndarray,
) -> pd.DataFrame:
    """The windows table from per-minute histograms starting at ``lo_ns`` (whole-minute bounds)."""
    lo = lo_ns
    start_ns = bounds["start_ns"].to_numpy()
    end_ns = bounds["end_ns"].to_numpy()
    first = np.clip((start_ns - lo) // MINUTE_NS, 0, None)
    last = np.clip((end_ns - lo) // MINUTE_NS, 0, None)
    sums: dict[str, list[np.ndarray]] = {}
    for name, values in per_minute.items():
        prefix = np.concatenate([np.zeros((len(values), 1)), np.cumsum(values, axis=1)], axis=1)
        last_c = np.minimum(last, prefix.shape[1] - 1)
        first_c = np.minimum(first, prefix.shape[1] - 1)
        per_region = prefix[:, last_c] - prefix[:, first_c]
        sums[name] = list(np.concatenate([per_region.sum(axis=0, keepdims=True), per_region]))
    table = _window_table(bounds, hours_ns, sums, [ALL_REGIONS, *regions])
    return table.astype(WINDOW_COLUMNS | {"match_id": object, "window": object, "region": object})
