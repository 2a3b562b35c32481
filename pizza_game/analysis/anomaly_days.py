"""The day scale of the anomaly tests (``anomalies.py``): local days against the neighbour level,
with the uncertainty of the weekday factor every day of a weekday shares."""

from __future__ import annotations

import numpy as np

from pizza_game.analysis.anomaly_units import BinTerms, Tested, Units, not_tested, relative_variance
from pizza_game.analysis.baseline import DAY_TYPE, Baseline
from pizza_game.analysis.counts import dispersions
from pizza_game.analysis.scales import neighbour_expected_per_bin, sum_by
from pizza_game.analysis.timeline import Timeline

MIN_DAY_COVERAGE = 0.5


def day_tests(timeline, baseline, terms, in_window, regions, min_reference_days) -> tuple[list[Tested], list[dict]]:
    """Day-scale tests, and the regions whose days were not tested (too few match-free days)."""
    not_run: list[dict] = []
    if timeline.n_days == 0:
        return [], not_run
    units = _day_units(timeline, baseline, terms, in_window)
    day_type = DAY_TYPE[timeline.day_weekday(np.arange(timeline.n_days))]
    fitted = []
    for r in regions:
        region = timeline.regions[r]
        tested = units.testable("day", r, region, not_run)
        clean = tested & ~units.touched
        if clean.sum() < min_reference_days:
            not_run.append(
                not_tested(
                    "day",
                    "",
                    region,
                    int(tested.sum()),
                    f"needs at least {min_reference_days} match-free reference days with a "
                    f"neighbour level; this range has {int(clean.sum())}",
                )
            )
            continue
        fitted.append((r, tested, clean))
    by_region = _day_dispersions(units, fitted, day_type)
    return [
        units.tested("day", r, timeline.regions[r], tested, phi, df[tested])
        for (r, tested, _), (phi, df) in zip(fitted, by_region, strict=True)
    ], not_run


def _day_units(timeline, baseline, terms: BinTerms, in_window) -> Units:
    """[day]: the local days as units, expected from the neighbour level over their covered bins."""
    n_days = timeline.n_days
    day = timeline.day
    covered = timeline.covered
    bins = np.bincount(day, minlength=n_days)
    # Against a whole local day: a day cut by the range's edge (the hour after local midnight
    # before a UTC end) is not a day.
    coverage = np.bincount(day, covered.astype("float64"), n_days) / timeline.bins_per_day
    neighbour = neighbour_expected_per_bin(timeline, baseline)
    profile_bins = np.where(covered[None, :], terms.profile, 0.0)
    outside_fit = covered & ~baseline.clean
    relative_var = relative_variance(
        # outside_fit holds covered bins only: the shared term of an uncovered bin is not taken
        sum_by(day, n_days, terms.variance * outside_fit[None, :]),
        sum_by(day, n_days, np.nan_to_num(profile_bins)),
        np.zeros((len(timeline.regions), n_days)),
    ) + _weekday_variance(timeline, baseline)
    start = timeline.start_ns + np.searchsorted(day, np.arange(n_days)) * timeline.bin_ns
    return Units(
        start=start,
        end=start + bins * timeline.bin_ns,
        eligible=coverage >= MIN_DAY_COVERAGE,
        borrowed=np.bincount(day, terms.borrowed.astype("float64"), n_days) > 0,
        touched=np.bincount(day, in_window.astype("float64"), n_days) > 0,
        observed=sum_by(day, n_days, timeline.orders),
        expected=sum_by(day, n_days, np.where(covered[None, :], neighbour, 0.0)),
        real=sum_by(day, n_days, timeline.real),
        relative_var=relative_var,
    )


def _day_dispersions(units: Units, fitted: list, day_type: np.ndarray) -> list:
    """[day] per (region row, tested, clean) of ``fitted``: the day dispersion and its degrees of
    freedom (fitted units - 1) for every day, all regions' dispersions fitted in one go.

    The dispersion fitted on the match-free days (mostly Monday-Thursday), or, when larger, the
    one fitted on every tested day of the same day type (``DAY_TYPE``: weekday or weekend, match
    days included): an error of the expectation shared by the days of a type (the weekend's
    weekday factor and profile, which rest on the few hours without football) is invisible in the
    spread of match-free weekdays but is part of every weekend day's (O - E)^2. The robust loop
    sets a surging day aside, so a single anomaly does not widen its own type's dispersion.
    """
    groups, of_types = [], []
    for r, tested, clean in fitted:
        observed, expected, relative_var = units.observed[r], units.expected[r], units.relative_var[r]
        types = [k for k in np.unique(day_type[tested]) if (tested & (day_type == k)).sum() >= 2]
        of_types.append(types)
        for of in [clean] + [tested & (day_type == k) for k in types]:
            groups.append((observed[of], expected[of], relative_var[of]))
    phis = iter(dispersions(groups))
    out = []
    for (_, tested, clean), types in zip(fitted, of_types, strict=True):
        phi_clean = next(phis)
        phi = np.full(len(day_type), phi_clean)
        df = np.full(len(day_type), int(clean.sum()) - 1)
        for kind in types:
            phi_type = next(phis)
            if phi_type > phi_clean:
                phi[day_type == kind] = phi_type
                df[day_type == kind] = int((tested & (day_type == kind)).sum()) - 1
        out.append((phi, df))
    return out


def _weekday_variance(timeline: Timeline, baseline: Baseline) -> np.ndarray:
    """[region, day]: relative variance of the day's weekday factor, one error shared by every day
    of that weekday in the horizon, so a day compared with its neighbours carries it in full.

    The neighbour level is weekday-free; the day's weekday factor comes back through its profile.
    The factor is the mean of its weekday's levels (``baseline.weekday_scale_variance``: the spread
    of that mean), and those levels are fitted on the profile of the weekday's clean hours, itself
    estimated once for all the weekday's days: relative variance about 1 / the weekday's clean
    orders, times the share of its orders outside clean time (0 for a weekday that is all clean,
    whose profile is normalised on the whole day). A Saturday with football most of the day gets
    both; the day dispersion, fitted on days without matches (mostly Monday-Thursday), sees
    neither, and without them a world without effects puts about twice their share of time of
    its day candidates on match days.
    """
    n_regions = len(timeline.regions)
    day_weekday = timeline.day_weekday(np.arange(timeline.n_days))
    if baseline.scale_variance is None:
        return np.zeros((n_regions, timeline.n_days))
    covered = timeline.covered
    weekday = timeline.weekday[covered]
    orders = timeline.orders[:, covered]
    clean = baseline.clean[covered]
    total = sum_by(weekday, 7, orders)
    clean_total = sum_by(weekday[clean], 7, orders[:, clean])
    outside = np.divide(total - clean_total, total, out=np.zeros(total.shape), where=total > 0)
    profile_part = np.divide(
        outside, clean_total, out=np.zeros(total.shape), where=clean_total > 0
    )
    return (baseline.scale_variance + profile_part)[:, day_weekday]
