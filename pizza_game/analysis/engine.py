"""The analysis engine: from merged tables to tested, adjusted, explained results.

``analyse`` takes the concatenated tables of the merged days (``series``, ``windows``,
``matches``: what ``merge.merge_day`` makes of each UTC day) and returns an ``AnalysisResult``.

Method, in order:
1. Matches without a known kick-off or not played are excluded and counted by reason.
2. Baseline (``baseline.py``): local day level x weekday/time-of-day profile, fitted on bins
   outside every pre/during/post window.
3. Slots (``slots.py``): each distinct window of a kind is one slot; simultaneous kick-offs share
   it. Lift of a slot = observed / expected - 1.
4. Window vs baseline, per window kind and region: is log(observed / expected) higher in match
   slots than in the same wall-clock spans of clean reference days (same weekday, no match window
   anywhere near)? Slots and their references are levelled on the same hours (those clean on
   every slot day of the stratum), then the log ratios are regressed on a slot indicator with one
   intercept per stratum (slots sharing one set of references), with CR2 cluster-robust standard
   errors over groups of linked local days and Bell-McCaffrey degrees of freedom
   (``stats.window_design``). A plain paired t-test of observed vs expected would treat the
   expected values as known, while for weekend slots they rest on the handful of Saturdays and
   Sundays without league football that every weekend slot shares; its false-positive rate is
   far above alpha (benchmarks/analysis_calibration.py measures both). Effect size:
   exp(mean log ratio) - 1, the typical lift, with its 95% CI. ``overlap_share`` says how much of
   the window's time also lies in another kind of window of another match (staggered kick-offs:
   the 15:00 during window is the 17:30 pre window), whose effects then show in this one too.
5. Match features vs slot log lift, per window kind and region, over slots: a slot's feature is
   the mean over its matches (a 0/1 feature becomes the share of its matches). Both are centred
   within slot types (weekday, local start, length) first: slot types differ in how many matches
   they hold and which (television picks), and every slot of a type shares the same baseline
   cells, so a raw correlation would pick up the slot type, not the match. Point-biserial when
   every slot holds one match and the feature is 0/1, Pearson otherwise.
6. Minimums (``AnalysisConfig.min_*``): a window test runs only on enough match-free reference
   days and degrees of freedom, a correlation only with enough residual degrees of freedom;
   otherwise the test is listed as not run, with what it needs and what the range has.
7. Benjamini-Hochberg within each family (``FAMILIES``): the primary family is the national lift
   per window, the answer to the project's question; regional lifts and correlations are
   secondary, exploratory families, so many of them cannot dilute the primary answer. Significant
   when the adjusted p < alpha.
8. Anomalies (``anomalies.py``): hours, match windows and local days tested against a negative
   binomial count model, and the summary (``summary.py``).
Before the baseline is used, probable outages (``outages.py``: trading time with no order where
many were expected) are found with a first fit; unless the config treats them as real zeros, they
leave the covered time like hours without data and the baseline is fitted again without them.
Log ratios use (count + 0.5) on both sides so that empty regional windows stay finite.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from pizza_game.analysis.anomalies import find_anomalies, with_window_flags
from pizza_game.analysis.baseline import (
    CONTAMINATING_WINDOWS,
    POOL_NAMES,
    Baseline,
    clean_bins,
    fit_baseline,
    touched_bins,
)
from pizza_game.analysis.blas import one_blas_thread
from pizza_game.analysis.config import AnalysisConfig
from pizza_game.analysis.features import FEATURES, match_features
from pizza_game.analysis.merge import ALL_REGIONS
from pizza_game.analysis.outages import Outages, find_outages
from pizza_game.analysis.slots import SpanMeter, Spans, WindowSlots, build_slots, day_clusters
from pizza_game.analysis.stats import (
    Correlation,
    WindowDesign,
    WindowEffect,
    benjamini_hochberg,
    correlations,
    t_p_values,
    window_design,
)
from pizza_game.analysis.summary import CORRELATION, FAMILIES, PRIMARY, REGIONAL, build_summary
from pizza_game.analysis.timeline import Timeline, build_timeline, utc_times
from pizza_game.analysis.windows import WINDOWS, split_analysable, window_bounds
from pizza_game.model import to_ns

MATCH_REQUIRED = (
    "match_id",
    "competition",
    "kickoff_at",
    "kickoff_known",
    "status",
    "stage",
    "matchday",
    "home_team",
    "away_team",
    "home_score",
    "away_score",
    "winner",
    "source",
)
COUNT_OFFSET = 0.5

RESULT_COLUMNS = (
    "test_id",
    "family",
    "window",
    "region",
    "feature",
    "method",
    "n",
    "n_reference",
    "reference_days",
    "statistic",
    "df",
    "p_value",
    "effect_size",
    "effect_size_name",
    "ci_low",
    "ci_high",
    "estimate",
    "std_error",
    "p_adjusted",
    "significant",
    "real_share",
    "orders",
    "overlap_share",
)
METHOD_LIFT = "window vs clean reference spans: fixed-effects regression, cluster-robust t"



@dataclass
class AnalysisResult:
    """Everything one analysis run found (see the module docstring for the method)."""

    results: pd.DataFrame
    significant: pd.DataFrame
    summary: dict
    match_windows: pd.DataFrame
    spikes: pd.DataFrame  # the anomalies found (anomalies.ANOMALY_COLUMNS)
    excluded_matches: pd.DataFrame
    anomaly_tests: pd.DataFrame  # every unit the anomaly detection tested


@dataclass
class _Findings:
    """What the tests of every window kind found, gathered kind after kind."""

    tests: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    match_windows: list[pd.DataFrame] = field(default_factory=list)
    references: dict[str, Spans] = field(default_factory=dict)
    slot_report: dict[str, dict] = field(default_factory=dict)


def analyse(
    series: pd.DataFrame, windows: pd.DataFrame, matches: pd.DataFrame, config: AnalysisConfig
) -> AnalysisResult:
    """Analyse the merged tables of a horizon (missing days are simply absent), on one BLAS
    thread (``blas.py``: its small products cost more split over the cores)."""
    with one_blas_thread():
        return _analyse(series, windows, matches, config)


def _analyse(
    series: pd.DataFrame, windows: pd.DataFrame, matches: pd.DataFrame, config: AnalysisConfig
) -> AnalysisResult:
    matches = _prepared_matches(matches)
    analysable, excluded = split_analysable(matches)
    bounds = window_bounds(analysable["kickoff_at"], config.windows)
    bounds["match_id"] = (
        analysable["match_id"].astype(str).to_numpy()[bounds["position"].to_numpy()]
    )
    timeline, baseline, outages = _fitted_baseline(
        build_timeline(series, config.timezone), bounds, config
    )
    region_rows = list(range(len(timeline.regions))) if config.regional else [0]
    feature_rows = match_features(analysable, config).set_index("match_id")
    found = _test_window_kinds(timeline, baseline, bounds, feature_rows, region_rows, config)

    results = _results_table(found.tests, config.alpha)
    # The match features joined once for every kind's rows (a merge per kind cost a merge each).
    match_windows, other_bounds = _with_exact_counts(
        pd.concat(found.match_windows, ignore_index=True).merge(
            feature_rows.reset_index(), on="match_id", how="left"
        ),
        windows,
    )
    anomalies = find_anomalies(
        timeline, baseline, bounds[["match_id", "window", "start_ns", "end_ns"]], match_windows,
        found.references, region_rows, config.alpha, config.min_coverage, config.min_reference_days,
    )  # fmt: skip
    match_windows = with_window_flags(match_windows, anomalies)
    summary = build_summary(
        config=config,
        timeline=timeline,
        baseline=baseline,
        matches=matches,
        analysable=analysable,
        excluded=excluded,
        results=results,
        match_windows=match_windows,
        slot_report=found.slot_report,
        skipped=found.skipped,
        anomalies=anomalies.summary(),
        outages=outages.summary(),
        merged_with_other_windows=other_bounds,
    )
    significant = results[results["significant"]].reset_index(drop=True)
    return AnalysisResult(
        results,
        significant,
        summary,
        match_windows,
        anomalies.flagged,
        excluded.reset_index(drop=True),
        anomaly_tests=anomalies.tests,
    )


def _fitted_baseline(
    timeline: Timeline, bounds: pd.DataFrame, config: AnalysisConfig
) -> tuple[Timeline, Baseline, Outages]:
    """The baseline fitted on the bins outside every pre/during/post window, and the probable
    outages a first fit shows. Unless the config treats them as real zeros, they leave the covered
    time and the baseline is fitted again; the timeline returned is the one the baseline fits."""
    contaminating = bounds["window"].isin(CONTAMINATING_WINDOWS).to_numpy()
    window_starts = bounds["start_ns"].to_numpy()[contaminating]
    window_ends = bounds["end_ns"].to_numpy()[contaminating]
    baseline = fit_baseline(timeline, clean_bins(timeline, window_starts, window_ends))
    outages = find_outages(timeline, baseline, config.outages)
    if outages.masks_bins:
        timeline = outages.masked(timeline)
        baseline = fit_baseline(timeline, clean_bins(timeline, window_starts, window_ends))
    return timeline, baseline, outages


def _test_window_kinds(
    timeline: Timeline,
    baseline: Baseline,
    bounds: pd.DataFrame,
    feature_rows: pd.DataFrame,
    region_rows: list[int],
    config: AnalysisConfig,
) -> _Findings:
    """The lift and correlation tests and the match-window rows of every window kind."""
    meter = SpanMeter(timeline, baseline)
    found = _Findings()
    for kind in WINDOWS:
        rows = bounds[bounds["window"] == kind].reset_index(drop=True)
        slots, slot_of_row = build_slots(
            kind,
            rows["start_ns"].to_numpy(),
            rows["end_ns"].to_numpy(),
            meter,
            config.baseline_weeks,
        )
        usable = slots.spans.coverage >= config.min_coverage - 1e-12
        found.slot_report[kind] = _slot_counts(slots, usable, rows, slot_of_row)
        found.references[kind] = slots.references
        overlap = _overlap_share(timeline, bounds, kind, slots)
        window_tests, window_skipped, slot_status = _window_tests(
            slots, usable, region_rows, timeline.regions, overlap, config
        )
        found.match_windows.append(
            _match_window_rows(rows, slot_of_row, slots, slot_status, timeline)
        )
        found.tests += window_tests
        found.skipped += window_skipped
        slot_features = _slot_features(
            rows["match_id"].to_numpy(), slot_of_row, feature_rows, len(usable)
        )
        for r in region_rows:
            tests_for_features, skipped_features = _feature_tests(
                slots, usable, r, kind, timeline.regions[r], slot_features, config.min_correlation_df
            )
            found.tests += tests_for_features
            found.skipped += skipped_features
    # Every test's p-value from its statistic and degrees of freedom in one scipy call (a call
    # per window kind and region row cost more than the tails themselves).
    p_values = t_p_values([t["statistic"] for t in found.tests], [t["df"] for t in found.tests])
    for test, p_value in zip(found.tests, p_values, strict=True):
        test["p_value"] = float(p_value)
    return found


def _prepared_matches(matches: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in MATCH_REQUIRED if c not in matches.columns]
    if missing:
        raise ValueError(
            f"matches lack columns {missing}; expected canonical matches (merged_dataset matches table)"
        )
    kept = matches.drop_duplicates("match_id", keep="last")
    return kept.drop(columns=["analysable", "excluded_reason"], errors="ignore").reset_index(
        drop=True
    )


def _log_ratio(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.log((observed + COUNT_OFFSET) / (expected + COUNT_OFFSET))


def _overlap_share(
    timeline: Timeline, bounds: pd.DataFrame, kind: str, slots: WindowSlots
) -> np.ndarray:
    """Per slot: the share of its time inside a pre, during or post window of another kind.

    With staggered kick-offs (Saturday 15:00 and 17:30) the during window of one match is the pre
    window of the next, so an effect of one kind of window shows in the others too. Undefined
    (NaN) for the extended window, which holds its own match's other windows by construction.
    """
    if kind not in CONTAMINATING_WINDOWS:
        return np.full(len(slots.spans.start_ns), np.nan)
    other = bounds["window"].isin([k for k in CONTAMINATING_WINDOWS if k != kind]).to_numpy()
    touched = touched_bins(
        timeline, bounds["start_ns"].to_numpy()[other], bounds["end_ns"].to_numpy()[other]
    )
    prefix = np.concatenate([[0.0], np.cumsum(touched)])
    x0 = np.clip(timeline.position(slots.spans.start_ns), 0, timeline.n_bins)
    x1 = np.clip(timeline.position(slots.spans.end_ns), 0, timeline.n_bins)
    length = x1 - x0
    inside = np.interp(x1, np.arange(len(prefix)), prefix) - np.interp(
        x0, np.arange(len(prefix)), prefix
    )
    return np.divide(inside, length, out=np.full(len(x0), np.nan), where=length > 0)


class _Pooled(NamedTuple):
    """The usable match slots of one window kind (``in_window`` 1) and the reference spans of
    their strata (0) side by side: what the window-vs-reference regression takes."""

    observed: np.ndarray  # [region row, slot or span]
    real: np.ndarray
    expected: np.ndarray
    in_window: np.ndarray
    stratum: np.ndarray
    first_day: np.ndarray
    clusters: np.ndarray


def _window_tests(
    slots: WindowSlots,
    usable: np.ndarray,
    region_rows: list[int],
    regions: list[str],
    overlap: np.ndarray,
    config: AnalysisConfig,
) -> tuple[list[dict], list[dict], dict[int, tuple[np.ndarray, np.ndarray]]]:
    """The window-vs-reference test of one window kind for every region row.

    Also returns, per region row, which slots the test used and why the others were not used.
    """
    kind = slots.window
    base_reason = _slot_reasons(slots, usable)
    take = usable & (slots.stratum >= 0)
    pooled = _pooled(slots, take)
    designs: dict[bytes, WindowDesign | None] = {}
    tests, skipped, status = [], [], {}
    for r in region_rows:
        region = regions[r]
        family = PRIMARY if region == ALL_REGIONS else REGIONAL
        y = _log_ratio(pooled.observed[r], pooled.expected[r])
        finite = np.isfinite(y)
        if finite.tobytes() not in designs:
            designs[finite.tobytes()] = window_design(
                pooled.in_window, pooled.stratum, pooled.clusters, finite
            )
        design = designs[finite.tobytes()]
        kept = design.keep if design is not None else np.zeros(len(y), dtype=bool)
        reference_days = len(np.unique(pooled.first_day[kept & (pooled.in_window == 0)]))
        effect = None if design is None else design.effect(y)
        missing = _missing_information(kind, reference_days, effect, config)
        reason = base_reason.copy()
        used = np.zeros(len(usable), dtype=bool)
        # Without a design or an effect, ``missing`` says so: the test is skipped either way.
        if missing or design is None or effect is None:
            slots_kept = int(kept[pooled.in_window == 1].sum())
            skipped.append(_skipped_lift(kind, region, family, missing, reference_days, slots_kept))
            reason[reason == ""] = f"lift test not run: {missing}"
            status[r] = (used, reason)
            continue
        used[np.flatnonzero(take)] = kept[: int(take.sum())]
        reason[(reason == "") & ~used] = "no usable reference span at its time of day"
        status[r] = (used, reason)
        behind_observed = pooled.observed[r, design.keep].sum()
        behind_real = pooled.real[r, design.keep].sum()
        row = _lift_row(kind, region, family, effect, reference_days, behind_observed, behind_real)
        row["overlap_share"] = float(np.mean(overlap[take])) if take.any() else np.nan
        tests.append(row)
    return tests, skipped, status


def _slot_reasons(slots: WindowSlots, usable: np.ndarray) -> np.ndarray:
    """Per slot, why no lift test can use it whatever the region ("" when one can)."""
    return np.where(
        ~usable,
        "window lacks order data (coverage)",
        np.where(
            ~np.isfinite(slots.spans.expected[0]),
            "no usable baseline",
            np.where(slots.stratum < 0, "no match-free reference day", ""),
        ),
    ).astype(object)


def _pooled(slots: WindowSlots, take: np.ndarray) -> _Pooled:
    """The slots in ``take`` and the reference spans of the strata they fall in, side by side."""
    spans, refs = slots.spans, slots.references
    ref_take = np.isin(slots.reference_stratum, np.unique(slots.stratum[take]))
    first = np.concatenate([spans.first_day[take], refs.first_day[ref_take]])
    last = np.concatenate([spans.last_day[take], refs.last_day[ref_take]])
    return _Pooled(
        observed=np.concatenate([spans.observed[:, take], refs.observed[:, ref_take]], axis=1),
        real=np.concatenate([spans.real[:, take], refs.real[:, ref_take]], axis=1),
        expected=np.concatenate(
            [slots.matched_expected[:, take], slots.reference_matched_expected[:, ref_take]], axis=1
        ),
        in_window=np.concatenate([np.ones(take.sum()), np.zeros(ref_take.sum())]),
        stratum=np.concatenate([slots.stratum[take], slots.reference_stratum[ref_take]]),
        first_day=first,
        clusters=day_clusters(first, last),
    )


def _skipped_lift(
    kind: str, region: str, family: str, missing: str, reference_days: int, slots: int
) -> dict:
    return {
        "test": f"lift/{kind}/{region}",
        "family": family,
        "window": kind,
        "region": region,
        "reason": missing,
        "reference_days": reference_days,
        "slots": slots,
    }


def _missing_information(
    kind: str, reference_days: int, effect: WindowEffect | None, config: AnalysisConfig
) -> str:
    """What a window test lacks to run (empty when it has enough), in words."""
    if reference_days < config.min_reference_days:
        return (
            f"needs at least {config.min_reference_days} match-free reference days of the same "
            f"weekday (or day type) at the window's time of day; this range has {reference_days}"
        )
    if effect is None:
        return "the match windows and their reference days leave no residual variation to test"
    if effect.df < config.min_window_df:
        return (
            f"needs at least {config.min_window_df:g} degrees of freedom; its {reference_days} "
            f"reference days and {effect.n_windows} slots give {effect.df:.1f}"
        )
    return ""


def _lift_row(
    kind: str,
    region: str,
    family: str,
    effect: WindowEffect,
    reference_days: int,
    observed: float,
    real: float,
) -> dict:
    """A lift test's row of the results table but its p-value (as ``_correlation_row``)."""
    return {
        "test_id": f"lift/{kind}/{region}",
        "family": family,
        "window": kind,
        "region": region,
        "feature": "",
        "method": METHOD_LIFT,
        "n": effect.n_windows,
        "n_reference": effect.n_reference,
        "reference_days": reference_days,
        "statistic": effect.statistic,
        "df": effect.df,
        "effect_size": float(np.expm1(effect.estimate)),
        "effect_size_name": "lift (exp of mean log ratio - 1)",
        "ci_low": float(np.expm1(effect.ci_low)),
        "ci_high": float(np.expm1(effect.ci_high)),
        "estimate": effect.estimate,
        "std_error": effect.std_error,
        "real_share": float(real / observed) if observed > 0 else np.nan,
        "orders": float(observed),
    }


