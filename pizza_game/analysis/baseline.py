"""Expected orders without a match: a local day level times a weekday x time-of-day profile.

Model: orders in bin i ~ level[day(i)] * profile[weekday(i), bin_of_day(i)], fitted by Poisson maximum
likelihood (alternating closed-form updates) on *clean* bins only: bins with raw data that lie
outside every pre, during and post window of every analysable match. So neither the day level nor
the profile ever sees a match window, and a Saturday 15:00 that always has matches contributes
nothing to "Saturday 15:00 without a match": that profile cell is learnt from the Saturdays
without matches (international breaks, the summer). The weekday and time of day are local time, so the
evening peak stays at 19:00 local across daylight-saving changes.

The per-day level absorbs day-to-day swings (weather, holidays, trend). Afterwards the weekday
factors are moved from the levels into the profile (``weekday_scale``), so the level is comparable
from one day to the next and a span crossing midnight can use one level for both days.

Fallback: a profile cell no clean bin ever reached takes the pooled cell of its day type
(Monday-Friday or Saturday-Sunday), then the pooled cell of all days, rescaled to the weekday's own
level (its seen cells over the pooled cells at the same times); if that is empty too, windows
touching the cell have no usable baseline and are counted, not guessed. ``profile_pool`` says
which applied (0 weekday, 1 day type, 2 all days, 3 none).

The extended window (24 h) is not excluded from the clean bins: excluding it would leave no clean
hours on any match day. Its lift is therefore measured against the match day's own clean hours.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from pizza_game.analysis.timeline import Timeline

CONTAMINATING_WINDOWS = ("pre", "during", "post")
POOL_WEEKDAY, POOL_DAY_TYPE, POOL_ALL_DAYS, POOL_NONE = 0, 1, 2, 3
POOL_NAMES = ("weekday", "day type", "all days", "none")
DAY_TYPE = np.array([0, 0, 0, 0, 0, 1, 1])


@dataclass
class Baseline:
    clean: np.ndarray
    level: np.ndarray
    profile: np.ndarray
    profile_pool: np.ndarray
    iterations: int
    # [region, 7]: variance of the log weekday factor moved into the profile (weekday_scale_variance)
    scale_variance: np.ndarray | None = None
    # name -> (timeline, array): what ``per_bin`` computed, for the timeline it was computed on
    _per_bin: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def per_bin(
        self, name: str, timeline: Timeline, compute: Callable[[], np.ndarray]
    ) -> np.ndarray:
        """``compute()``, an array of this baseline over the bins of ``timeline``, computed once
        per timeline: the meter, the outages and the three anomaly scales ask for the same ones
        (a season's [region, bin] gather costs half a millisecond each time). Read-only, as every
        caller shares it."""
        held = self._per_bin.get(name)
        if held is None or held[0] is not timeline:
            value = compute()
            value.flags.writeable = False
            held = self._per_bin[name] = (timeline, value)
        return held[1]

    def profile_per_bin(self, timeline: Timeline) -> np.ndarray:
        """profile[r, weekday(i), bin_of_day(i)] for every region row and bin (NaN: none usable)."""
        return self.per_bin(
            "profile", timeline, lambda: self.profile[:, timeline.weekday, timeline.bin_of_day]
        )

    def pool_per_bin(self, timeline: Timeline) -> np.ndarray:
        return self.profile_pool[timeline.weekday, timeline.bin_of_day]

    def expected_per_bin(self, timeline: Timeline) -> np.ndarray:
        """level x profile for every bin: the orders a bin would see without any match."""
        return self.level[:, timeline.day] * self.profile_per_bin(timeline)


def touched_bins(
    timeline: Timeline, window_starts_ns: np.ndarray, window_ends_ns: np.ndarray
) -> np.ndarray:
    """Bins that overlap any of the given windows (even partly)."""
    n = timeline.n_bins
    first = np.floor(timeline.position(window_starts_ns)).astype("int64")
    last = np.ceil(timeline.position(window_ends_ns)).astype("int64")
    first, last = np.clip(first, 0, n), np.clip(last, 0, n)
    touched = np.zeros(n + 1, dtype="int64")
    np.add.at(touched, first, 1)
    np.add.at(touched, last, -1)
    return np.cumsum(touched[:-1]) > 0


def clean_bins(
    timeline: Timeline, window_starts_ns: np.ndarray, window_ends_ns: np.ndarray
) -> np.ndarray:
    """Covered bins that do not touch any of the given windows."""
    return timeline.covered & ~touched_bins(timeline, window_starts_ns, window_ends_ns)


def fit_baseline(
    timeline: Timeline, clean: np.ndarray, tolerance: float = 1e-10, max_iterations: int = 1000
) -> Baseline:
    """Fit level and profile on the clean bins of every region row (see module docstring)."""
    n_regions, n_days, n_bins_of_day = len(timeline.regions), timeline.n_days, timeline.bins_per_day
    n_cells = 7 * n_bins_of_day
    index = np.flatnonzero(clean)
    day = timeline.day[index]
    cell = timeline.weekday[index] * n_bins_of_day + timeline.bin_of_day[index]
    counts = timeline.orders[:, index]
    rows = np.arange(n_regions)[:, None]
    day_key = (rows * n_days + day).ravel()
    cell_key = (rows * n_cells + cell).ravel()
    day_total = np.bincount(day_key, counts.ravel(), n_regions * n_days).reshape(n_regions, n_days)
    cell_total = np.bincount(cell_key, counts.ravel(), n_regions * n_cells).reshape(
        n_regions, n_cells
    )
    cell_seen = np.bincount(cell, minlength=n_cells) > 0

    day_weight = _InOrderSum(day, n_days, cell)  # [region, day]: the profile over its clean bins
    cell_weight = _InOrderSum(cell, n_cells, day)  # [region, cell]: the level over its clean bins

    profile, iterations = _alternate(
        day_total, cell_total, cell_seen, n_bins_of_day, day_weight, cell_weight, tolerance, max_iterations
    )
    day_seen = np.bincount(day, minlength=n_days) > 0
    level = np.where(day_seen, _ratio(day_total, day_weight(profile)), np.nan)
    level, profile, scale_variance = _weekday_free(
        level, profile, timeline.day_weekday(np.arange(n_days)), n_bins_of_day
    )
    full, pool = _with_fallback(profile, cell_total, cell_weight(level), cell_seen, n_bins_of_day)
    return Baseline(
        clean=clean,
        level=level,
        profile=full.reshape(n_regions, 7, n_bins_of_day),
        profile_pool=pool.reshape(7, n_bins_of_day),
        iterations=iterations,
        scale_variance=scale_variance,
    )


class _InOrderSum:
    """Sums over groups of the clean bins, each bin taking one column of the values summed:
    ``values[:, column[i]]`` summed over the bins ``i`` of each group, per region row.

    The fit calls these sums twice per iteration, some sixty times over a season, and its result
    must not move by a bit, so they are added in bin order, as ``np.bincount`` adds them: from a
    dense [rank of the bin in its group, group, region] layout (a padding slot takes a zero), one
    rank after the other. A running sum in that order, a quarter of bincount's time on a season's
    150,000 weights. numpy's sum over the first axis of that layout is such a running sum, every
    column on its own (half the time of adding the ranks in a loop), unless there is a single
    column, which it would sum pairwise: that one takes the loop.
    """

    def __init__(self, group: np.ndarray, n_groups: int, column: np.ndarray) -> None:
        order = np.argsort(group, kind="stable")
        rank = np.empty(len(group), dtype="int64")
        rank[order] = np.arange(len(group)) - np.searchsorted(group[order], group[order])
        self.depth, self.n_groups = int(rank.max(initial=-1)) + 1, n_groups
        self.pad = int(column.max(initial=-1)) + 1  # the zero row appended to the values
        self.take = np.full(self.depth * n_groups, self.pad, dtype="int64")
        self.take[rank * n_groups + group] = column

    def __call__(self, values: np.ndarray) -> np.ndarray:
        n_regions = len(values)
        if self.depth == 0:
            return np.zeros((n_regions, self.n_groups))
        padded = np.concatenate([values[:, : self.pad].T, np.zeros((1, n_regions))])
        dense = np.take(padded, self.take, axis=0).reshape(self.depth, self.n_groups * n_regions)
        if dense.shape[1] > 1:
            total = dense.sum(axis=0)
        else:
            total = dense[0].copy()
            for rank in range(1, self.depth):
                total += dense[rank]
        return np.ascontiguousarray(total.reshape(self.n_groups, n_regions).T)


def _weekday_free(
    level: np.ndarray, profile: np.ndarray, weekdays: np.ndarray, n_bins_of_day: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The levels with their weekday factor (``weekday_scale``) moved into the profile, and the
    factors' variance (``weekday_scale_variance``)."""
    scale = weekday_scale(level, weekdays)
    scale_variance = weekday_scale_variance(level, weekdays)
    n_regions = len(profile)
    profile = (profile.reshape(n_regions, 7, n_bins_of_day) * scale[:, :, None]).reshape(
        n_regions, 7 * n_bins_of_day
    )
    return level / scale[:, weekdays], profile, scale_variance


def _alternate(
    day_total, cell_total, cell_seen, n_bins_of_day, day_weight, cell_weight, tolerance, max_iterations
) -> tuple[np.ndarray, int]:
    """The profile [region, cell] after alternating level and profile fits until it changes by
    at most ``tolerance`` (relative), and the iterations it took."""
    profile = np.where(cell_seen, 1.0, 0.0)[None, :].repeat(len(day_total), axis=0)
    iterations = 0
    while iterations < max_iterations:
        iterations += 1
        level = _ratio(day_total, day_weight(profile))
        updated = _normalise(_ratio(cell_total, cell_weight(level)), cell_seen, n_bins_of_day)
        change = np.max(np.abs(updated - profile), initial=0.0)
        profile = updated
        if change <= tolerance * max(np.max(profile, initial=0.0), 1.0):
            break
    return profile, iterations


def weekday_scale(level: np.ndarray, weekday: np.ndarray) -> np.ndarray:
    """Weekday factors [region, 7] (geometric mean 1) of per-day levels.

    Each day's log level is compared with the mean log level of the seven days centred on it
    (one of each weekday); the factor of a weekday is the mean of those deviations. Dividing the
    levels by it leaves a level that is comparable from one day to the next, so one level can serve
    a span that crosses midnight (the extended window).
    """
    mean, _ = _weekday_deviation_moments(level, weekday)
    scale = np.exp(mean)
    return scale / np.exp(np.log(scale).mean(axis=1, keepdims=True))


def weekday_scale_variance(level: np.ndarray, weekday: np.ndarray) -> np.ndarray:
    """[region, 7]: variance of the estimated log weekday factor (``weekday_scale``).

    The standard error squared of the mean deviation: the sample variance of the weekday's
    deviations over their number (NaN-free: 0 with fewer than two). It is one error shared by
    every day of that weekday in the horizon, so a day compared with its neighbours' level
    carries it in full. It is large for a weekday whose levels rest on few clean orders (a
    Saturday with football most of the day).
    """
    _, variance = _weekday_deviation_moments(level, weekday)
    return variance


def _weekday_deviation_moments(level: np.ndarray, weekday: np.ndarray):
    """Per region and weekday: mean deviation of log level from the centred 7-day mean, and the
    variance of that mean (0 where undefined)."""
    n_regions, n_days = level.shape
    mean = np.zeros((n_regions, 7))
    variance = np.zeros((n_regions, 7))
    if n_days < 7:
        return mean, variance
    with np.errstate(divide="ignore", invalid="ignore"):
        log_level = np.log(level)
    valid = np.isfinite(log_level)
    values = np.where(valid, log_level, 0.0)
    window_sum = np.cumsum(np.pad(values, ((0, 0), (1, 0))), axis=1)
    window_count = np.cumsum(np.pad(valid.astype("int64"), ((0, 0), (1, 0))), axis=1)
    total = window_sum[:, 7:] - window_sum[:, :-7]
    complete = (window_count[:, 7:] - window_count[:, :-7]) == 7
    centre = np.arange(3, n_days - 3)
    deviation = np.where(complete, values[:, centre] - total / 7.0, np.nan)
    for w in range(7):
        of_weekday = deviation[:, weekday[centre] == w]
        seen = np.isfinite(of_weekday)
        n = seen.sum(axis=1)
        values_w = np.where(seen, of_weekday, 0.0)
        mean[:, w] = np.divide(values_w.sum(axis=1), n, out=np.zeros(n_regions), where=n > 0)
        squares = np.where(seen, (of_weekday - mean[:, w : w + 1]) ** 2, 0.0).sum(axis=1)
        variance[:, w] = np.divide(
            squares, n * (n - 1.0), out=np.zeros(n_regions), where=n > 1
        )
    return mean, variance


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    return np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator > 0)


