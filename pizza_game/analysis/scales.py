"""The timeline cut into hours and local days, and what a day should hold judging by its neighbours.

The baseline's level of a day is fitted on that day's own clean hours, so it absorbs anything that
lifts or sinks the whole day (a day-long surge, a six-hour outage). Whole days, and hours that may
be missing, are therefore judged against the *neighbour level*: the median of the fitted levels of
the other days within ``NEIGHBOUR_DAYS`` days (levels are weekday-free, see
``baseline.weekday_scale``, so every weekday counts), times the day's own weekday x time-of-day
profile. A day with fewer than ``MIN_NEIGHBOURS`` neighbour levels has no neighbour expectation.
"""

from __future__ import annotations

import warnings

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from pizza_game.analysis.baseline import DAY_TYPE, POOL_DAY_TYPE, POOL_WEEKDAY, Baseline
from pizza_game.analysis.timeline import Timeline
from pizza_game.model import HOUR_NS

NEIGHBOUR_DAYS = 14
MIN_NEIGHBOURS = 7


def neighbour_level(level: np.ndarray) -> np.ndarray:
    """[region, day]: median level of the other days within NEIGHBOUR_DAYS (NaN: too few)."""
    h = NEIGHBOUR_DAYS
    padded = np.pad(np.where(level > 0, level, np.nan), ((0, 0), (h, h)), constant_values=np.nan)
    around = sliding_window_view(padded, 2 * h + 1, axis=1).copy()
    around[:, :, h] = np.nan
    enough = np.isfinite(around).sum(axis=2) >= MIN_NEIGHBOURS
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        median = np.nanmedian(around, axis=2)
    return np.where(enough, median, np.nan)


def neighbour_expected_per_bin(timeline: Timeline, baseline: Baseline) -> np.ndarray:
    """[region, bin]: neighbour level of the bin's day x the bin's profile (read-only: computed
    once per timeline, for the outages and the day scale)."""
    def compute() -> np.ndarray:
        level = neighbour_level(baseline.level)[:, timeline.day]
        return level * baseline.profile_per_bin(timeline)

    return baseline.per_bin("neighbour_expected", timeline, compute)


def hour_of_bin(timeline: Timeline) -> tuple[np.ndarray, int]:
    """The UTC hour of every bin (0: the hour of the first bin), and the number of hours."""
    instants = timeline.start_ns + timeline.bin_ns * np.arange(timeline.n_bins, dtype="int64")
    hour = instants // HOUR_NS
    first = int(hour[0]) if timeline.n_bins else 0
    return hour - first, (int(hour[-1]) - first + 1) if timeline.n_bins else 0


def sum_by(index: np.ndarray, n: int, values: np.ndarray) -> np.ndarray:
    """values [region, bin] summed into ``n`` groups given per bin: [region, group], each group's
    values added in bin order from 0 (as ``np.bincount`` adds them).

    Groups of ``k`` consecutive bins each (the hours of a grid that starts on the hour) are
    added as ``k`` strided columns, one after the other: the same additions, without bincount's
    keys (a third of the time; the hour scale sums a season's bins by hour seven times)."""
    k = len(index) // n if n else 0
    if k and k * n == len(index) and np.array_equal(index, np.arange(len(index)) // k):
        runs = values.reshape(len(values), n, k)
        total = runs[:, :, 0] + 0.0
        for j in range(1, k):
            total += runs[:, :, j]
        return total
    rows = np.arange(len(values))[:, None]
    keys = (rows * n + index[None, :]).ravel()
    return np.bincount(keys, values.ravel(), len(values) * n).reshape(len(values), n)


def profile_orders_per_bin(timeline: Timeline, baseline: Baseline) -> np.ndarray:
    """[region, bin]: the clean orders behind the bin's profile cell (0: none).

    The profile of a cell is estimated from the clean orders of that cell (pooled over its day type
    or all days where the baseline fell back), so its relative variance is about 1 / those orders.
    """
    n_regions, n_bins_of_day = len(timeline.regions), timeline.bins_per_day
    cell = timeline.weekday * n_bins_of_day + timeline.bin_of_day
    clean = baseline.clean
    totals = sum_by(cell[clean], 7 * n_bins_of_day, timeline.orders[:, clean]).reshape(
        n_regions, 7, n_bins_of_day
    )
    day_type = DAY_TYPE[:, None] == np.arange(2)[None, :]  # [weekday, type]
    by_type = np.einsum("rws,wt->rts", totals, day_type.astype("float64"))
    every_day = np.repeat(totals.sum(axis=1, keepdims=True), 7, axis=1)
    pool = baseline.profile_pool[None, :, :]
    behind = np.where(
        pool == POOL_WEEKDAY,
        totals,
        np.where(pool == POOL_DAY_TYPE, by_type[:, DAY_TYPE, :], every_day),
    )
    return behind[:, timeline.weekday, timeline.bin_of_day]


def clean_orders_per_day(timeline: Timeline, baseline: Baseline) -> np.ndarray:
    """[region, day]: the clean orders a day's level is fitted on (relative variance ~ 1 / them)."""
    return sum_by(timeline.day, timeline.n_days, timeline.orders * baseline.clean[None, :])


def profile_days_per_bin(timeline: Timeline, baseline: Baseline) -> np.ndarray:
    """[bin]: the clean days behind the bin's profile cell (the days with a clean bin in that cell,
    pooled over its day type or all days where the baseline fell back; 0: none)."""
    n_bins_of_day = timeline.bins_per_day
    cell = timeline.weekday * n_bins_of_day + timeline.bin_of_day
    clean = baseline.clean
    days = np.bincount(cell[clean], minlength=7 * n_bins_of_day).reshape(7, n_bins_of_day).astype("float64")
    day_type = (DAY_TYPE[:, None] == np.arange(2)[None, :]).astype("float64")
    by_type = day_type.T @ days  # [type, bin_of_day]
    every_day = np.repeat(days.sum(axis=0, keepdims=True), 7, axis=0)
    pool = baseline.profile_pool
    behind = np.where(
        pool == POOL_WEEKDAY,
        days,
        np.where(pool == POOL_DAY_TYPE, by_type[DAY_TYPE, :], every_day),
    )
    return behind[timeline.weekday, timeline.bin_of_day]