def _feature_tests(
    slots: WindowSlots,
    usable: np.ndarray,
    r: int,
    kind: str,
    region: str,
    slot_features: dict[str, np.ndarray],
    min_df: int,
) -> tuple[list[dict], list[dict]]:
    """The correlation of each match feature with the slots' log lift, for one region row."""
    spans = slots.spans
    take = usable & np.isfinite(spans.expected[r])
    y = np.where(take, _log_ratio(spans.observed[r], spans.expected[r]), np.nan)
    tests, skipped = [], []
    results = correlations([slot_features[feature] for feature in FEATURES], y, slots.key)
    for feature, result in zip(FEATURES, results, strict=True):
        x = slot_features[feature]
        test_id = f"correlation/{kind}/{region}/{feature}"
        if result is None or result.df < min_df:
            has = "none" if result is None else f"{result.df} from {result.n} slots"
            skipped.append(
                {
                    "test": test_id,
                    "family": CORRELATION,
                    "window": kind,
                    "region": region,
                    "reason": f"needs at least {min_df} residual degrees of freedom "
                    f"(slots with the feature varying within slot types); this range has {has}",
                }
            )
            continue
        both = np.isfinite(x) & np.isfinite(y)
        binary_valued = bool(np.all((x[both] == 0.0) | (x[both] == 1.0)))
        observed, real = spans.observed[r, both].sum(), spans.real[r, both].sum()
        method = "point-biserial" if binary_valued else "pearson"
        identity = {"test_id": test_id, "family": CORRELATION, "window": kind, "region": region}
        tests.append(identity | {"feature": feature} | _correlation_row(result, method, observed, real))
    return tests, skipped


