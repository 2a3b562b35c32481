"""The run in plain language: a headline, lift per window, the strongest relationships, data quality.

Everything here is JSON-serialisable (plain str, int, float, bool, None, list, dict) so it can be
written as ``correlation_summary.json`` and shown in asset metadata as it is.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from pizza_game.analysis.baseline import POOL_NAMES, Baseline
from pizza_game.analysis.config import AnalysisConfig
from pizza_game.analysis.merge import ALL_REGIONS
from pizza_game.analysis.timeline import Timeline

# The families of tests (engine.py adjusts each on its own); defined here to avoid an import cycle.
PRIMARY, REGIONAL, CORRELATION = "primary", "regional", "correlation"
FAMILIES = {
    PRIMARY: "lift per window, national",
    REGIONAL: "lift per window and region",
    CORRELATION: "match features vs slot lift",
}

STRONGEST = 5


def describe_window(kind: str, config: AnalysisConfig) -> str:
    """What a window kind means, in words, with its configured lengths."""
    w = config.windows

    def hours(minutes: int) -> str:
        return f"{minutes / 60:g} hour{'s' if minutes != 60 else ''}"

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
    """The summary, section by section (keyword arguments: each is one input of one section)."""
    lifts = results[results["family"] == PRIMARY]
    primary_not_run = [item for item in skipped if item.get("family") == PRIMARY]
    used_matches, unused_reasons = _match_use(match_windows)
    return {
        "headline": _headline(lifts, primary_not_run, len(used_matches), len(matches), config),
        "period": _period(timeline, config),
        "lift_by_window": _lift_by_window(lifts, primary_not_run, config),
        "strongest_relationships": _strongest_relationships(results, config),
        "data_quality": {
            "matches": len(matches),
            "matches_analysable": len(analysable),
            "matches_used": len(used_matches),
            "matches_excluded": dict(Counter(excluded["excluded_reason"].astype(str))),
            "matches_analysable_unused": int(len(analysable) - len(used_matches)),
            "matches_used_means": "matches with at least one national window in a primary lift "
            "test; the headline, the lift per window and the used rows of the match table all "
            "rest on these",
            "matches_unused_reasons": unused_reasons,
            "windows": slot_report,
            "match_windows_merged_with_other_bounds": merged_with_other_windows,
            **_order_sources(timeline, baseline),
            "probable_outages": outages,
            "clean_share_of_covered_bins": _num(
                baseline.clean.sum() / timeline.covered.sum() if timeline.covered.any() else None
            ),
        },
        "tests": _tests(results, skipped, config),
        "spikes": anomalies,
    }


def _period(timeline: Timeline, config: AnalysisConfig) -> dict:
    """The range analysed, in UTC, and how much of it had data."""
    covered = timeline.covered
    days_with_data = (
        np.unique(timeline.day[covered]) if covered.any() else np.array([], dtype="int64")
    )
    return {
        "start": _iso(timeline.start_ns) if timeline.n_bins else None,
        "end": _iso(timeline.start_ns + timeline.n_bins * timeline.bin_ns)
        if timeline.n_bins
        else None,
        "timezone": config.timezone,
        "local_days": int(timeline.n_days),
        "local_days_with_data": len(days_with_data),
        "hours_without_data": int((~covered).sum() * timeline.bin_ns // 3_600_000_000_000),
    }


def _lift_by_window(
    lifts: pd.DataFrame, primary_not_run: list[dict], config: AnalysisConfig
) -> list[dict]:
    """One row per primary window: the tested ones from ``lifts``, then those not run and why."""
    tested = [
        {
            "window": row.window,
            "meaning": describe_window(str(row.window), config),
            "lift": _num(row.effect_size),
            "ci_low": _num(row.ci_low),
            "ci_high": _num(row.ci_high),
            "p_value": _num(row.p_value),
            "p_adjusted": _num(row.p_adjusted),
            "significant": bool(row.significant),
            "slots": _count(row.n),
            "reference_spans": _count(row.n_reference),
            "reference_days": _count(row.reference_days),
            "df": _num(row.df),
            "real_share": _num(row.real_share),
            "overlap_share": _num(row.overlap_share),
            "not_run": None,
        }
        for row in lifts.itertuples()
    ]
    untested = [
        {
            "window": item["window"],
            "meaning": describe_window(item["window"], config),
            "lift": None,
            "ci_low": None,
            "ci_high": None,
            "p_value": None,
            "p_adjusted": None,
            "significant": False,
            "slots": item.get("slots", 0),
            "reference_spans": None,
            "reference_days": item.get("reference_days", 0),
            "df": None,
            "real_share": None,
            "overlap_share": None,
            "not_run": item["reason"],
        }
        for item in primary_not_run
    ]
    return tested + untested


def _strongest_relationships(results: pd.DataFrame, config: AnalysisConfig) -> list[dict]:
    """The ``STRONGEST`` correlations by absolute r, significant ones first (all of them
    are candidates when none is significant)."""
    correlations = results[results["family"] == CORRELATION]
    significant = correlations[correlations["significant"]]
    chosen = significant if len(significant) else correlations
    strongest = (
        chosen.assign(strength=chosen["effect_size"].abs())
        .sort_values(["significant", "strength"], ascending=[False, False])
        .head(STRONGEST)
    )
    return [
        {
            "window": row.window,
            "region": row.region,
            "feature": row.feature,
            "method": row.method,
            "r": _num(row.effect_size),
            "ci_low": _num(row.ci_low),
            "ci_high": _num(row.ci_high),
            "n": _count(row.n),
            "p_adjusted": _num(row.p_adjusted),
            "significant": bool(row.significant),
            "sentence": _relationship_sentence(row, config),
        }
        for row in strongest.itertuples()
    ]


def _match_use(match_windows: pd.DataFrame) -> tuple[set, dict[str, int]]:
    """The matches with a national window used in a primary test, and why the others were not
    used (counted once per match)."""
    if not len(match_windows):
        return set(), {}
    national = match_windows[match_windows["region"] == ALL_REGIONS]
    used = set(national.loc[national["used"], "match_id"]) if len(national) else set()
    unused = national[~national["match_id"].isin(used)] if len(national) else national
    reasons = (
        dict(Counter(unused.drop_duplicates("match_id")["unused_reason"].astype(str)))
        if len(unused)
        else {}
    )
    return used, reasons


def _order_sources(timeline: Timeline, baseline: Baseline) -> dict:
    """Orders in covered bins, the real and mock shares, and where the baseline profile came from."""
    covered = timeline.covered
    total_orders = float(timeline.orders[0, covered].sum())
    real_orders = float(timeline.real[0, covered].sum())
    real_share = real_orders / total_orders if total_orders > 0 else None
    return {
        "orders": total_orders,
        "real_orders": real_orders,
        "real_share": _num(real_share),
        "mock_share": _num(None if real_share is None else 1.0 - real_share),
        "baseline_profile_cells": {
            name: int((baseline.profile_pool == code).sum())
            for code, name in enumerate(POOL_NAMES)
        },
    }


def _tests(results: pd.DataFrame, skipped: list[dict], config: AnalysisConfig) -> dict:
    """How many tests were run and significant, per family, and the minimums behind those not run."""
    return {
        "run": len(results),
        "significant": int(results["significant"].sum()),
        "alpha": config.alpha,
        "adjustment": "Benjamini-Hochberg within each family of tests",
        "families": {
            name: {
                "meaning": meaning,
                "run": int((results["family"] == name).sum()),
                "significant": int(results.loc[results["family"] == name, "significant"].sum()),
                "not_run": sum(item.get("family") == name for item in skipped),
            }
            for name, meaning in FAMILIES.items()
        },
        "minimums": {
            "reference_days": config.min_reference_days,
            "window_df": config.min_window_df,
            "correlation_df": config.min_correlation_df,
        },
        "not_run": dict(Counter(item["reason"] for item in skipped)),
    }


def rejected_rows(coverages: list[dict]) -> dict:
    """Rows rejected on input, by raw asset and reason, summed over merged days' ``coverage``.

    Each merged day counts the rejected rows of its own raw partitions only, so the sum counts
    each row once. Days merged before rejected rows were counted have no figure: they are counted
    in ``days_without_counts`` (materialize merged_dataset for them again), not as zero.
    """
    totals: dict[str, Counter] = {"raw_orders": Counter(), "raw_matches": Counter()}
    unknown = 0
    for coverage in coverages:
        if "rejected" not in coverage:
            unknown += 1
            continue
        for asset, counts in totals.items():
            counts.update(coverage["rejected"].get(asset, {}))
    out: dict = {asset: dict(counts.most_common()) for asset, counts in totals.items()}
    if unknown:
        out["days_without_counts"] = unknown
    return out


def rejected_text(rejected: dict) -> str:
    """``rejected_rows`` in words: "raw_orders 4 (3 × reason · 1 × reason); raw_matches none"
    (reasons hold commas and parentheses of their own)."""
    parts = [
        f"{asset} {sum(counts.values()):,} ({' · '.join(f'{n:,} × {r}' for r, n in counts.items())})"
        if counts
        else f"{asset} none"
        for asset, counts in rejected.items()
        if asset != "days_without_counts"
    ]
    if rejected.get("days_without_counts"):
        parts.append(
            f"not known for {rejected['days_without_counts']} day(s) merged before rejected rows "
            "were counted (materialize merged_dataset for them again)"
        )
    return "; ".join(parts)


def _headline(
    lifts: pd.DataFrame,
    not_run: list[dict],
    used: int,
    matches: int,
    config: AnalysisConfig,
) -> str:
    """The answer in one or two sentences, saying what it rests on and what could not be tested."""
    by_reason: dict[str, list[str]] = {}
    for item in not_run:
        by_reason.setdefault(item["reason"], []).append(item["window"])
    untested = "; ".join(
        f"the {_words(windows)} window{'s were' if len(windows) > 1 else ' was'} not tested: "
        f"{'each' if len(windows) > 1 else 'it'} {reason}"
        for reason, windows in by_reason.items()
    )
    if lifts.empty:
        if not not_run:
            return "No match window in this range: nothing to test."
        return (
            "Not enough data to say whether matches move orders, so no lift is claimed: "
            f"{untested}."
        )
    basis = f"{used} of {matches} matches used"
    significant = lifts[lifts["significant"]]
    if len(significant):
        row = _largest_effect(significant)
        direction = "above" if row["effect_size"] > 0 else "below"
        text = (
            f"Orders {describe_window(row['window'], config)} ran {abs(row['effect_size']):.1%} {direction} "
            f"the no-match baseline (95% CI {row['ci_low']:+.1%} to {row['ci_high']:+.1%}; "
            f"{int(row['n'])} match slots against {int(row['reference_days'])} match-free "
            f"reference days, {row['df']:.1f} degrees of freedom; {basis}; significant after "
            "Benjamini-Hochberg adjustment within the primary family)."
        )
    else:
        row = _largest_effect(lifts)
        text = (
            "No match window moved orders significantly after adjustment; the largest estimate was "
            f"{row['effect_size']:+.1%} {describe_window(row['window'], config)} "
            f"(95% CI {row['ci_low']:+.1%} to {row['ci_high']:+.1%}; {int(row['n'])} match slots "
            f"against {int(row['reference_days'])} match-free reference days; {basis})."
        )
    return f"{text} Also, {untested}." if untested else text


def _words(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _relationship_sentence(row, config: AnalysisConfig) -> str:
    direction = "higher" if row.effect_size > 0 else "lower"
    verdict = "significant" if row.significant else "not significant"
    place = "nationally" if row.region == ALL_REGIONS else f"in {row.region}"
    return (
        f"Lift {describe_window(row.window, config)} {place} is {direction} with {row.feature.replace('_', ' ')} "
        f"(r = {row.effect_size:+.2f}, 95% CI {row.ci_low:+.2f} to {row.ci_high:+.2f}, n = {_count(row.n)}; {verdict})."
    )


def _largest_effect(rows: pd.DataFrame) -> pd.Series:
    """The row with the largest absolute effect size (the first of ties; NaN effects skipped)."""
    return rows.iloc[rows["effect_size"].abs().argmax()]


def _count(value: object) -> int:
    """A count read from a table cell (pandas-stubs type a cell as any scalar)."""
    if not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"expected a count, got {value!r}")
    return int(value)


def _num(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if np.isfinite(value) else None


def _iso(ns: int) -> str:
    return pd.Timestamp(int(ns), tz="UTC").isoformat()


def anomaly_lines(spikes: dict) -> list[str]:
    """The summary's ``spikes`` in one or two lines for the command line: per scale how many units
    were flagged of how many tested, the most significant anomaly with its size, p and source,
    and which scales (window kinds, regions) were not tested and why."""
    if not spikes:
        return []
    scales = spikes["by_scale"]
    counts = ", ".join(
        f"{scale} {v['anomalies']:,} of {v['tested']:,} tested" for scale, v in scales.items()
    )
    line = (
        f"Anomalies (negative binomial against the baseline, Benjamini-Hochberg within each "
        f"scale, alpha {spikes['alpha']:g}): {counts}; {spikes['in_match_windows']:,} of "
        f"{spikes['count']:,} in match windows."
    )
    if spikes.get("largest"):
        a = spikes["largest"][0]
        where = " ".join(filter(None, (a["scale"], a["start"], a["region"], a["window"])))
        line += (
            f" Most significant: {where}, {a['observed']:,.0f} orders vs {a['expected']:,.1f} "
            f"expected ({a['lift']:+.0%}, p {a['p_value']:.2g}, adjusted p {a['p_adjusted']:.2g}, "
            f"{a['source']} orders)."
        )
    lines = [line]
    groups: dict[tuple[str, str], dict] = {}
    for scale, v in scales.items():
        for item in v.get("not_tested", []):
            group = groups.setdefault(
                (scale, item["reason"]), {"windows": [], "regions": set(), "units": 0}
            )
            if item["window"] and item["window"] not in group["windows"]:
                group["windows"].append(item["window"])
            group["regions"].add(item["region"])
            group["units"] += int(item["units"])
    if groups:
        lines.append(
            "Not tested: "
            + "; ".join(
                " ".join(filter(None, (scale, ", ".join(g["windows"]))))
                + f" in {len(g['regions'])} region row(s), {g['units']:,} unit(s): {reason}"
                for (scale, reason), g in groups.items()
            )
            + "."
        )
    return lines
