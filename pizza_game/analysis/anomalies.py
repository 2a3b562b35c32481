"""Anomalies: hours, match windows and local days whose order count the count model does not expect.

Each *unit* of a scale is tested, per region row, against an expectation and a negative binomial
(NB2) overdispersion fitted on clean units of the same scale (``counts.py``):

- **hour**: whole UTC hours with raw data; expected = the baseline (the day's own level x the
  weekday/time-of-day profile). Dispersion from hours that touch no match window. A day-long
  surge is absorbed by the day's level and shows at the day scale instead.
- **window**: every distinct match window (slot) of every kind; observed and expected as in the
  per-match table. Dispersion from the slots' reference spans (the same wall-clock spans on clean
  days, measured the same way), per window kind, pooled over kinds when a kind has fewer than
  ``MIN_REFERENCES``.
- **day**: local days with at least half their bins covered; expected = the neighbour level
  (``scales.py``: median level of the days within two weeks) x the day's profile over its covered
  bins. Dispersion from days that touch no match window.

An expectation fitted without the unit is itself uncertain: the relative variance of its profile
(about 1 / the clean orders behind each profile cell) and of its day level (1 / the day's clean
orders) is added to the unit's dispersion (``_relative_variance``), and removed from the moment
estimate of the dispersion. This matters for match time: a Saturday 15:00 profile cell rests on
the few Saturdays without football. Clean hours took part in the fit of their own expectation, so
they are judged against the fit without them (``_left_out``). Without both, a world without
effects puts about twice its time share of hour candidates and of day candidates in match time.

The p-value is two-sided (2 x the smaller NB tail, capped at 1): unusually many orders and
unusually few are both anomalies (``direction`` says which). Multiplicity: Benjamini-Hochberg
within each scale (one family per scale, all regions together); a unit is an anomaly when its
adjusted p is below alpha. Every tested unit is kept in ``tests`` (for calibration: in a world
without effects, units with small p fall inside match windows at the share of tested time the
windows cover); ``flagged`` holds the anomalies with their size (observed, expected, lift), their
significance and their source (share of real orders; "real", "mock", "mixed", or "none" when no
order was seen), and the match windows they touch (``match_id:window``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pizza_game.analysis.baseline import CONTAMINATING_WINDOWS, Baseline, touched_bins
from pizza_game.analysis.counts import dispersion, two_sided_p
from pizza_game.analysis.scales import (
    clean_orders_per_day,
    hour_of_bin,
    neighbour_expected_per_bin,
    profile_orders_per_bin,
    sum_by,
)
from pizza_game.analysis.slots import Spans
from pizza_game.analysis.stats import benjamini_hochberg
from pizza_game.analysis.timeline import Timeline

SCALES = ("hour", "window", "day")
MIN_REFERENCES = 10
MIN_DAY_COVERAGE = 0.5
LISTED = 10
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
) -> Anomalies:
    """Test every unit of every scale (see module docstring); ``bounds``: match_id, window, *_ns."""
    proper = bounds[bounds["window"].isin(CONTAMINATING_WINDOWS)]
    in_window = touched_bins(timeline, proper["start_ns"].to_numpy(), proper["end_ns"].to_numpy())
    frames = [
        _hour_tests(timeline, baseline, in_window, regions),
        _window_tests(match_windows, references, timeline, baseline, regions, min_coverage),
        _day_tests(timeline, baseline, in_window, regions),
    ]
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
    return Anomalies(tests=tests, flagged=flagged[list(ANOMALY_COLUMNS)], alpha=alpha)


def _unit_frame(scale, start_ns, end_ns, region, observed, expected, real, phi, in_window, **extra):
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
            "p_value": two_sided_p(observed, expected, phi),
            "direction": np.where(observed >= expected, "high", "low"),
            "real_orders": real,
            "in_match_window": np.asarray(in_window, dtype=bool),
        }
    )


def _hour_tests(timeline, baseline, in_window, regions) -> pd.DataFrame:
    hour, n_hours = hour_of_bin(timeline)
    if n_hours == 0:
        return _empty(TEST_COLUMNS)
    bins = np.bincount(hour, minlength=n_hours)
    covered = np.bincount(hour, timeline.covered.astype("float64"), n_hours) == bins
    clean = np.bincount(hour, baseline.clean.astype("float64"), n_hours) == bins
    touched = np.bincount(hour, in_window.astype("float64"), n_hours) > 0
    expected_bins = baseline.expected_per_bin(timeline)
    expected = sum_by(hour, n_hours, expected_bins)
    observed = sum_by(hour, n_hours, timeline.orders)
    real = sum_by(hour, n_hours, timeline.real)
    first_bin = np.searchsorted(hour, np.arange(n_hours))
    behind = profile_orders_per_bin(timeline, baseline)
    profile = sum_by(hour, n_hours, np.nan_to_num(baseline.profile_per_bin(timeline)))
    profile_var = sum_by(
        hour, n_hours, _profile_variance(baseline.profile_per_bin(timeline), behind)
    )
    day_orders = clean_orders_per_day(timeline, baseline)[:, timeline.day[first_bin]]
    relative_var = _relative_variance(profile_var, profile, day_orders)
    # A clean hour took part in the fit of its own expectation: judge it against the fit without it.
    left_out = _left_out(
        timeline, hour, n_hours, expected_bins, behind, observed, expected, day_orders
    )
    expected = np.where(clean[None, :], left_out, expected)
    start = timeline.start_ns + first_bin * timeline.bin_ns
    end = start + bins * timeline.bin_ns
    frames = []
    for r in regions:
        tested = covered & np.isfinite(expected[r]) & (expected[r] > 0)
        fit = tested & clean
        phi = dispersion(observed[r, fit], expected[r, fit], relative_var[r, fit])
        unit_phi = phi + relative_var[r]
        frames.append(
            _unit_frame(
                "hour",
                start[tested],
                end[tested],
                timeline.regions[r],
                observed[r, tested],
                expected[r, tested],
                real[r, tested],
                unit_phi[tested],
                touched[tested],
            )
        )
    return pd.concat(frames, ignore_index=True)


def _day_tests(timeline, baseline, in_window, regions) -> pd.DataFrame:
    n_days = timeline.n_days
    if n_days == 0:
        return _empty(TEST_COLUMNS)
    day = timeline.day
    covered = timeline.covered
    bins = np.bincount(day, minlength=n_days)
    coverage = np.bincount(day, covered.astype("float64"), n_days) / np.maximum(bins, 1)
    touched = np.bincount(day, in_window.astype("float64"), n_days) > 0
    neighbour = neighbour_expected_per_bin(timeline, baseline)
    expected = sum_by(day, n_days, np.where(covered[None, :], neighbour, 0.0))
    profile_bins = np.where(covered[None, :], baseline.profile_per_bin(timeline), 0.0)
    outside_fit = covered & ~baseline.clean
    variance_bins = _profile_variance(profile_bins, profile_orders_per_bin(timeline, baseline))
    relative_var = _relative_variance(
        sum_by(day, n_days, variance_bins * outside_fit[None, :]),
        sum_by(day, n_days, np.nan_to_num(profile_bins)),
        np.zeros((len(timeline.regions), n_days)),
    )
    observed = sum_by(day, n_days, timeline.orders)
    real = sum_by(day, n_days, timeline.real)
    first_bin = np.searchsorted(day, np.arange(n_days))
    start = timeline.start_ns + first_bin * timeline.bin_ns
    end = start + bins * timeline.bin_ns
    frames = []
    for r in regions:
        tested = (coverage >= MIN_DAY_COVERAGE) & np.isfinite(expected[r]) & (expected[r] > 0)
        clean = tested & ~touched
        phi = dispersion(observed[r, clean], expected[r, clean], relative_var[r, clean])
        frames.append(
            _unit_frame(
                "day",
                start[tested],
                end[tested],
                timeline.regions[r],
                observed[r, tested],
                expected[r, tested],
                real[r, tested],
                phi + relative_var[r, tested],
                touched[tested],
            )
        )
    return pd.concat(frames, ignore_index=True)


def _window_tests(
    match_windows, references, timeline, baseline, regions, min_coverage
) -> pd.DataFrame:
    if len(match_windows) == 0:
        return _empty(TEST_COLUMNS)
    slots = match_windows.drop_duplicates(["window", "slot", "region"])
    covered = timeline.covered[None, :]
    profile_prefix = _prefix(np.nan_to_num(baseline.profile_per_bin(timeline)) * covered)
    variance_prefix = _prefix(
        _profile_variance(
            baseline.profile_per_bin(timeline), profile_orders_per_bin(timeline, baseline)
        )
        * covered
    )
    day_prefix = _prefix(clean_orders_per_day(timeline, baseline))
    frames = []
    for r in regions:
        region = timeline.regions[r]
        pooled_o = np.concatenate([refs.observed[r] for refs in references.values()])
        pooled_e = np.concatenate([refs.expected[r] for refs in references.values()])
        for kind, refs in references.items():
            rows = slots[(slots["window"] == kind) & (slots["region"] == region)]
            expected = rows["expected"].to_numpy(dtype="float64")
            tested = np.isfinite(expected) & (expected > 0)
            tested &= rows["coverage"].to_numpy() >= min_coverage - 1e-12
            if not tested.any():
                continue
            rows = rows[tested]
            usable = np.isfinite(refs.expected[r]) & (refs.expected[r] > 0)
            phi = (
                dispersion(refs.observed[r], refs.expected[r])
                if usable.sum() >= MIN_REFERENCES
                else dispersion(pooled_o, pooled_e)
            )
            observed = rows["observed"].to_numpy(dtype="float64")
            x0, x1 = _bin_range(timeline, rows)
            first_day = timeline.day[np.minimum(x0, timeline.n_bins - 1)]
            last_day = timeline.day[np.maximum(x1 - 1, 0)]
            relative_var = _relative_variance(
                variance_prefix[r, x1] - variance_prefix[r, x0],
                profile_prefix[r, x1] - profile_prefix[r, x0],
                day_prefix[r, last_day + 1] - day_prefix[r, first_day],
            )
            frames.append(
                _unit_frame(
                    "window",
                    rows["start"].astype("int64").to_numpy(),
                    rows["end"].astype("int64").to_numpy(),
                    region,
                    observed,
                    rows["expected"].to_numpy(dtype="float64"),
                    np.nan_to_num(rows["real_share"].to_numpy(dtype="float64")) * observed,
                    phi + relative_var,
                    kind in CONTAMINATING_WINDOWS,
                    window=kind,
                    slot=rows["slot"].to_numpy(),
                )
            )
    return pd.concat(frames, ignore_index=True) if frames else _empty(TEST_COLUMNS)


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
    for row in flagged.itertuples():
        if row.scale == "window":
            out.append(by_slot.get((row.window, row.slot), ""))
            continue
        s, e = row.start.value, row.end.value
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
