"""Anomalies: hours, match windows and local days whose order count the count model does not expect.

Each *unit* of a scale is tested, per region row, against an expectation and a negative binomial
(NB2) overdispersion fitted on clean units of the same scale (``counts.py``):

- **hour**: whole UTC hours with raw data; expected = the baseline (the day's own level x the
  weekday/time-of-day profile). Dispersion from hours that touch no match window. A day-long
  surge is absorbed by the day's level and shows at the day scale instead.
- **window**: every distinct match window (slot) of every kind; observed and expected as in the
  per-match table. Dispersion from the slots' reference spans (the same wall-clock spans on clean
  days, measured the same way), per window kind.
- **day**: local days with at least half a day's bins covered; expected = the neighbour level
  (``scales.py``: median level of the days within two weeks) x the day's profile over its covered
  bins. Dispersion from days that touch no match window or, where larger, from all tested days
  of the same day type (weekday / weekend; ``_day_dispersion``). The weekday factor in that profile is
  one estimate shared by all days of its weekday; its variance (``_weekday_variance``) is added to
  every day of the weekday, which matters for Saturdays and Sundays, whose levels rest on the few
  hours without football.

Enough information or no test (all scales): an hour is tested only when every profile cell it touches rests on
at least ``MIN_PROFILE_DAYS`` match-free days (its own weekday, or its day type where the
baseline fell back); with fewer, leaving the hour out of its own fit leaves almost nothing (two
weeks of data: one other day). An hour, window or day whose profile is borrowed from all days (no
match-free bin of its weekday or day type at that time; Saturday afternoons in two weeks of the
season) is not tested: its expectation is a guess of the shape, and a 14-day world without
effects would flag every weekend lunch. The window scale of a window kind and the day scale are tested
only with at least ``min_reference_days`` match-free reference days (``AnalysisConfig``, the rule
the lift tests use; reference spans at the window's time of day, or days that touch no match
window): the dispersion rests on them. Below it the scale is not tested and ``not_run`` (the
summary's ``by_scale[scale]["not_tested"]``) says what is missing, e.g. "needs at least 8
match-free reference days at the window's time of day; this range has 2".

An expectation fitted without the unit is itself uncertain: the relative variance of its profile
(about 1 / the clean orders behind each profile cell) and of its day level (1 / the day's clean
orders) is added to the unit's dispersion (``_relative_variance``), and removed from the moment
estimate of the dispersion. This matters for match time: a Saturday 15:00 profile cell rests on
the few Saturdays without football. Clean hours took part in the fit of their own expectation, so
they are judged against the fit without them (``_left_out``). Without both, a world without
effects puts about twice its time share of hour candidates and of day candidates in match time.

The p-value is two-sided (2 x the smaller NB tail, capped at 1): unusually many orders and
unusually few are both anomalies (``direction`` says which). The dispersion is an estimate, so the
p-value is the larger of that and the studentised deviation's against t with (fitted units - 1)
degrees of freedom (``counts.studentised_p``): with thousands of hours it changes nothing; with
the eight to twenty match-free days of a short range it does (a 14-day world without effects,
whose days vary by 6 %, otherwise flags a day in most runs). Multiplicity: Benjamini-Hochberg
within each scale (one family per scale, all regions together); a unit is an anomaly when its
adjusted p is below alpha. Every tested unit is kept in ``tests`` (for calibration: in a world
without effects, units with small p fall inside match windows at the share of tested time the
windows cover); ``flagged`` holds the anomalies with their size (observed, expected, lift), their
significance and their source (share of real orders; "real", "mock", "mixed", or "none" when no
order was seen), and the match windows they touch (``match_id:window``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pizza_game.analysis.baseline import (
    CONTAMINATING_WINDOWS,
    DAY_TYPE,
    SOURCE_ALL_DAYS,
    Baseline,
    touched_bins,
)
from pizza_game.analysis.counts import dispersion, studentised_p, two_sided_p
from pizza_game.analysis.scales import (
    clean_orders_per_day,
    hour_of_bin,
    neighbour_expected_per_bin,
    profile_days_per_bin,
    profile_orders_per_bin,
    sum_by,
)
from pizza_game.analysis.slots import Spans
from pizza_game.analysis.stats import benjamini_hochberg
from pizza_game.analysis.timeline import Timeline

SCALES = ("hour", "window", "day")
MIN_DAY_COVERAGE = 0.5
LISTED = 10
# An hour is judged against its profile fitted without it: with fewer days behind a profile cell
# the left-out cell rests on one other day (a 14-day world without effects then flags a night hour
# at +329 %, adjusted p 0.011). More is not required: a season's match-time cells rest on its
# handful of Saturdays without football, and their variance is carried (``_profile_variance``).
MIN_PROFILE_DAYS = 3
BORROWED = (
    "their time-of-day profile has no match-free day of the same weekday or day type "
    "(it would be borrowed from all days)"
)
TEST_COLUMNS = (
    "scale",
    "start",
    "end",
    "region",
    "window",
    "slot",
    "observed",
    "expected",
    "lift",
    "dispersion",
    "p_value",
    "p_adjusted",
    "anomaly",
    "direction",
    "real_orders",
    "in_match_window",
)
ANOMALY_COLUMNS = (*TEST_COLUMNS, "real_share", "source", "windows")
METHOD = (
    "two-sided negative binomial test of observed vs expected orders, dispersion fitted on clean "
    "units of the same scale; Benjamini-Hochberg within each scale (hour, window, day)"
)


@dataclass
class Anomalies:
    tests: pd.DataFrame  # every tested unit (TEST_COLUMNS)
    flagged: pd.DataFrame  # the anomalies (ANOMALY_COLUMNS), most significant first
    alpha: float
    # window kinds and regions a scale was not tested for, and why (scale, window, region, units,
    # reason); below the reference-day minimum a scale is not tested rather than guessed
    not_run: list[dict] = field(default_factory=list)

    def window_flags(self) -> pd.DataFrame:
        """Per (window, slot, region): anomaly, anomaly_p and anomaly_p_adjusted of the slot."""
        windows = self.tests[self.tests["scale"] == "window"]
        return windows[["window", "slot", "region", "anomaly", "p_value", "p_adjusted"]].rename(
            columns={"p_value": "anomaly_p", "p_adjusted": "anomaly_p_adjusted"}
        )

    def summary(self) -> dict:
        flagged = self.flagged
        return {
            "method": METHOD,
            "alpha": self.alpha,
            "count": len(flagged),
            "by_scale": {
                scale: {
                    "tested": int((self.tests["scale"] == scale).sum()),
                    "anomalies": int((flagged["scale"] == scale).sum()),
                    "in_match_windows": int(
                        ((flagged["scale"] == scale) & flagged["in_match_window"]).sum()
                    ),
                    "not_tested": [
                        {k: item[k] for k in ("window", "region", "units", "reason")}
                        for item in self.not_run
                        if item["scale"] == scale
                    ],
                }
                for scale in SCALES
            },
            "in_match_windows": int(flagged["in_match_window"].sum()),
            "by_source": {str(k): int(v) for k, v in flagged["source"].value_counts().items()},
            "largest": [_describe(row) for row in flagged.head(LISTED).itertuples()],
        }


def with_window_flags(match_windows: pd.DataFrame, anomalies: Anomalies) -> pd.DataFrame:
    """The per-match table with the window-scale anomaly flag and p-values of each row's slot."""
    flags = anomalies.window_flags()
    joined = match_windows.merge(flags, on=["window", "slot", "region"], how="left")
    joined["anomaly"] = joined["anomaly"].fillna(False).astype(bool)
    return joined


