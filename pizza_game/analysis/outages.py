"""Probable outages: trading time without a single order where the model expects many.

Rule: a maximal run of consecutive covered 15-minute bins with zero national orders is a probable
outage when the chance of seeing no order at all in it is below ``OUTAGE_P`` (1e-6):
P(0 | E, phi) = (1 + phi E)^(-1/phi), with E the run's expected orders from the neighbour level
(``scales.py``: the day's own level is dragged down by the outage itself) and phi the NB
overdispersion of clean hours around that expectation (``counts.dispersion``). Under Poisson
the boundary is about 14 expected orders (e^-14 ~ 8e-7): quiet nights never qualify, and with some
thousand places a run could start over a season, a world without outages shows one about once
in three hundred seasons, while six trading hours of even a small shop (60 orders a day) qualify.

With ``treat_as="missing"`` (the default, setting PIZZA_GAME_OUTAGES) the engine removes these
bins from the covered time before the baseline, the slots and the tests are built, exactly like
hours without raw data; with ``"zero"`` they stay as real zeros. Either way they are listed in the
summary's data quality.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pizza_game.analysis.baseline import Baseline
from pizza_game.analysis.config import OUTAGE_TREATMENTS
from pizza_game.analysis.counts import dispersion, zero_probability
from pizza_game.analysis.scales import HOUR_NS, hour_of_bin, neighbour_expected_per_bin, sum_by
from pizza_game.analysis.timeline import Timeline

OUTAGE_P = 1e-6
LISTED = 20
RULE = (
    "a run of covered 15-minute bins with no order where "
    f"P(0 | expected, NB dispersion) < {OUTAGE_P:g}; "
    "expected from the neighbouring days' level"
)


@dataclass
class Outages:
    bins: np.ndarray  # bool per bin
    periods: pd.DataFrame  # start, end, hours, expected, p_zero
    dispersion: float
    treated_as: str

    @property
    def masks_bins(self) -> bool:
        """Whether outages leave the covered time (treated as missing, and there are some)."""
        return self.treated_as == "missing" and bool(self.bins.any())

    def masked(self, timeline: Timeline) -> Timeline:
        """The timeline with outage bins no longer covered."""
        return dataclasses.replace(timeline, covered=timeline.covered & ~self.bins)

    def summary(self) -> dict:
        listed = self.periods.head(LISTED)
        return {
            "count": len(self.periods),
            "hours": float(self.periods["hours"].sum()),
            "treated_as": self.treated_as,
            "rule": RULE,
            "periods": [
                {
                    "start": start.isoformat(),
                    "end": end.isoformat(),
                    "hours": float(hours),
                    "expected_orders": round(float(expected), 1),
                    "p_zero": float(p_zero),
                }
                for start, end, hours, expected, p_zero in zip(
                    pd.DatetimeIndex(listed["start"]),
                    pd.DatetimeIndex(listed["end"]),
                    listed["hours"],
                    listed["expected"],
                    listed["p_zero"],
                    strict=True,
                )
            ],
        }


def find_outages(timeline: Timeline, baseline: Baseline, treated_as: str) -> Outages:
    """Probable outages of the national series (see module docstring)."""
    if treated_as not in OUTAGE_TREATMENTS:
        raise ValueError(f"outages must be one of {OUTAGE_TREATMENTS}, not {treated_as!r}")
    n = timeline.n_bins
    expected = np.nan_to_num(neighbour_expected_per_bin(timeline, baseline)[0], nan=0.0)
    phi = _hour_dispersion(timeline, baseline, expected)
    zero = timeline.covered & (timeline.orders[0] == 0)
    edges = np.diff(np.concatenate([[0], zero.astype("int8"), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    prefix = np.concatenate([[0.0], np.cumsum(expected)])
    run_expected = prefix[ends] - prefix[starts]
    p_zero = zero_probability(run_expected, phi)
    hit = p_zero < OUTAGE_P
    bins = np.zeros(n, dtype=bool)
    for s, e in zip(starts[hit], ends[hit], strict=True):
        bins[s:e] = True

    def to_time(i: np.ndarray) -> pd.DatetimeIndex:
        return pd.to_datetime(timeline.start_ns + i * timeline.bin_ns, utc=True)

    periods = pd.DataFrame(
        {
            "start": to_time(starts[hit]),
            "end": to_time(ends[hit]),
            "hours": (ends[hit] - starts[hit]) * timeline.bin_ns / HOUR_NS,
            "expected": run_expected[hit],
            "p_zero": p_zero[hit],
        }
    )
    return Outages(bins=bins, periods=periods, dispersion=phi, treated_as=treated_as)


def _hour_dispersion(timeline: Timeline, baseline: Baseline, expected: np.ndarray) -> float:
    """NB dispersion of clean whole hours around their neighbour-level expectation."""
    hour, n_hours = hour_of_bin(timeline)
    if n_hours == 0:
        return 0.0
    bins = np.bincount(hour, minlength=n_hours)
    clean = np.bincount(hour, baseline.clean.astype("float64"), n_hours) == bins
    observed = sum_by(hour, n_hours, timeline.orders[:1])[0]
    hour_expected = sum_by(hour, n_hours, expected[None, :])[0]
    return dispersion(observed[clean], hour_expected[clean])
