"""The window scale of the anomaly tests (``anomalies.py``): every distinct match window (slot),
its dispersion fitted on the slots' reference spans."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pizza_game.analysis.anomaly_units import (
    BinTerms,
    Tested,
    not_tested,
    relative_variance,
    without_borrowed,
)
from pizza_game.analysis.baseline import CONTAMINATING_WINDOWS
from pizza_game.analysis.counts import dispersions
from pizza_game.analysis.timeline import Timeline


def window_tests(
    match_windows, references, timeline, terms, regions, min_coverage, min_reference_days
) -> tuple[list[Tested], list[dict]]:
    """Window-scale tests, and the window kinds not tested (too few reference days) and why."""
    not_run: list[dict] = []
    if len(match_windows) == 0:
        return [], not_run
    slots = _Slots.of(match_windows.drop_duplicates(["window", "slot", "region"]))
    sums = _WindowSums.of(timeline, terms)
    chosen = []
    # Each kind's and region's rows found once: comparing a season's 5,000 slot rows of strings
    # for every (region, kind) cost more than the tests of those rows.
    of_kind = {kind: slots.window == kind for kind in references}
    for r in regions:
        region = timeline.regions[r]
        of_region = slots.region == region
        for kind, refs in references.items():
            rows = np.flatnonzero(of_kind[kind] & of_region)
            expected = slots.expected[rows]
            tested = np.isfinite(expected) & (expected > 0)
            tested &= slots.coverage[rows] >= min_coverage - 1e-12
            tested = without_borrowed(
                tested,
                sums.borrowed_in(slots.start_ns[rows], slots.end_ns[rows]),
                "window",
                kind,
                region,
                not_run,
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
            chosen.append((r, kind, region, rows, refs, usable))
    # The dispersion of each window kind and region, fitted on its usable reference spans.
    phis = dispersions(
        [(refs.observed[r, usable], refs.expected[r, usable], 0.0) for r, _, _, _, refs, usable in chosen]
    )
    return [
        _window_units(slots, rows, phi, int(usable.sum()) - 1, sums, r, kind, region)
        for (r, kind, region, rows, _, usable), phi in zip(chosen, phis, strict=True)
    ], not_run


@dataclass(frozen=True)
class _Slots:
    """The columns of the per-match table's distinct (window, slot, region) rows, as arrays."""

    window: np.ndarray
    region: np.ndarray
    slot: np.ndarray
    start_ns: np.ndarray
    end_ns: np.ndarray
    observed: np.ndarray
    expected: np.ndarray
    coverage: np.ndarray
    real_share: np.ndarray

    @classmethod
    def of(cls, slots: pd.DataFrame) -> _Slots:
        return cls(
            window=slots["window"].to_numpy(),
            region=slots["region"].to_numpy(),
            slot=slots["slot"].to_numpy(),
            start_ns=slots["start"].astype("int64").to_numpy(),
            end_ns=slots["end"].astype("int64").to_numpy(),
            observed=slots["observed"].to_numpy(dtype="float64"),
            expected=slots["expected"].to_numpy(dtype="float64"),
            coverage=slots["coverage"].to_numpy(),
            real_share=slots["real_share"].to_numpy(dtype="float64"),
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
    def of(cls, timeline: Timeline, terms: BinTerms) -> _WindowSums:
        covered = timeline.covered[None, :]
        return cls(
            timeline=timeline,
            profile=_prefix(np.nan_to_num(terms.profile) * covered),
            variance=_prefix(terms.variance * covered),
            day_orders=_prefix(terms.day_orders),
            borrowed=_prefix(terms.borrowed[None, :].astype("float64"))[0],
        )

    def borrowed_in(self, start_ns: np.ndarray, end_ns: np.ndarray) -> np.ndarray:
        """Whether each window touches a bin with a borrowed profile."""
        b0, b1 = _bin_range(self.timeline, start_ns, end_ns)
        return self.borrowed[b1] - self.borrowed[b0] > 0

    def relative_var(self, start_ns: np.ndarray, end_ns: np.ndarray, r: int) -> np.ndarray:
        """The relative variance of each window's expectation in region row ``r``."""
        x0, x1 = _bin_range(self.timeline, start_ns, end_ns)
        first_day = self.timeline.day[np.minimum(x0, self.timeline.n_bins - 1)]
        last_day = self.timeline.day[np.maximum(x1 - 1, 0)]
        return relative_variance(
            self.variance[r, x1] - self.variance[r, x0],
            self.profile[r, x1] - self.profile[r, x0],
            self.day_orders[r, last_day + 1] - self.day_orders[r, first_day],
        )


def _window_units(slots: _Slots, rows, phi: float, df: int, sums: _WindowSums, r, kind, region) -> Tested:
    """The tested slots ``rows`` of one window kind in region row ``r``, of dispersion ``phi``
    (fitted on ``df`` + 1 reference spans)."""
    start_ns, end_ns = slots.start_ns[rows], slots.end_ns[rows]
    observed = slots.observed[rows]
    return Tested(
        "window",
        start_ns,
        end_ns,
        region,
        observed,
        slots.expected[rows],
        np.nan_to_num(slots.real_share[rows]) * observed,
        phi + sums.relative_var(start_ns, end_ns, r),
        kind in CONTAMINATING_WINDOWS,
        df,
        window=kind,
        slot=slots.slot[rows],
    )


def _bin_range(timeline: Timeline, start_ns: np.ndarray, end_ns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The whole bins [x0, x1) that windows touch."""
    x0 = np.floor(timeline.position(start_ns))
    x1 = np.ceil(timeline.position(end_ns))
    return (
        np.clip(x0, 0, timeline.n_bins).astype("int64"),
        np.clip(x1, 0, timeline.n_bins).astype("int64"),
    )


def _prefix(values: np.ndarray) -> np.ndarray:
    """[row, n + 1]: 0, then the running sums of each row (summed in place, not concatenated)."""
    prefix = np.zeros((len(values), values.shape[1] + 1))
    np.cumsum(values, axis=1, out=prefix[:, 1:])
    return prefix
