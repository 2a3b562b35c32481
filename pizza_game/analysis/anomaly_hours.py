"""The hour scale of the anomaly tests (``anomalies.py``): whole UTC hours with raw data, each
clean hour judged against its expectation refitted without it."""

from __future__ import annotations

import numpy as np

from pizza_game.analysis.anomaly_units import BinTerms, Tested, Units, not_tested, relative_variance
from pizza_game.analysis.counts import Fit, fits
from pizza_game.analysis.scales import hour_of_bin, profile_days_per_bin, sum_by

# An hour is judged against its profile fitted without it: with fewer days behind a profile cell
# the left-out cell rests on one other day (a 14-day world without effects then flags a night hour
# at +329 %, adjusted p 0.011). More is not required: a season's match-time cells rest on its
# handful of Saturdays without football, and their variance is carried (``profile_variance``).
MIN_PROFILE_DAYS = 3


def hour_tests(timeline, baseline, terms, in_window, regions) -> tuple[list[Tested], list[dict]]:
    """Hour-scale tests, and the hours not tested (borrowed profile, too few days behind it)."""
    hour, n_hours = hour_of_bin(timeline)
    not_run: list[dict] = []
    if n_hours == 0:
        return [], not_run
    units, clean, days_behind = _hour_units(timeline, baseline, terms, in_window, hour, n_hours)
    few = ~units.borrowed & (days_behind < MIN_PROFILE_DAYS)
    tested_of = {}
    for r in regions:
        region = timeline.regions[r]
        tested = units.testable("hour", r, region, not_run)
        if (tested & few).any():
            most = int(days_behind[tested & few].max())
            not_run.append(
                not_tested(
                    "hour",
                    "",
                    region,
                    int((tested & few).sum()),
                    f"needs at least {MIN_PROFILE_DAYS} match-free days of the same weekday "
                    f"at the hour's time of day behind its profile; this range has at most {most}",
                )
            )
        tested_of[r] = tested & ~few
    fit_units = {r: tested & clean for r, tested in tested_of.items()}
    fitted = fits(
        [(units.observed[r, fit], units.expected[r, fit], units.relative_var[r, fit]) for r, fit in fit_units.items()]
    )
    tested_units = [
        units.tested(
            "hour", r, timeline.regions[r], tested_of[r], fit.phi, int(fit_units[r].sum()) - 1,
            _known_p(fit, clean[tested_of[r]]),
        )
        for r, fit in zip(tested_of, fitted, strict=True)
    ]  # fmt: skip
    return tested_units, not_run


def _known_p(fit: Fit, fitted: np.ndarray) -> np.ndarray:
    """The NB p-values of a region row's tested hours that its dispersion fit computed (the clean
    ones, ``fitted`` among the tested), NaN for the others."""
    known = np.full(len(fitted), np.nan)
    if fit.p_values is not None:
        known[fitted] = fit.p_values
    return known


def _hour_units(timeline, baseline, terms: BinTerms, in_window, hour, n_hours):
    """[hour]: the whole UTC hours as units, whether each is clean (took part in the baseline fit)
    and the fewest match-free days behind a profile cell it touches."""
    bins = np.bincount(hour, minlength=n_hours)
    days_bins = np.where(timeline.covered, profile_days_per_bin(timeline, baseline), np.inf)
    days_behind = np.full(n_hours, np.inf)
    np.minimum.at(days_behind, hour, days_bins)
    clean = np.bincount(hour, baseline.clean.astype("float64"), n_hours) == bins
    expected_bins = baseline.expected_per_bin(timeline)
    expected = sum_by(hour, n_hours, expected_bins)
    observed = sum_by(hour, n_hours, timeline.orders)
    first_bin = np.searchsorted(hour, np.arange(n_hours))
    behind = terms.behind
    profile = sum_by(hour, n_hours, np.nan_to_num(terms.profile))
    profile_var = sum_by(hour, n_hours, terms.variance)
    day_orders = terms.day_orders[:, timeline.day[first_bin]]
    # A clean hour took part in the fit of its own expectation: judge it against the fit without it.
    left_out = _left_out(
        timeline, hour, n_hours, expected_bins, behind, observed, expected, day_orders
    )
    start = timeline.start_ns + first_bin * timeline.bin_ns
    units = Units(
        start=start,
        end=start + bins * timeline.bin_ns,
        eligible=np.bincount(hour, timeline.covered.astype("float64"), n_hours) == bins,
        borrowed=np.bincount(hour, terms.borrowed.astype("float64"), n_hours) > 0,
        touched=np.bincount(hour, in_window.astype("float64"), n_hours) > 0,
        observed=observed,
        expected=np.where(clean[None, :], left_out, expected),
        real=sum_by(hour, n_hours, timeline.real),
        relative_var=relative_variance(profile_var, profile, day_orders),
    )
    return units, clean, days_behind


def _left_out(timeline, hour, n_hours, expected_bins, behind, observed, expected, day_orders):
    """Expected orders of each hour refitted without the hour itself (for clean hours).

    level and profile cells are ratios of clean orders to clean expected weight, so leaving the
    hour out scales the level by (L - O) / (L - E) over the day's clean orders L and each bin's
    profile cell by (N - o) / (N - e) over the orders N behind it.
    """
    o_bins = timeline.orders
    e_bins = np.nan_to_num(expected_bins)
    cell = np.divide(
        behind - o_bins, behind - e_bins, out=np.ones(o_bins.shape), where=behind - e_bins > 0
    )
    per_hour = sum_by(hour, n_hours, e_bins * np.clip(cell, 0.0, None))
    level = np.divide(
        day_orders - observed,
        day_orders - expected,
        out=np.ones(observed.shape),
        where=day_orders - expected > 0,
    )
    return per_hour * np.clip(level, 0.0, None)