def _correlation_row(result: Correlation, method: str, observed: float, real: float) -> dict:
    """A correlation's columns of the results table after its identity (test_id .. feature), but
    its p-value (``_test_window_kinds`` takes every test's at once)."""
    return {
        "method": method,
        "n": result.n,
        "n_reference": 0,
        "reference_days": 0,
        "statistic": result.statistic,
        "df": result.df,
        "effect_size": result.r,
        "effect_size_name": "r",
        "ci_low": result.ci_low,
        "ci_high": result.ci_high,
        "estimate": result.r,
        "std_error": np.nan,
        "real_share": float(real / observed) if observed > 0 else np.nan,
        "orders": float(observed),
    }


def _results_table(tests: list[dict], alpha: float) -> pd.DataFrame:
    table = pd.DataFrame(
        tests, columns=[c for c in RESULT_COLUMNS if c not in ("p_adjusted", "significant")]
    )
    table["p_adjusted"] = np.nan
    for family in FAMILIES:
        members = (table["family"] == family).to_numpy()
        table.loc[members, "p_adjusted"] = benjamini_hochberg(
            table.loc[members, "p_value"].to_numpy(dtype="float64")
        )
    table["significant"] = (table["p_adjusted"] < alpha).astype(bool)
    table = table.astype(
        {"n": "int64", "n_reference": "int64", "reference_days": "int64", "df": "float64"}
    )
    return table[list(RESULT_COLUMNS)]


