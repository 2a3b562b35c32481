"""A negative binomial count model around expected counts: dispersion, tail p-values, P(0).

Counts are modelled as NB2 with mean ``expected`` and variance ``expected * (1 + phi * expected)``
(``phi = 0`` is Poisson). ``phi`` is estimated by the method of moments on units believed clean,
with a robust loop: units whose two-sided p-value under the current fit is below
``TRIM_P`` are set aside and ``phi`` is re-estimated, so a few real anomalies or outages in the
estimation set do not widen the model that is meant to find them.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

TRIM_P = 1e-5
TRIM_ROUNDS = 5
# Below this dispersion the NB is Poisson to double precision; Poisson is used instead.
POISSON_PHI = 1e-9


def dispersion(
    observed: np.ndarray, expected: np.ndarray, known: np.ndarray | float = 0.0
) -> float:
    """NB2 overdispersion of ``observed`` around ``expected`` (method of moments, robust loop).

    ``phi = sum((O - E)^2 - E - known E^2) / sum(E^2)``, the weighted moment estimate of
    Var(O - E) = E + (phi + known) E^2, where ``known`` is a relative variance of E already
    accounted for (the uncertainty of an estimated expectation); never negative.
    """
    return dispersions([(observed, expected, known)])[0]


class Fit(NamedTuple):
    """A group's dispersion and the two-sided p-values of its units under it (``two_sided_p``
    of each unit with ``phi + known``; None when the group was never fitted)."""

    phi: float
    p_values: np.ndarray | None


def dispersions(groups: list[tuple[np.ndarray, np.ndarray, np.ndarray | float]]) -> list[float]:
    """``dispersion`` of each (observed, expected, known) group (``fits``, the phis alone)."""
    return [fit.phi for fit in fits(groups)]


def fits(groups: list[tuple[np.ndarray, np.ndarray, np.ndarray | float]]) -> list[Fit]:
    """``dispersion`` of each (observed, expected, known) group, the groups' robust loops run side
    by side: each round's p-values of all groups come from one ``two_sided_p`` call (a call costs
    a tenth of a millisecond whatever its size; the anomaly scales fit dozens of groups).

    A group's last round is the one of its final phi, so its p-values are kept with it: a scale
    whose units are tested with the dispersion they were fitted with (the clean hours) need not
    compute their negative binomial tails again (38,000 of a season's 50,000 anomaly tests)."""
    prepared = [_moment_inputs(*group) for group in groups]
    phi = [0.0] * len(groups)
    last_p: list[np.ndarray | None] = [None] * len(groups)
    active = list(range(len(groups)))
    for _ in range(TRIM_ROUNDS):
        fitted = []
        for g in active:
            observed, expected, known, keep = prepared[g]
            o, e, k = observed[keep], expected[keep], known[keep]
            if len(o) < 2 or not np.any(e > 0):
                continue
            phi[g] = max(0.0, float(np.sum((o - e) ** 2 - e - k * e**2) / np.sum(e**2)))
            fitted.append(g)
        if not fitted:
            break
        p_values = two_sided_p(
            np.concatenate([prepared[g][0] for g in fitted]),
            np.concatenate([prepared[g][1] for g in fitted]),
            np.concatenate([phi[g] + prepared[g][2] for g in fitted]),
        )
        active, start = [], 0
        for g in fitted:
            observed, expected, known, keep = prepared[g]
            p = p_values[start : start + len(observed)]
            start += len(observed)
            last_p[g] = p
            trimmed = keep & (p >= TRIM_P)
            if trimmed.sum() != keep.sum():
                prepared[g] = (observed, expected, known, trimmed)
                active.append(g)
    return [Fit(phi[g], last_p[g]) for g in range(len(groups))]


def _moment_inputs(observed, expected, known) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """observed, expected and known as float arrays of one shape, and the units the moments use."""
    observed = np.asarray(observed, dtype="float64")
    expected = np.asarray(expected, dtype="float64")
    known = np.broadcast_to(np.asarray(known, dtype="float64"), observed.shape)
    keep = np.isfinite(observed) & np.isfinite(expected) & (expected > 0) & np.isfinite(known)
    return observed, expected, known, keep


def two_sided_p(observed: np.ndarray, expected: np.ndarray, phi) -> np.ndarray:
    """2 x the smaller tail, P(X >= o) or P(X <= o), capped at 1 (NaN where expected <= 0).

    ``phi`` is one dispersion or one per unit.
    """
    observed = np.round(np.asarray(observed, dtype="float64"))
    expected = np.asarray(expected, dtype="float64")
    phi = np.broadcast_to(np.asarray(phi, dtype="float64"), observed.shape)
    usable = np.isfinite(observed) & np.isfinite(expected) & (expected > 0) & np.isfinite(phi)
    from scipy import stats as sps  # here, not at import: scipy.stats costs every command a second

    p = np.full(observed.shape, np.nan)
    for poisson in (True, False):
        take = usable & ((phi <= POISSON_PHI) == poisson)
        if not take.any():
            continue
        o, e = observed[take], expected[take]
        shape: tuple[np.ndarray, ...]
        # The distributions' own methods, not a frozen distribution: freezing one builds a new
        # distribution object (milliseconds), and the anomaly tests call this over a hundred times.
        if poisson:
            model, shape = sps.poisson, (e,)
        else:
            size = 1.0 / phi[take]
            model, shape = sps.nbinom, (size, size / (size + e))
        p[take] = np.minimum(1.0, 2.0 * _smaller_tail(model, o, shape, o >= e))
    return p


def _smaller_tail(model, o: np.ndarray, shape: tuple[np.ndarray, ...], upper: np.ndarray):
    """min(P(X >= o), P(X <= o)), each tail computed only where it can be the smaller.

    The two tails add up to 1 + P(X = o), so a tail below one half is the smaller one: the tail
    on ``upper``'s side (above or below the mean) is computed first, the other only where that
    came out at 0.45 or more. The same numbers as computing both everywhere, in about half the
    time (the negative binomial tails of a season's 50,000 hours are most of its anomaly tests).
    """

    def tail(side_upper: bool, where: np.ndarray) -> np.ndarray:
        args = [a[where] for a in shape]
        return model.sf(o[where] - 1, *args) if side_upper else model.cdf(o[where], *args)

    smaller = np.empty(len(o))
    smaller[upper] = tail(True, upper)
    smaller[~upper] = tail(False, ~upper)
    unsure = smaller >= 0.45
    for side_upper in (True, False):
        other = unsure & (upper != side_upper)
        if other.any():
            smaller[other] = np.minimum(smaller[other], tail(side_upper, other))
    return smaller


def studentised_p(observed: np.ndarray, expected: np.ndarray, phi, df) -> np.ndarray:
    """Two-sided p of (O - E) / sqrt(E (1 + phi E)) against a t distribution with ``df`` degrees
    of freedom: the NB's variance with its dispersion estimated from ``df + 1`` units, so a
    dispersion resting on eight days is not taken as known (NaN where expected <= 0; 1 where
    ``df`` < 1). ``phi`` and ``df`` are one value or one per unit."""
    observed = np.asarray(observed, dtype="float64")
    expected = np.asarray(expected, dtype="float64")
    phi = np.broadcast_to(np.asarray(phi, dtype="float64"), observed.shape)
    df = np.broadcast_to(np.asarray(df, dtype="float64"), observed.shape)
    usable = np.isfinite(observed) & np.isfinite(expected) & (expected > 0) & np.isfinite(phi)
    p = np.where(usable, 1.0, np.nan)
    fitted = usable & (df >= 1)
    if not fitted.any():
        return p
    from scipy import stats as sps  # as above

    e = expected[fitted]
    z = np.abs(observed[fitted] - e) / np.sqrt(e * (1.0 + phi[fitted] * e))
    p[fitted] = np.minimum(1.0, 2.0 * sps.t.sf(z, df[fitted]))
    return p


def zero_probability(expected: np.ndarray, phi: float) -> np.ndarray:
    """P(X = 0) for the given expected counts."""
    expected = np.asarray(expected, dtype="float64")
    if phi <= 0:
        return np.exp(-expected)
    return np.exp(-np.log1p(phi * expected) / phi)