def find_anomalies(
    timeline: Timeline,
    baseline: Baseline,
    bounds: pd.DataFrame,
    match_windows: pd.DataFrame,
    references: dict[str, Spans],
    regions: list[int],
    alpha: float,
    min_coverage: float,
    min_reference_days: int,
) -> Anomalies:
    """Test every unit of every scale (see module docstring); ``bounds``: match_id, window, *_ns."""
    proper = bounds[bounds["window"].isin(CONTAMINATING_WINDOWS)]
    in_window = touched_bins(timeline, proper["start_ns"].to_numpy(), proper["end_ns"].to_numpy())
    windows, windows_not_run = _window_tests(
        match_windows, references, timeline, baseline, regions, min_coverage, min_reference_days
    )
    days, days_not_run = _day_tests(timeline, baseline, in_window, regions, min_reference_days)
    hours, hours_not_run = _hour_tests(timeline, baseline, in_window, regions)
    frames = [hours, windows, days]
    tests = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(
        len(f) for f in frames
    ) else _empty(TEST_COLUMNS)
    tests["p_adjusted"] = np.nan
    for scale in SCALES:
        of_scale = (tests["scale"] == scale).to_numpy()
        tests.loc[of_scale, "p_adjusted"] = benjamini_hochberg(
            tests.loc[of_scale, "p_value"].to_numpy(dtype="float64")
        )
    tests["anomaly"] = (tests["p_adjusted"] < alpha).to_numpy()
    tests = tests[list(TEST_COLUMNS)]
    flagged = tests[tests["anomaly"]].sort_values("p_value", kind="stable", ignore_index=True)
    share = np.divide(
        flagged["real_orders"].to_numpy(dtype="float64"),
        flagged["observed"].to_numpy(dtype="float64"),
        out=np.full(len(flagged), np.nan),
        where=flagged["observed"].to_numpy(dtype="float64") > 0,
    )
    flagged["real_share"] = share
    flagged["source"] = np.where(
        np.isnan(share), "none", np.where(share >= 1, "real", np.where(share <= 0, "mock", "mixed"))
    )
    flagged["windows"] = _labels(flagged, proper, match_windows)
    return Anomalies(
        tests=tests,
        flagged=flagged[list(ANOMALY_COLUMNS)],
        alpha=alpha,
        not_run=hours_not_run + windows_not_run + days_not_run,
    )