def _slot_features(
    match_ids: np.ndarray, slot_of_row: np.ndarray, features: pd.DataFrame, n_slots: int
) -> dict[str, np.ndarray]:
    """Per feature and slot: the mean of the feature over the slot's matches (a 0/1 feature
    becomes a share; NaN where none of them has it).

    The features are whole numbers (goals, 0/1 flags), whose sums are exact in any order, so
    summed by ``np.bincount`` they give the bits of pandas' compensated group means, without a
    groupby per window kind; a table with other values takes the groupby."""
    position = features.index.get_indexer(pd.Index(match_ids))
    found = position >= 0  # else a match without features
    values = np.full((len(position), len(FEATURES)), np.nan)
    values[found] = features[list(FEATURES)].to_numpy(dtype="float64")[position[found]]
    seen = ~np.isnan(values)
    if not np.all(np.isfinite(values[seen]) & (values[seen] == np.round(values[seen]))):
        table = pd.DataFrame(values, columns=list(FEATURES)).assign(slot=slot_of_row)
        means = table.groupby("slot")[list(FEATURES)].mean().reindex(range(n_slots))
        return {feature: means[feature].to_numpy(dtype="float64") for feature in FEATURES}
    out = {}
    for j, feature in enumerate(FEATURES):
        count = np.bincount(slot_of_row, weights=seen[:, j], minlength=n_slots)
        total = np.bincount(
            slot_of_row, weights=np.where(seen[:, j], values[:, j], 0.0), minlength=n_slots
        )
        out[feature] = np.divide(total, count, out=np.full(n_slots, np.nan), where=count > 0)
    return out


