"""The merged 15-minute series laid out on one regular time grid, with local calendar labels.

The analysis reads the concatenated ``series`` tables of many merged days. Here they become
arrays: ``orders[r, i]`` and ``real[r, i]`` for region row ``r`` (row 0 is the national total
"ALL") and bin ``i`` of a regular UTC grid, ``covered[i]`` (False where no raw data exists, also
for days missing from the horizon), and for every bin its local day, weekday and time-of-day bin (``bin_of_day``)
in the analysis time zone. A region absent from a covered bin sold nothing there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pizza_game.analysis.merge import ALL_REGIONS, BIN_MINUTES
from pizza_game.analysis.windows import MINUTE_NS
from pizza_game.model import to_ns

DAY_NS = 86_400 * 1_000_000_000
SERIES_REQUIRED = ("bin_start", "region", "covered", "orders", "real_orders")


@dataclass
class Timeline:
    start_ns: int
    bin_ns: int
    regions: list[str]
    orders: np.ndarray
    real: np.ndarray
    covered: np.ndarray
    day: np.ndarray
    weekday: np.ndarray
    bin_of_day: np.ndarray
    first_local_day_ns: int
    timezone: str

    @property
    def n_bins(self) -> int:
        return len(self.covered)

    @property
    def n_days(self) -> int:
        return int(self.day[-1]) + 1 if self.n_bins else 0

    @property
    def bins_per_day(self) -> int:
        return DAY_NS // self.bin_ns

    def position(self, instants_ns: np.ndarray) -> np.ndarray:
        """Fractional bin positions of UTC instants (0 = start of the first bin)."""
        return (np.asarray(instants_ns, dtype="int64") - self.start_ns) / self.bin_ns

    def day_weekday(self, days: np.ndarray) -> np.ndarray:
        """Local weekday (Monday 0) of local day indices."""
        first = pd.Timestamp(self.first_local_day_ns).weekday()
        return (first + np.asarray(days)) % 7

    def local_to_utc_ns(self, days: np.ndarray, offset_ns: int | np.ndarray) -> np.ndarray:
        """UTC instants of local wall time ``offset_ns`` (one, or one per day) after midnight on
        local day indices.

        Wall times that do not exist or are ambiguous (daylight-saving changes) come back as -1.
        """
        naive = self.first_local_day_ns + np.asarray(days, dtype="int64") * DAY_NS + offset_ns
        local = pd.DatetimeIndex(naive.astype("datetime64[ns]")).tz_localize(
            self.timezone, ambiguous="NaT", nonexistent="NaT"
        )
        utc = local.tz_convert("UTC").tz_localize(None)
        return np.where(utc.isna(), -1, utc.asi8)

    def local_offset(self, instants_ns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(local day index, ns after local midnight) of UTC instants."""
        naive = _local_naive_ns(np.asarray(instants_ns, dtype="int64"), self.timezone)
        days = (naive - self.first_local_day_ns) // DAY_NS
        return days, naive - self.first_local_day_ns - days * DAY_NS


def utc_times(instants_ns: np.ndarray) -> pd.DatetimeIndex:
    """UTC instants (int64 ns) as the DatetimeIndex ``pd.to_datetime(instants_ns, utc=True)``
    makes, without its parsing of an integer array (a hundred times slower: 15 ms for a table of
    anomaly tests). Like it, an empty array gives seconds, not nanoseconds."""
    instants = np.asarray(instants_ns, dtype="int64")
    if len(instants) == 0:
        return pd.to_datetime(instants, utc=True)
    return pd.DatetimeIndex(instants.view("datetime64[ns]")).tz_localize("UTC")


def _local_naive_ns(instants_ns: np.ndarray, timezone: str) -> np.ndarray:
    utc = pd.DatetimeIndex(instants_ns.astype("datetime64[ns]")).tz_localize("UTC")
    return utc.tz_convert(timezone).tz_localize(None).asi8