def _normalise(profile: np.ndarray, seen: np.ndarray, n_bins_of_day: int) -> np.ndarray:
    """Scale each weekday's profile to mean 1 over its seen cells (the day level carries scale)."""
    by_day = profile.reshape(len(profile), 7, n_bins_of_day)
    seen_by_day = seen.reshape(7, n_bins_of_day)
    mean = np.divide(
        by_day.sum(axis=2),
        seen_by_day.sum(axis=1),
        out=np.zeros(by_day.shape[:2]),
        where=seen_by_day.sum(axis=1) > 0,
    )
    scale = np.where(mean > 0, mean, 1.0)
    return (by_day / scale[:, :, None]).reshape(profile.shape)


def _with_fallback(profile, cell_total, cell_weight, cell_seen, n_bins_of_day):
    n_regions = len(profile)
    full = np.where(cell_seen, profile, np.nan)
    pool = np.where(cell_seen, POOL_WEEKDAY, POOL_NONE)
    totals = cell_total.reshape(n_regions, 7, n_bins_of_day)
    weights = cell_weight.reshape(n_regions, 7, n_bins_of_day)
    seen = cell_seen.reshape(7, n_bins_of_day)
    groups = [(POOL_DAY_TYPE, DAY_TYPE), (POOL_ALL_DAYS, np.zeros(7, dtype="int64"))]
    full = full.reshape(n_regions, 7, n_bins_of_day)
    pool = pool.reshape(7, n_bins_of_day)
    for level_pool, group in groups:
        for g in np.unique(group):
            members = group == g
            pooled_seen = seen[members].any(axis=0)
            pooled = _ratio(totals[:, members].sum(axis=1), weights[:, members].sum(axis=1))
            fill = (pool == POOL_NONE) & members[:, None] & pooled_seen[None, :]
            # The pooled cells carry the members' mix of weekday factors; a weekday takes them
            # at its own level (its seen cells over the pooled ones at the same times), or a
            # Friday evening borrowed from Monday-Thursday would be a third too low.
            own = np.where(seen & pooled_seen[None, :], np.nan_to_num(full), 0.0)  # [r, 7, s]
            under = np.where(seen & pooled_seen[None, :], 1.0, 0.0)[None, :, :] * pooled[:, None, :]
            factor = _ratio(own.sum(axis=2), under.sum(axis=2))  # [r, 7]
            factor = np.where(factor > 0, factor, 1.0)
            scaled = pooled[:, None, :] * factor[:, :, None]
            full[:, fill] = scaled[:, fill]
            pool[fill] = level_pool
    return full.reshape(n_regions, -1), pool.reshape(-1)