def _unit_frame(
    scale, start_ns, end_ns, region, observed, expected, real, phi, in_window, df, **extra
):
    """One scale's tested units; p = the larger of the NB p-value and the studentised one with
    ``df`` (the units the dispersion was fitted on, minus one): the dispersion is estimated."""
    n = len(observed)
    lift = np.divide(observed, expected, out=np.full(n, np.nan), where=expected > 0) - 1.0
    return pd.DataFrame(
        {
            "scale": scale,
            "start": pd.to_datetime(np.asarray(start_ns, dtype="int64"), utc=True),
            "end": pd.to_datetime(np.asarray(end_ns, dtype="int64"), utc=True),
            "region": region,
            "window": extra.get("window", ""),
            "slot": extra.get("slot", ""),
            "observed": observed,
            "expected": expected,
            "lift": lift,
            "dispersion": phi,
            "p_value": np.fmax(
                two_sided_p(observed, expected, phi), studentised_p(observed, expected, phi, df)
            ),
            "direction": np.where(observed >= expected, "high", "low"),
            "real_orders": real,
            "in_match_window": np.asarray(in_window, dtype=bool),
        }
    )


@dataclass(frozen=True)
class _Units:
    """The candidate units of the hour or day scale, before a region row's tests.

    Per unit: ``start``/``end`` (ns), ``eligible`` (covered enough to be tested), ``borrowed``
    (profile borrowed from all days), ``touched`` (touches a match window). Per region row and
    unit: ``observed``, ``expected``, ``real`` orders and ``relative_var``, the relative variance
    of the expectation (``_relative_variance``).
    """

    start: np.ndarray
    end: np.ndarray
    eligible: np.ndarray
    borrowed: np.ndarray
    touched: np.ndarray
    observed: np.ndarray
    expected: np.ndarray
    real: np.ndarray
    relative_var: np.ndarray

    def testable(self, scale: str, r: int, region: str, not_run: list[dict]) -> np.ndarray:
        """Units of region row ``r`` with an expectation and a profile of their own; those with a
        borrowed profile are noted in ``not_run``."""
        tested = self.eligible & np.isfinite(self.expected[r]) & (self.expected[r] > 0)
        return _without_borrowed(tested, self.borrowed, scale, "", region, not_run)

    def frame(self, scale: str, r: int, region: str, tested, phi, df) -> pd.DataFrame:
        """The tested units of region row ``r``; their dispersion is ``phi`` (the scale's, one or
        per unit) plus the relative variance of their expectation."""
        return _unit_frame(
            scale,
            self.start[tested],
            self.end[tested],
            region,
            self.observed[r, tested],
            self.expected[r, tested],
            self.real[r, tested],
            (phi + self.relative_var[r])[tested],
            self.touched[tested],
            df,
        )


