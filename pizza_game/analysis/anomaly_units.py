"""What the anomaly scales (hour, day, window; ``anomalies.py``) share: the table of tested units,
the rule that a unit with a borrowed profile is not tested, and the relative variance an
expectation fitted out of sample adds to a unit's dispersion."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pizza_game.analysis.baseline import POOL_ALL_DAYS, Baseline
from pizza_game.analysis.counts import studentised_p, two_sided_p
from pizza_game.analysis.scales import clean_orders_per_day, profile_orders_per_bin
from pizza_game.analysis.timeline import Timeline, utc_times

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


@dataclass(frozen=True)
class BinTerms:
    """What the hour, window and day scales take of every bin, computed once for the three:
    [region, bin] the profile (``Baseline.profile_per_bin``, NaN: none usable), the clean orders
    behind it (``scales.profile_orders_per_bin``) and its variance term (``profile_variance``),
    [bin] whether it is borrowed (``borrowed_bins``) and [region, day] the clean orders of each
    day (``scales.clean_orders_per_day``)."""

    profile: np.ndarray
    behind: np.ndarray
    variance: np.ndarray
    borrowed: np.ndarray
    day_orders: np.ndarray

    @classmethod
    def of(cls, timeline: Timeline, baseline: Baseline) -> BinTerms:
        profile = baseline.profile_per_bin(timeline)
        behind = profile_orders_per_bin(timeline, baseline)
        return cls(
            profile=profile,
            behind=behind,
            variance=profile_variance(profile, behind),
            borrowed=borrowed_bins(timeline, baseline),
            day_orders=clean_orders_per_day(timeline, baseline),
        )


@dataclass(frozen=True)
class Units:
    """The candidate units of the hour or day scale, before a region row's tests.

    Per unit: ``start``/``end`` (ns), ``eligible`` (covered enough to be tested), ``borrowed``
    (profile borrowed from all days), ``touched`` (touches a match window). Per region row and
    unit: ``observed``, ``expected``, ``real`` orders and ``relative_var``, the relative variance
    of the expectation (``relative_variance``).
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
        return without_borrowed(tested, self.borrowed, scale, "", region, not_run)

    def tested(self, scale: str, r: int, region: str, tested, phi, df, nb_p=None) -> Tested:
        """The tested units of region row ``r``; their dispersion is ``phi`` (the scale's, one or
        per unit) plus the relative variance of their expectation (``nb_p``: see ``Tested``)."""
        return Tested(
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
            nb_p=nb_p,
        )


@dataclass(frozen=True)
class Tested:
    """Tested units of one scale and region row (and window kind), before their p-values:
    ``tests_table`` puts all of them in one table, the p-values computed in one go.

    ``phi`` is each unit's dispersion, ``df`` (one or per unit) the units it was fitted on minus
    one; ``in_window`` (one or per unit) whether a unit touches a match window. ``nb_p``, when
    given, holds the units' ``two_sided_p`` already computed with this ``phi`` (by the dispersion
    fit), NaN where it was not.
    """

    scale: str
    start_ns: np.ndarray
    end_ns: np.ndarray
    region: str
    observed: np.ndarray
    expected: np.ndarray
    real: np.ndarray
    phi: np.ndarray
    in_window: np.ndarray | bool
    df: np.ndarray | int
    window: str = ""
    slot: np.ndarray | str = ""
    nb_p: np.ndarray | None = None


def tests_table(units: list[Tested]) -> pd.DataFrame:
    """All tested units in one table (TEST_COLUMNS but p_adjusted and anomaly); p = the larger of
    the NB p-value and the studentised one: the dispersion is estimated."""
    n = [len(u.observed) for u in units]
    if sum(n) == 0:
        return empty_tests()

    def column(value) -> np.ndarray:
        return np.concatenate([np.broadcast_to(value(u), k) for u, k in zip(units, n, strict=True)])

    observed = column(lambda u: np.asarray(u.observed, dtype="float64"))
    expected = column(lambda u: np.asarray(u.expected, dtype="float64"))
    phi = column(lambda u: np.asarray(u.phi, dtype="float64"))
    df = column(lambda u: np.asarray(u.df, dtype="float64"))
    lift = np.divide(observed, expected, out=np.full(len(observed), np.nan), where=expected > 0) - 1.0
    # The tails are computed unit by unit, so those the dispersion fits computed are taken as they are.
    nb_p = column(lambda u: np.nan if u.nb_p is None else np.asarray(u.nb_p, dtype="float64"))
    missing = np.isnan(nb_p)
    nb_p[missing] = two_sided_p(observed[missing], expected[missing], phi[missing])
    return pd.DataFrame(
        {
            "scale": column(lambda u: np.asarray(u.scale, dtype=object)),
            "start": utc_times(column(lambda u: np.asarray(u.start_ns, dtype="int64"))),
            "end": utc_times(column(lambda u: np.asarray(u.end_ns, dtype="int64"))),
            "region": column(lambda u: np.asarray(u.region, dtype=object)),
            "window": column(lambda u: np.asarray(u.window, dtype=object)),
            "slot": column(lambda u: np.asarray(u.slot, dtype=object)),
            "observed": observed,
            "expected": expected,
            "lift": lift,
            "dispersion": phi,
            "p_value": np.fmax(nb_p, studentised_p(observed, expected, phi, df)),
            # Taken from an object array: a column made of numpy's fixed-width strings costs four
            # times as much to turn into the frame's strings.
            "direction": np.array(["low", "high"], dtype=object)[(observed >= expected).astype("int64")],
            "real_orders": column(lambda u: np.asarray(u.real, dtype="float64")),
            "in_match_window": column(lambda u: np.asarray(u.in_window, dtype=bool)),
        }
    )


def without_borrowed(tested, borrowed, scale, window, region, not_run) -> np.ndarray:
    """``tested`` without the units whose profile is borrowed, noting those in ``not_run``."""
    if (tested & borrowed).any():
        not_run.append(not_tested(scale, window, region, int((tested & borrowed).sum()), BORROWED))
    return tested & ~borrowed


def not_tested(scale: str, window: str, region: str, units: int, reason: str) -> dict:
    """One entry of ``Anomalies.not_run``: ``units`` of a scale (and window kind) not tested, and why."""
    return {"scale": scale, "window": window, "region": region, "units": units, "reason": reason}


def borrowed_bins(timeline: Timeline, baseline: Baseline) -> np.ndarray:
    """Covered bins whose profile cell is borrowed from all days (no match-free bin of their
    weekday or day type at that time of day): a guess of the shape, not an estimate of it."""
    return timeline.covered & (baseline.pool_per_bin(timeline) >= POOL_ALL_DAYS)


def relative_variance(profile_var, profile, day_orders) -> np.ndarray:
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


def profile_variance(profile: np.ndarray, behind: np.ndarray) -> np.ndarray:
    """profile^2 / orders behind it per bin: summed over a span and divided by the span's profile
    squared, the relative variance the profile adds to the span's expected count."""
    usable = (behind > 0) & np.isfinite(profile)
    return np.divide(profile**2, behind, out=np.zeros(profile.shape), where=usable)


def empty_tests() -> pd.DataFrame:
    """No tested unit, with the columns and types of a table of tests."""
    table = pd.DataFrame({name: pd.Series(dtype=object) for name in TEST_COLUMNS})
    return table.astype(
        {
            "start": "datetime64[ns, UTC]",
            "end": "datetime64[ns, UTC]",
            "anomaly": bool,
            "in_match_window": bool,
        },
        errors="ignore",
    )