def build_timeline(series: pd.DataFrame, timezone: str) -> Timeline:
    """Lay the concatenated series tables out on a regular grid (see module docstring)."""
    bin_ns_all, distinct_bins, row, regions = _checked_rows(series)
    bin_ns = _bin_size(distinct_bins)
    if len(series) == 0:
        start, n = 0, 0
    else:
        start = int(bin_ns_all.min())
        if np.any((bin_ns_all - start) % bin_ns):
            raise ValueError("series bins are not on one regular grid (bin_start not aligned)")
        n = int((bin_ns_all.max() - start) // bin_ns) + 1
    position = (bin_ns_all - start) // bin_ns
    covered_rows = series["covered"].astype(bool).to_numpy()
    national = row == 0
    covered = np.zeros(n, dtype=bool)
    covered[position[national]] = covered_rows[national]
    orders = np.zeros((len(regions), n))
    real = np.zeros((len(regions), n))
    take = covered_rows & covered[position]
    # Both tables filled through one flat index (a [row, bin] pair index costs one per table).
    flat = row[take] * n + position[take]
    orders.ravel()[flat] = series["orders"].to_numpy(dtype="float64")[take]
    real.ravel()[flat] = series["real_orders"].to_numpy(dtype="float64")[take]
    if np.isnan(orders).any():
        raise ValueError("series has covered bins without an order count (orders is missing)")
    return Timeline(
        start_ns=start,
        bin_ns=bin_ns,
        regions=regions,
        orders=orders,
        real=real,
        covered=covered,
        timezone=timezone,
        **_local_calendar(start, bin_ns, n, timezone),
    )


def _checked_rows(series: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Each row's bin start (ns), the distinct bin starts, each row's region row and the region
    rows' names ("ALL" first, then sorted), once the series is known to have the columns, the
    national rows and no duplicated (bin_start, region) row. Bins, regions and (bin, region)
    pairs are hashed (``pd.factorize``), not sorted or compared as strings: a season's series has
    175,000 rows."""
    missing = [c for c in SERIES_REQUIRED if c not in series.columns]
    if missing:
        raise ValueError(
            f"series lacks columns {missing}; expected the merged_dataset series table"
        )
    code, names = _region_codes(series["region"])
    if len(series) and ALL_REGIONS not in set(names):
        raise ValueError(
            f"series has no national rows (region {ALL_REGIONS!r}); they define coverage"
        )
    bin_ns_all = to_ns(series["bin_start"]) if len(series) else np.array([], dtype="int64")
    bin_code, distinct_bins = pd.factorize(bin_ns_all)
    pair = bin_code * max(len(names), 1) + code
    # Counted, not hashed (a tenth of the time); which rows repeat a pair is found only if one does.
    if len(pair) and np.bincount(pair).max() > 1:
        duplicated = pd.Series(pair).duplicated().to_numpy()
        first = int(np.flatnonzero(duplicated)[0])
        raise ValueError(
            f"series has {int(duplicated.sum())} duplicated (bin_start, region) rows, e.g. "
            f"{pd.Timestamp(int(bin_ns_all[first]), tz='UTC').isoformat()} {names[code[first]]!r}: "
            "load each merged day once"
        )
    regions = [ALL_REGIONS, *sorted(set(names) - {ALL_REGIONS})]
    row_of_name = np.array([regions.index(name) for name in names], dtype="int64")
    return bin_ns_all, np.asarray(distinct_bins, dtype="int64"), row_of_name[code], regions


def _region_codes(region: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Each row's index into the region names (as strings), in the order they first appear: what
    ``pd.factorize(region.astype(str))`` gives.

    A merged day lists each region's bins in one run, so only the first value of each run is
    factorized (a season: 1,810 of 175,000 rows) and its code repeated over the run: the same
    codes, as a value first appears at the start of a run. Regions that are not all strings, or
    cannot be compared (pd.NA), take the plain way."""
    values = region.to_numpy()
    try:
        changes = values[1:] != values[:-1]
    except TypeError:
        changes = None
    if changes is not None and len(values):
        starts = np.flatnonzero(np.concatenate([[True], changes]))
        code, uniques = pd.factorize(values[starts], use_na_sentinel=False)
        if all(type(name) is str for name in uniques):
            return np.repeat(code, np.diff(np.append(starts, len(values)))), list(uniques)
    code, uniques = pd.factorize(region.astype(str).to_numpy())
    return code, list(uniques)


def _local_calendar(start: int, bin_ns: int, n: int, timezone: str) -> dict:
    """The ``Timeline`` fields that place each of the ``n`` bins in local time: day, weekday,
    bin_of_day and the first local day's midnight."""
    grid = start + bin_ns * np.arange(n, dtype="int64")
    naive = _local_naive_ns(grid, timezone) if n else grid
    first_local_day_ns = int(naive[0] - naive[0] % DAY_NS) if n else 0
    day = (naive - first_local_day_ns) // DAY_NS
    bin_of_day = (naive - first_local_day_ns - day * DAY_NS) // bin_ns
    weekday = (pd.Timestamp(first_local_day_ns).weekday() + day) % 7
    return {
        "day": day.astype("int64"),
        "weekday": weekday.astype("int64"),
        "bin_of_day": bin_of_day.astype("int64"),
        "first_local_day_ns": first_local_day_ns,
    }


def _bin_size(distinct_bins: np.ndarray) -> int:
    steps = np.diff(np.sort(distinct_bins))
    if len(steps) == 0:
        return BIN_MINUTES * MINUTE_NS
    size = int(np.gcd.reduce(steps))
    if DAY_NS % size:
        raise ValueError(f"series bins of {size} ns do not divide a day")
    return size