def _without_borrowed(tested, borrowed, scale, window, region, not_run) -> np.ndarray:
    """``tested`` without the units whose profile is borrowed, noting those in ``not_run``."""
    if (tested & borrowed).any():
        not_run.append(_not_run(scale, window, region, int((tested & borrowed).sum()), BORROWED))
    return tested & ~borrowed


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True) if frames else _empty(TEST_COLUMNS)


def _hour_tests(timeline, baseline, in_window, regions):
    """Hour-scale tests, and the hours not tested (borrowed profile, too few days behind it)."""
    hour, n_hours = hour_of_bin(timeline)
    not_run: list[dict] = []
    if n_hours == 0:
        return _empty(TEST_COLUMNS), not_run
    units, clean, days_behind = _hour_units(timeline, baseline, in_window, hour, n_hours)
    few = ~units.borrowed & (days_behind < MIN_PROFILE_DAYS)
    frames = []
    for r in regions:
        region = timeline.regions[r]
        tested = units.testable("hour", r, region, not_run)
        if (tested & few).any():
            most = int(days_behind[tested & few].max())
            not_run.append(
                _not_run(
                    "hour",
                    "",
                    region,
                    int((tested & few).sum()),
                    f"needs at least {MIN_PROFILE_DAYS} match-free days of the same weekday "
                    f"at the hour's time of day behind its profile; this range has at most {most}",
                )
            )
        tested &= ~few
        fit = tested & clean
        observed, expected = units.observed[r, fit], units.expected[r, fit]
        phi = dispersion(observed, expected, units.relative_var[r, fit])
        frames.append(units.frame("hour", r, region, tested, phi, int(fit.sum()) - 1))
    return _concat(frames), not_run


def _hour_units(timeline, baseline, in_window, hour, n_hours):
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
    behind = profile_orders_per_bin(timeline, baseline)
    profile = sum_by(hour, n_hours, np.nan_to_num(baseline.profile_per_bin(timeline)))
    profile_var = sum_by(
        hour, n_hours, _profile_variance(baseline.profile_per_bin(timeline), behind)
    )
    day_orders = clean_orders_per_day(timeline, baseline)[:, timeline.day[first_bin]]
    # A clean hour took part in the fit of its own expectation: judge it against the fit without it.
    left_out = _left_out(
        timeline, hour, n_hours, expected_bins, behind, observed, expected, day_orders
    )
    start = timeline.start_ns + first_bin * timeline.bin_ns
    units = _Units(
        start=start,
        end=start + bins * timeline.bin_ns,
        eligible=np.bincount(hour, timeline.covered.astype("float64"), n_hours) == bins,
        borrowed=np.bincount(hour, _borrowed(timeline, baseline).astype("float64"), n_hours) > 0,
        touched=np.bincount(hour, in_window.astype("float64"), n_hours) > 0,
        observed=observed,
        expected=np.where(clean[None, :], left_out, expected),
        real=sum_by(hour, n_hours, timeline.real),
        relative_var=_relative_variance(profile_var, profile, day_orders),
    )
    return units, clean, days_behind