def _slot_counts(
    slots: WindowSlots, usable: np.ndarray, rows: pd.DataFrame, slot_of_row: np.ndarray
) -> dict:
    low = ~usable
    return {
        "match_windows": len(rows),
        "match_windows_dropped_for_coverage": int(low[slot_of_row].sum()) if len(rows) else 0,
        "slots": len(usable),
        "slots_dropped_for_coverage": int(low.sum()),
        "slots_without_baseline": int((usable & ~np.isfinite(slots.spans.expected[0])).sum()),
        "slots_without_reference": int((usable & (slots.stratum < 0)).sum()),
        "slots_reference_day_type": int((usable & (slots.reference_kind == "day type")).sum()),
        "reference_spans": len(slots.reference_stratum),
    }


def _with_exact_counts(
    match_windows: pd.DataFrame, windows: pd.DataFrame
) -> tuple[pd.DataFrame, int]:
    """Observed orders of each match window from the merged ``windows`` table (exact order times).

    The engine measures slots on the 15-minute series; the merged windows table counted every
    order against the exact window bounds. Where it has the same window, its count is the one
    shown (the same number whenever kick-offs fall on a quarter hour) and the lift follows it.
    Windows merged with other lengths than the analysis uses keep the series count; how many did
    is returned with the table.
    """
    if windows is None or len(windows) == 0:
        return match_windows, 0
    missing = [
        c for c in ("match_id", "window", "region", "start", "end", "orders") if c not in windows
    ]
    if missing:
        raise ValueError(
            f"windows lacks columns {missing}; expected the merged_dataset windows table"
        )
    keys = ["match_id", "window", "region"]
    exact = windows[[*keys, "start", "end", "orders"]].drop_duplicates(keys, keep="last")
    joined = match_windows.merge(exact, on=keys, how="left", suffixes=("", "_merged"))
    found = joined["orders"].notna().to_numpy()
    same = found.copy()
    same[found] = (
        to_ns(joined.loc[found, "start_merged"]) == to_ns(joined.loc[found, "start"])
    ) & (to_ns(joined.loc[found, "end_merged"]) == to_ns(joined.loc[found, "end"]))
    observed = np.where(
        same, joined["orders"].to_numpy(dtype="float64"), joined["observed"].to_numpy()
    )
    expected = joined["expected"].to_numpy()
    joined["observed"] = observed
    joined["lift"] = (
        np.divide(observed, expected, out=np.full(len(observed), np.nan), where=expected > 0) - 1.0
    )
    return joined.drop(columns=["start_merged", "end_merged", "orders"]), int((found & ~same).sum())


