"""The window scale of the anomaly tests (``anomalies.py``): every distinct match window (slot),
its dispersion fitted on the slots' reference spans."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pizza_game.analysis.anomaly_units import (
    borrowed_bins,
    concat_tests,
    empty_tests,
    not_tested,
    profile_variance,
    relative_variance,
    unit_frame,
    without_borrowed,
)
from pizza_game.analysis.baseline import CONTAMINATING_WINDOWS, Baseline
from pizza_game.analysis.counts import dispersion
from pizza_game.analysis.scales import clean_orders_per_day, profile_orders_per_bin
from pizza_game.analysis.slots import Spans
from pizza_game.analysis.timeline import Timeline


def window_tests(
    match_windows, references, timeline, baseline, regions, min_coverage, min_reference_days
) -> tuple[pd.DataFrame, list[dict]]:
    """Window-scale tests, and the window kinds not tested (too few reference days) and why."""
    not_run: list[dict] = []
    if len(match_windows) == 0:
        return empty_tests(), not_run
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
            tested = without_borrowed(
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
                    not_tested(
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
    return concat_tests(frames), not_run


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
        variance_bins = profile_variance(
            profile_bins, profile_orders_per_bin(timeline, baseline)
        )
        return cls(
            timeline=timeline,
            profile=_prefix(np.nan_to_num(profile_bins) * covered),
            variance=_prefix(variance_bins * covered),
            day_orders=_prefix(clean_orders_per_day(timeline, baseline)),
            borrowed=_prefix(borrowed_bins(timeline, baseline)[None, :].astype("float64"))[0],
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
        return relative_variance(
            self.variance[r, x1] - self.variance[r, x0],
            self.profile[r, x1] - self.profile[r, x0],
            self.day_orders[r, last_day + 1] - self.day_orders[r, first_day],
        )


def _window_frame(rows, refs: Spans, usable, sums: _WindowSums, r, kind, region) -> pd.DataFrame:
    """The tested slots ``rows`` of one window kind in region row ``r``, the dispersion fitted on
    the ``usable`` reference spans."""
    phi = dispersion(refs.observed[r, usable], refs.expected[r, usable])
    observed = rows["observed"].to_numpy(dtype="float64")
    return unit_frame(
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