def _day_tests(timeline, baseline, in_window, regions, min_reference_days):
    """Day-scale tests, and the regions whose days were not tested (too few match-free days)."""
    not_run: list[dict] = []
    if timeline.n_days == 0:
        return _empty(TEST_COLUMNS), not_run
    units = _day_units(timeline, baseline, in_window)
    day_type = DAY_TYPE[timeline.day_weekday(np.arange(timeline.n_days))]
    frames = []
    for r in regions:
        region = timeline.regions[r]
        tested = units.testable("day", r, region, not_run)
        clean = tested & ~units.touched
        if clean.sum() < min_reference_days:
            not_run.append(
                _not_run(
                    "day",
                    "",
                    region,
                    int(tested.sum()),
                    f"needs at least {min_reference_days} match-free reference days with a "
                    f"neighbour level; this range has {int(clean.sum())}",
                )
            )
            continue
        phi, df = _day_dispersion(
            units.observed[r], units.expected[r], units.relative_var[r], tested, clean, day_type
        )
        frames.append(units.frame("day", r, region, tested, phi, df[tested]))
    return _concat(frames), not_run


def _day_units(timeline, baseline, in_window) -> _Units:
    """[day]: the local days as units, expected from the neighbour level over their covered bins."""
    n_days = timeline.n_days
    day = timeline.day
    covered = timeline.covered
    bins = np.bincount(day, minlength=n_days)
    # Against a whole local day: a day cut by the range's edge (the hour after local midnight
    # before a UTC end) is not a day.
    coverage = np.bincount(day, covered.astype("float64"), n_days) / timeline.slots_per_day
    neighbour = neighbour_expected_per_bin(timeline, baseline)
    profile_bins = np.where(covered[None, :], baseline.profile_per_bin(timeline), 0.0)
    outside_fit = covered & ~baseline.clean
    variance_bins = _profile_variance(profile_bins, profile_orders_per_bin(timeline, baseline))
    relative_var = _relative_variance(
        sum_by(day, n_days, variance_bins * outside_fit[None, :]),
        sum_by(day, n_days, np.nan_to_num(profile_bins)),
        np.zeros((len(timeline.regions), n_days)),
    ) + _weekday_variance(timeline, baseline)
    start = timeline.start_ns + np.searchsorted(day, np.arange(n_days)) * timeline.bin_ns
    return _Units(
        start=start,
        end=start + bins * timeline.bin_ns,
        eligible=coverage >= MIN_DAY_COVERAGE,
        borrowed=np.bincount(day, _borrowed(timeline, baseline).astype("float64"), n_days) > 0,
        touched=np.bincount(day, in_window.astype("float64"), n_days) > 0,
        observed=sum_by(day, n_days, timeline.orders),
        expected=sum_by(day, n_days, np.where(covered[None, :], neighbour, 0.0)),
        real=sum_by(day, n_days, timeline.real),
        relative_var=relative_var,
    )


@dataclass(frozen=True)
class _WindowSums:
    """Prefix sums over bins ([region, bin + 1]) of the covered profile, its variance, the clean
    orders per day and the borrowed bins: any window's totals in two look-ups."""

    timeline: Timeline
    profile: np.ndarray
    variance: np.ndarray
    day_orders: np.ndarray
    borrowed: np.ndarray

    @classmethod
    def of(cls, timeline: Timeline, baseline: Baseline) -> _WindowSums:
        covered = timeline.covered[None, :]
        profile_bins = baseline.profile_per_bin(timeline)
        variance_bins = _profile_variance(
            profile_bins, profile_orders_per_bin(timeline, baseline)
        )
        return cls(
            timeline=timeline,
            profile=_prefix(np.nan_to_num(profile_bins) * covered),
            variance=_prefix(variance_bins * covered),
            day_orders=_prefix(clean_orders_per_day(timeline, baseline)),
            borrowed=_prefix(_borrowed(timeline, baseline)[None, :].astype("float64"))[0],
        )

    def borrowed_in(self, rows: pd.DataFrame) -> np.ndarray:
        """Whether each window touches a bin with a borrowed profile."""
        b0, b1 = _bin_range(self.timeline, rows)
        return self.borrowed[b1] - self.borrowed[b0] > 0

    def relative_var(self, rows: pd.DataFrame, r: int) -> np.ndarray:
        """The relative variance of each window's expectation in region row ``r``."""
        x0, x1 = _bin_range(self.timeline, rows)
        first_day = self.timeline.day[np.minimum(x0, self.timeline.n_bins - 1)]
        last_day = self.timeline.day[np.maximum(x1 - 1, 0)]
        return _relative_variance(
            self.variance[r, x1] - self.variance[r, x0],
            self.profile[r, x1] - self.profile[r, x0],
            self.day_orders[r, last_day + 1] - self.day_orders[r, first_day],
        )


