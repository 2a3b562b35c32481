"""The run in plain language: a headline, lift per window, the strongest relationships, data quality.

Everything here is JSON-serialisable (plain str, int, float, bool, None, list, dict) so it can be
written as ``correlation_summary.json`` and shown in asset metadata as it is.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from pizza_game.analysis.baseline import SOURCE_NAMES, Baseline
from pizza_game.analysis.config import AnalysisConfig
from pizza_game.analysis.merge import ALL_REGIONS
from pizza_game.analysis.timeline import Timeline

STRONGEST = 5


def describe_window(kind: str, config: AnalysisConfig) -> str:
    """What a window kind means, in words, with its configured lengths."""
    w = config.windows
    hours = lambda minutes: f"{minutes / 60:g} hour{'s' if minutes != 60 else ''}"
    return {
        "pre": f"in the {hours(w.pre_minutes)} before kick-off",
        "during": f"during matches (kick-off to {hours(w.during_minutes)} after)",
        "post": f"in the {hours(w.post_minutes)} after the final whistle",
        "extended": f"over the {hours(w.extended_minutes)} around kick-off",
    }[kind]


def build_summary(
    *,
    config: AnalysisConfig,
    timeline: Timeline,
    baseline: Baseline,
    matches: pd.DataFrame,
    analysable: pd.DataFrame,
    excluded: pd.DataFrame,
    results: pd.DataFrame,
    match_windows: pd.DataFrame,
    slot_report: dict[str, dict],
    skipped: list[dict],
    anomalies: dict,
    outages: dict,
    merged_with_other_windows: int,
) -> dict:
    lifts = results[(results["family"] == "lift") & (results["region"] == ALL_REGIONS)]
    lift_by_window = [
        {
            "window": row.window,
            "meaning": describe_window(row.window, config),
            "lift": _num(row.effect_size),
            "ci_low": _num(row.ci_low),
            "ci_high": _num(row.ci_high),
            "p_value": _num(row.p_value),
            "p_adjusted": _num(row.p_adjusted),
            "significant": bool(row.significant),
            "slots": int(row.n),
            "reference_spans": int(row.n_reference),
            "real_share": _num(row.real_share),
            "overlap_share": _num(row.overlap_share),
        }
        for row in lifts.itertuples()
    ]
    correlations = results[results["family"] == "correlation"]
    significant = correlations[correlations["significant"]]
    chosen = significant if len(significant) else correlations
    strongest = (
        chosen.assign(strength=chosen["effect_size"].abs())
        .sort_values(["significant", "strength"], ascending=[False, False])
        .head(STRONGEST)
    )
    national = (
        match_windows[match_windows["region"] == ALL_REGIONS]
        if len(match_windows)
        else match_windows
    )
    used_matches = set(national.loc[national["used"], "match_id"]) if len(national) else set()
    covered = timeline.covered
    days_with_data = (
        np.unique(timeline.day[covered]) if covered.any() else np.array([], dtype="int64")
    )
    total_orders = float(timeline.orders[0, covered].sum())
    real_orders = float(timeline.real[0, covered].sum())
    real_share = real_orders / total_orders if total_orders > 0 else None
    return {
        "headline": _headline(lifts, config),
        "period": {
            "start": _iso(timeline.start_ns) if timeline.n_bins else None,
            "end": _iso(timeline.start_ns + timeline.n_bins * timeline.bin_ns)
            if timeline.n_bins
            else None,
            "timezone": config.timezone,
            "local_days": int(timeline.n_days),
            "local_days_with_data": len(days_with_data),
            "hours_without_data": int((~covered).sum() * timeline.bin_ns // 3_600_000_000_000),
        },
        "lift_by_window": lift_by_window,
        "strongest_relationships": [
            {
                "window": row.window,
                "region": row.region,
                "feature": row.feature,
                "method": row.method,
                "r": _num(row.effect_size),
                "ci_low": _num(row.ci_low),
                "ci_high": _num(row.ci_high),
                "n": int(row.n),
                "p_adjusted": _num(row.p_adjusted),
                "significant": bool(row.significant),
                "sentence": _relationship_sentence(row, config),
            }
            for row in strongest.itertuples()
        ],
        "data_quality": {
            "matches": len(matches),
            "matches_analysable": len(analysable),
            "matches_used": len(used_matches),
            "matches_excluded": dict(Counter(excluded["excluded_reason"].astype(str))),
            "matches_analysable_unused": int(len(analysable) - len(used_matches)),
            "windows": slot_report,
            "match_windows_merged_with_other_bounds": merged_with_other_windows,
            "orders": total_orders,
            "real_orders": real_orders,
            "real_share": _num(real_share),
            "mock_share": _num(None if real_share is None else 1.0 - real_share),
            "baseline_profile_cells": {
                name: int((baseline.profile_source == code).sum())
                for code, name in enumerate(SOURCE_NAMES)
            },
            "probable_outages": outages,
            "clean_share_of_covered_bins": _num(
                baseline.clean.sum() / covered.sum() if covered.any() else None
            ),
        },
        "tests": {
            "run": len(results),
            "significant": int(results["significant"].sum()),
            "alpha": config.alpha,
            "adjustment": "Benjamini-Hochberg over all tests of the run",
            "not_run": dict(Counter(item["reason"] for item in skipped)),
        },
        "spikes": anomalies,
    }


def _headline(lifts: pd.DataFrame, config: AnalysisConfig) -> str:
    if lifts.empty:
        return "Not enough matched windows with a usable baseline to measure any effect."
    significant = lifts[lifts["significant"]]
    if len(significant):
        row = significant.loc[significant["effect_size"].abs().idxmax()]
        direction = "above" if row["effect_size"] > 0 else "below"
        return (
            f"Orders {describe_window(row['window'], config)} ran {abs(row['effect_size']):.1%} {direction} "
            f"the no-match baseline (95% CI {row['ci_low']:+.1%} to {row['ci_high']:+.1%}; "
            f"{int(row['n'])} match slots; significant after Benjamini-Hochberg adjustment)."
        )
    row = lifts.loc[lifts["effect_size"].abs().idxmax()]
    return (
        "No match window moved orders significantly after adjustment; the largest estimate was "
        f"{row['effect_size']:+.1%} {describe_window(row['window'], config)} "
        f"(95% CI {row['ci_low']:+.1%} to {row['ci_high']:+.1%})."
    )


def _relationship_sentence(row, config: AnalysisConfig) -> str:
    direction = "higher" if row.effect_size > 0 else "lower"
    verdict = "significant" if row.significant else "not significant"
    place = "nationally" if row.region == ALL_REGIONS else f"in {row.region}"
    return (
        f"Lift {describe_window(row.window, config)} {place} is {direction} with {row.feature.replace('_', ' ')} "
        f"(r = {row.effect_size:+.2f}, 95% CI {row.ci_low:+.2f} to {row.ci_high:+.2f}, n = {int(row.n)}; {verdict})."
    )


def _num(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if np.isfinite(value) else None


def _iso(ns: int) -> str:
    return pd.Timestamp(int(ns), tz="UTC").isoformat()
