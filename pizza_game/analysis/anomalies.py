"""Anomalies: hours, match windows and local days whose order count the count model does not expect.

Each *unit* of a scale is tested, per region row, against an expectation and a negative binomial
(NB2) overdispersion fitted on clean units of the same scale (``counts.py``):

- **hour**: whole UTC hours with raw data; expected = the baseline (the day's own level x the
  weekday/time-of-day profile). Dispersion from hours that touch no match window. A day-long surge
  is absorbed by the day's level and shows at the day scale instead.
- **window**: every distinct match window (slot) of every kind; observed and expected as in the
  per-match table. Dispersion from the slots' reference spans (the same wall-clock spans on clean
  days, measured the same way), per window kind.
- **day**: local days with at least half a day's bins covered; expected = the neighbour level
  (``scales.py``: median level of the days within two weeks) x the day's profile over its covered
  bins. Dispersion from days that touch no match window or, where larger, from all tested days of
  the same day type (weekday / weekend; ``anomaly_days._day_dispersion``). The weekday factor in
  that profile is one estimate shared by all days of its weekday; its variance
  (``anomaly_days._weekday_variance``) is added to every day of the weekday, which matters for
  Saturdays and Sundays, whose levels rest on the few hours without football.

Enough information or no test (all scales): an hour is tested only when every profile cell it
touches rests on at least ``anomaly_hours.MIN_PROFILE_DAYS`` match-free days (its own weekday, or
its day type where the baseline fell back); with fewer, leaving the hour out of its own fit leaves
almost nothing (two weeks of data: one other day). An hour, window or day whose profile is borrowed
from all days (no match-free bin of its weekday or day type at that time; Saturday afternoons in two
weeks of the season) is not tested: its expectation is a guess of the shape, and a 14-day world
without effects would flag every weekend lunch. The window scale of a window kind and the day scale
are tested only with at least ``min_reference_days`` match-free reference days (``AnalysisConfig``,
the rule the lift tests use; reference spans at the window's time of day, or days that touch no
match window): the dispersion rests on them. Below it the scale is not tested and ``not_run`` (the
summary's ``by_scale[scale]["not_tested"]``) says what is missing, e.g. "needs at least 8 match-free
reference days at the window's time of day; this range has 2".

An expectation fitted without the unit is itself uncertain: the relative variance of its profile
(about 1 / the clean orders behind each profile cell) and of its day level (1 / the day's clean
orders) is added to the unit's dispersion (``anomaly_units.relative_variance``), and removed from
the moment estimate of the dispersion. This matters for match time: a Saturday 15:00 profile cell
rests on the few Saturdays without football. Clean hours took part in the fit of their own
expectation, so they are judged against the fit without them (``anomaly_hours._left_out``). Without
both, a world without effects puts about twice its time share of hour candidates and of day
candidates in match time.

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

from pizza_game.analysis.anomaly_days import day_tests
from pizza_game.analysis.anomaly_hours import hour_tests
from pizza_game.analysis.anomaly_units import TEST_COLUMNS, BinTerms, tests_table
from pizza_game.analysis.anomaly_windows import window_tests
from pizza_game.analysis.baseline import CONTAMINATING_WINDOWS, Baseline, touched_bins
from pizza_game.analysis.slots import Spans
from pizza_game.analysis.stats import benjamini_hochberg
from pizza_game.analysis.timeline import Timeline
from pizza_game.model import to_ns

SCALES = ("hour", "window", "day")
LISTED = 10
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
        windows = self.tests[self.tests["scale"].to_numpy() == "window"]
        return windows[["window", "slot", "region", "anomaly", "p_value", "p_adjusted"]].rename(
            columns={"p_value": "anomaly_p", "p_adjusted": "anomaly_p_adjusted"}
        )

    def summary(self) -> dict:
        flagged = self.flagged
        # Compared as a numpy array: a season's 50,000 tests as a string column took four times as long.
        tested_scale = self.tests["scale"].to_numpy()
        return {
            "method": METHOD,
            "alpha": self.alpha,
            "count": len(flagged),
            "by_scale": {
                scale: {
                    "tested": int((tested_scale == scale).sum()),
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
    terms = BinTerms.of(timeline, baseline)
    windows, windows_not_run = window_tests(
        match_windows, references, timeline, terms, regions, min_coverage, min_reference_days
    )
    days, days_not_run = day_tests(timeline, baseline, terms, in_window, regions, min_reference_days)
    hours, hours_not_run = hour_tests(timeline, baseline, terms, in_window, regions)
    tests = tests_table(hours + windows + days)
    scales = tests["scale"].to_numpy()
    p_values = tests["p_value"].to_numpy(dtype="float64")
    p_adjusted = np.full(len(tests), np.nan)
    for scale in SCALES:
        of_scale = scales == scale
        p_adjusted[of_scale] = benjamini_hochberg(p_values[of_scale])
    tests["p_adjusted"] = p_adjusted
    tests["anomaly"] = p_adjusted < alpha
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


def _labels(flagged: pd.DataFrame, proper: pd.DataFrame, match_windows: pd.DataFrame) -> list:
    """The match windows (``match_id:window``) each anomaly touches or, at window scale, is."""
    w_start = proper["start_ns"].to_numpy()
    w_end = proper["end_ns"].to_numpy()
    labels = (proper["match_id"].astype(str) + ":" + proper["window"].astype(str)).to_numpy()
    at_window = (flagged["scale"] == "window").to_numpy()
    slots = list(zip(flagged["window"].to_numpy(), flagged["slot"].to_numpy(), strict=True))
    by_slot = _slot_labels(match_windows, {slots[i] for i in np.flatnonzero(at_window)})
    out = []
    for i, (s, e) in enumerate(zip(to_ns(flagged["start"]), to_ns(flagged["end"]), strict=True)):
        if at_window[i]:
            out.append(by_slot.get(slots[i], ""))
            continue
        out.append(";".join(labels[(w_start < e) & (w_end > s)]))
    return out


def _slot_labels(match_windows: pd.DataFrame, slots: set) -> dict:
    """(window, slot) -> the ``match_id:window`` labels of its matches, for the given slots only
    (a label for every slot of the horizon cost more than the rest of the anomaly labels)."""
    if not slots:
        return {}
    # The rows of the wanted slots (a hashed look-up of the slot labels, then the pairs of the
    # few rows found), their labels kept once each in the order they first appear: the distinct
    # rows of the whole table (drop_duplicates) cost more than the rest of the labels.
    rows = match_windows[match_windows["slot"].isin({t for _, t in slots}).to_numpy()]
    found: dict = {}
    for window, slot, match_id in zip(
        rows["window"].to_numpy(), rows["slot"].to_numpy(), rows["match_id"].to_numpy(), strict=True
    ):
        if (window, slot) in slots:
            found.setdefault((window, slot), {})[f"{match_id}:{window}"] = None
    return {key: ";".join(labels) for key, labels in found.items()}


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