def _window_tests(
    match_windows, references, timeline, baseline, regions, min_coverage, min_reference_days
) -> tuple[pd.DataFrame, list[dict]]:
    """Window-scale tests, and the window kinds not tested (too few reference days) and why."""
    not_run: list[dict] = []
    if len(match_windows) == 0:
        return _empty(TEST_COLUMNS), not_run
    slots = match_windows.drop_duplicates(["window", "slot", "region"])
    sums = _WindowSums.of(timeline, baseline)
    frames = []
    for r in regions:
        region = timeline.regions[r]
        for kind, refs in references.items():
            rows = slots[(slots["window"] == kind) & (slots["region"] == region)]
            expected = rows["expected"].to_numpy(dtype="float64")
            tested = np.isfinite(expected) & (expected > 0)
            tested &= rows["coverage"].to_numpy() >= min_coverage - 1e-12
            tested = _without_borrowed(
                tested, sums.borrowed_in(rows), "window", kind, region, not_run
            )
            if not tested.any():
                continue
            rows = rows[tested]
            usable = np.isfinite(refs.expected[r]) & (refs.expected[r] > 0)
            usable &= refs.coverage >= min_coverage - 1e-12
            reference_days = len(np.unique(refs.first_day[usable]))
            if reference_days < min_reference_days:
                not_run.append(
                    _not_run(
                        "window",
                        kind,
                        region,
                        len(rows),
                        f"needs at least {min_reference_days} match-free reference days at the "
                        f"window's time of day; this range has {reference_days}",
                    )
                )
                continue
            frames.append(_window_frame(rows, refs, usable, sums, r, kind, region))
    return _concat(frames), not_run


def _window_frame(rows, refs: Spans, usable, sums: _WindowSums, r, kind, region) -> pd.DataFrame:
    """The tested slots ``rows`` of one window kind in region row ``r``, the dispersion fitted on
    the ``usable`` reference spans."""
    phi = dispersion(refs.observed[r, usable], refs.expected[r, usable])
    observed = rows["observed"].to_numpy(dtype="float64")
    return _unit_frame(
        "window",
        rows["start"].astype("int64").to_numpy(),
        rows["end"].astype("int64").to_numpy(),
        region,
        observed,
        rows["expected"].to_numpy(dtype="float64"),
        np.nan_to_num(rows["real_share"].to_numpy(dtype="float64")) * observed,
        phi + sums.relative_var(rows, r),
        kind in CONTAMINATING_WINDOWS,
        int(usable.sum()) - 1,
        window=kind,
        slot=rows["slot"].to_numpy(),
    )


def _day_dispersion(observed, expected, relative_var, tested, clean, day_type):
    """[day]: the day dispersion and its degrees of freedom (fitted units - 1) for every day.

    The dispersion fitted on the match-free days (mostly Monday-Thursday), or, when larger, the
    one fitted on every tested day of the same day type (``DAY_TYPE``: weekday or weekend, match
    days included): an error of the expectation shared by the days of a type (the weekend's
    weekday factor and profile, which rest on the few hours without football) is invisible in the
    spread of match-free weekdays but is part of every weekend day's (O - E)^2. The robust loop
    sets a surging day aside, so a single anomaly does not widen its own type's dispersion.
    """
    phi_clean = dispersion(observed[clean], expected[clean], relative_var[clean])
    phi = np.full(len(observed), phi_clean)
    df = np.full(len(observed), int(clean.sum()) - 1)
    for kind in np.unique(day_type[tested]):
        of_type = tested & (day_type == kind)
        if of_type.sum() < 2:
            continue
        phi_type = dispersion(observed[of_type], expected[of_type], relative_var[of_type])
        if phi_type > phi_clean:
            phi[day_type == kind] = phi_type
            df[day_type == kind] = int(of_type.sum()) - 1
    return phi, df