def _match_window_rows(
    rows: pd.DataFrame,
    slot_of_row: np.ndarray,
    slots: WindowSlots,
    slot_status: dict[int, tuple[np.ndarray, np.ndarray]],
    timeline: Timeline,
) -> pd.DataFrame:
    """One row per match window and region: its counts, lift, and whether its test used it
    (``analyse`` joins the match features to the rows of every kind).

    The rows of region row after region row (in ``slot_status`` order), built as one table: a
    table per region would cost a frame, two datetime conversions and a concat per region.
    """
    s = slot_of_row
    n, region_rows = len(s), list(slot_status)
    spans = slots.spans
    slot_label = np.asarray(
        slots.window
        + "@"
        + utc_times(spans.start_ns).strftime("%Y-%m-%dT%H:%MZ")
    )
    observed, expected = spans.observed[region_rows][:, s].ravel(), spans.expected[region_rows][:, s].ravel()
    real = spans.real[region_rows][:, s].ravel()

    def per_slot(values: np.ndarray, empty_dtype: str) -> np.ndarray:
        """A per-slot column taken for every window, the same in every region row."""
        return np.tile(values[s], len(region_rows)) if n else np.array([], dtype=empty_dtype)

    def per_region(column: int, empty_dtype: str) -> np.ndarray:
        """A per-slot column of ``slot_status`` (used, reason) taken for every window and region."""
        taken = [slot_status[r][column][s] for r in region_rows]
        return np.concatenate(taken) if n and taken else np.array([], dtype=empty_dtype)

    return pd.DataFrame(
        {
            "match_id": np.tile(rows["match_id"].to_numpy(), len(region_rows)),
            "window": slots.window,
            "region": np.repeat(np.asarray([timeline.regions[r] for r in region_rows], dtype=object), n),
            "start": utc_times(np.tile(rows["start_ns"].to_numpy(), len(region_rows))),
            "end": utc_times(np.tile(rows["end_ns"].to_numpy(), len(region_rows))),
            "slot": per_slot(slot_label, "object"),
            "matches_in_slot": per_slot(np.bincount(s, minlength=len(spans.coverage)), "int64"),
            "observed": observed,
            "expected": expected,
            "lift": np.divide(observed, expected, out=np.full(len(observed), np.nan), where=expected > 0)
            - 1.0,
            "coverage": np.tile(spans.coverage[s], len(region_rows)),
            "real_share": np.divide(real, observed, out=np.full(len(observed), np.nan), where=observed > 0),
            "baseline_profile": per_slot(np.asarray(POOL_NAMES, dtype=object)[spans.pool], "object"),
            "reference": np.tile(slots.reference_kind[s], len(region_rows)),
            "used": per_region(0, "bool"),
            "unused_reason": per_region(1, "object"),
        }
    )


__all__ = ["AnalysisConfig", "AnalysisResult", "analyse"]