def _borrowed(timeline: Timeline, baseline: Baseline) -> np.ndarray:
    """Covered bins whose profile cell is borrowed from all days (no match-free bin of their
    weekday or day type at that time of day): a guess of the shape, not an estimate of it."""
    return timeline.covered & (baseline.source_per_bin(timeline) >= SOURCE_ALL_DAYS)


def _not_run(scale: str, window: str, region: str, units: int, reason: str) -> dict:
    return {"scale": scale, "window": window, "region": region, "units": units, "reason": reason}


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


def _relative_variance(profile_var, profile, day_orders) -> np.ndarray:
    """Relative variance of an expected count fitted out of sample: profile part + level part.

    expected = level x sum(profile); the profile cells rest on their clean orders
    (``scales.profile_variance_per_bin``), the level on the day's clean orders. Added to the
    unit's NB dispersion, so a unit whose expectation is itself uncertain (a Saturday afternoon
    whose profile rests on the few Saturdays without football) is judged with that uncertainty.
    Units that took part in the fit (clean ones) do not get it.
    """
    profile_part = np.divide(
        profile_var, profile**2, out=np.zeros_like(profile), where=profile > 0
    )
    level_part = np.divide(1.0, day_orders, out=np.zeros_like(profile), where=day_orders > 0)
    return profile_part + level_part


def _profile_variance(profile: np.ndarray, behind: np.ndarray) -> np.ndarray:
    """profile^2 / orders behind it per bin: summed over a span and divided by the span's profile
    squared, the relative variance the profile adds to the span's expected count."""
    usable = (behind > 0) & np.isfinite(profile)
    return np.divide(profile**2, behind, out=np.zeros(profile.shape), where=usable)


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


def _bin_range(timeline: Timeline, rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The whole bins [x0, x1) that windows touch."""
    x0 = np.floor(timeline.position(rows["start"].astype("int64").to_numpy()))
    x1 = np.ceil(timeline.position(rows["end"].astype("int64").to_numpy()))
    return (
        np.clip(x0, 0, timeline.n_bins).astype("int64"),
        np.clip(x1, 0, timeline.n_bins).astype("int64"),
    )


def _prefix(values: np.ndarray) -> np.ndarray:
    return np.concatenate([np.zeros((len(values), 1)), np.cumsum(values, axis=1)], axis=1)


def _labels(flagged: pd.DataFrame, proper: pd.DataFrame, match_windows: pd.DataFrame) -> list:
    """The match windows (``match_id:window``) each anomaly touches or, at window scale, is."""
    w_start = proper["start_ns"].to_numpy()
    w_end = proper["end_ns"].to_numpy()
    labels = (proper["match_id"].astype(str) + ":" + proper["window"].astype(str)).to_numpy()
    by_slot = (
        match_windows.drop_duplicates(["window", "slot", "match_id"])
        .assign(label=lambda t: t["match_id"].astype(str) + ":" + t["window"].astype(str))
        .groupby(["window", "slot"])["label"]
        .agg(";".join)
    )
    out = []
    starts, ends = pd.DatetimeIndex(flagged["start"]), pd.DatetimeIndex(flagged["end"])
    for row, start, end in zip(flagged.itertuples(), starts, ends, strict=True):
        if row.scale == "window":
            out.append(by_slot.get((row.window, row.slot), ""))
            continue
        s, e = start.value, end.value
        out.append(";".join(labels[(w_start < e) & (w_end > s)]))
    return out


def _describe(row) -> dict:
    return {
        "scale": row.scale,
        "start": row.start.isoformat(),
        "end": row.end.isoformat(),
        "region": row.region,
        "window": row.window,
        "observed": float(row.observed),
        "expected": round(float(row.expected), 1),
        "lift": float(row.lift),
        "p_value": float(row.p_value),
        "p_adjusted": float(row.p_adjusted),
        "source": row.source,
        "windows": row.windows,
    }


def _empty(columns) -> pd.DataFrame:
    table = pd.DataFrame({name: pd.Series(dtype=object) for name in columns})
    return table.astype(
        {
            "start": "datetime64[ns, UTC]",
            "end": "datetime64[ns, UTC]",
            "anomaly": bool,
            "in_match_window": bool,
        },
        errors="ignore",
    )
