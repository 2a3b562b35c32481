"""Dashboard tables for the report's tests and benchmark, built the way the pipeline builds them.

Matches and orders come from the mock generators and are merged by ``merge_day``; the table comes
from ``build_dashboard_data``. Only the analysis engine's part is stood in for: each match window's
expected orders are its observed orders divided by a seeded random lift, and the summary is written
here in the engine's shape.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pizza_game.analysis.merge import merge_day
from pizza_game.analysis.windows import WindowConfig
from pizza_game.collectors.mock_matches import generate_matches
from pizza_game.collectors.mock_orders import generate_orders
from pizza_game.model import MergedDay
from pizza_game.quicksight.dashboard import build_dashboard_data

# A name that would run script or fetch an image if it reached the page unescaped.
HOSTILE_TEAM = '</script><script>alert("x")</script><img src="x" onerror="alert(1)">&amp; FC'


@dataclass
class Synthetic:
    """The dashboard table and what it was built from: merged days, match windows, matches."""

    dashboard: pd.DataFrame
    summary: dict
    days: list[MergedDay]
    windows: pd.DataFrame
    matches: pd.DataFrame


def synthetic_dashboard(
    start: str,
    days: int,
    *,
    seed: int = 7,
    period_days: int | None = None,
    rename: dict[str, str] | None = None,
    real_days: tuple[int, ...] = (1,),
    mixed_days: tuple[int, ...] = (2,),
) -> Synthetic:
    """``days`` merged UTC days from ``start`` and their dashboard table (all of them by default).

    Orders of the ``real_days`` (offsets from ``start``) are marked real, every third order of the
    ``mixed_days`` too, so the table has real, mixed and mock rows. ``rename`` renames teams.
    """
    first = pd.Timestamp(start, tz="UTC")
    last = first + pd.Timedelta(days=days)
    config = WindowConfig()
    before, after = config.reach()
    matches = generate_matches(first, last, seed=seed, now=last + pd.Timedelta(days=1))
    for column in ("home_team", "away_team"):
        matches[column] = matches[column].replace(rename or {})
    merged = []
    orders = _orders(first - before, last + after, seed, first, real_days, mixed_days)
    hours = pd.date_range(first - before, last + after, freq="h", inclusive="left")
    for day in pd.date_range(first, last, freq="D", inclusive="left"):
        around = orders[
            (orders["ordered_at"] >= day - before)
            & (orders["ordered_at"] < day + pd.Timedelta(days=1) + after)
        ]
        on_day = matches[matches["kickoff_at"].dt.floor("D") == day]
        merged.append(merge_day(day, around, on_day, hours, config))
    windows = _match_windows(pd.concat([d.windows for d in merged], ignore_index=True), seed)
    summary = _summary(merged, windows, first, last)
    day_matches = pd.concat([d.matches for d in merged], ignore_index=True)
    dashboard = build_dashboard_data(
        pd.concat([d.series for d in merged], ignore_index=True),
        summary,
        windows,
        day_matches,
        as_of=last - pd.Timedelta(days=1),
        period_days=period_days or days,
    )
    return Synthetic(dashboard, summary, merged, windows, day_matches)


def _orders(start, end, seed, first, real_days, mixed_days) -> pd.DataFrame:
    orders = generate_orders(start, end, seed=seed)
    offset = (orders["ordered_at"].dt.floor("D") - first).dt.days
    real = offset.isin(real_days) | (offset.isin(mixed_days) & (orders.index % 3 == 0))
    orders.loc[real, "source"] = "real"
    return orders


def _match_windows(windows: pd.DataFrame, seed: int) -> pd.DataFrame:
    """The engine's per-match window results, with a seeded lift standing in for the baseline."""
    rng = np.random.default_rng(seed)
    lift = rng.normal(0.05, 0.12, len(windows))
    observed = windows["orders"].astype(float)
    return windows.assign(
        observed=observed,
        expected=(observed / (1 + lift)).round(1),
        lift=lift.round(4),
        real_share=np.divide(
            windows["real_orders"], observed, out=np.full(len(windows), np.nan), where=observed > 0
        ),
    )


def _summary(
    days: list[MergedDay], windows: pd.DataFrame, first: pd.Timestamp, last: pd.Timestamp
) -> dict:
    national = windows[windows["region"] == "ALL"]
    orders = sum(d.coverage["orders_in_day"] for d in days)
    real = sum(int(d.series.loc[d.series["region"] == "ALL", "real_orders"].sum()) for d in days)
    lifts = []
    for window, rows in national.groupby("window", sort=False):
        lift = rows["observed"].sum() / rows["expected"].sum() - 1
        lifts.append(
            {
                "window": window,
                "meaning": f"in the {window} window",
                "lift": lift,
                "ci_low": lift - 0.03,
                "ci_high": lift + 0.03,
                "p_value": 0.01,
                "p_adjusted": 0.02,
                "significant": window == "during",
                "slots": len(rows),
                "reference_spans": 8,
                "real_share": rows["real_orders"].sum() / rows["observed"].sum(),
            }
        )
    return {
        "headline": "During matches orders run above their no-match baseline.",
        "period": {"start": f"{first:%Y-%m-%d}", "end": f"{last - pd.Timedelta(days=1):%Y-%m-%d}"},
        "lift_by_window": lifts,
        "strongest_relationships": [
            {
                "window": "during",
                "region": "ALL",
                "feature": "total_goals",
                "method": "pearson",
                "r": 0.31,
                "ci_low": 0.12,
                "ci_high": 0.48,
                "n": len(national) // 4,
                "p_adjusted": 0.004,
                "significant": True,
                "sentence": "More goals go with more orders during the match "
                "(r = 0.31, 95% CI 0.12 to 0.48).",
            },
            {
                "window": "post",
                "region": "London",
                "feature": "derby",
                "method": "point-biserial",
                "r": -0.05,
                "ci_low": -0.2,
                "ci_high": 0.1,
                "n": 40,
                "p_adjusted": 0.7,
                "significant": False,
                "sentence": "Derbies do not change orders after the match.",
            },
        ],
        "data_quality": {
            "matches": sum(d.coverage["matches"] for d in days),
            "matches_analysable": sum(d.coverage["matches_analysable"] for d in days),
            "matches_used": national["match_id"].nunique(),
            "matches_excluded": {"kick-off time not known": 1, "not played: status POSTPONED": 2},
            "orders": orders,
            "real_orders": real,
            "real_share": real / orders,
            "mock_share": 1 - real / orders,
            "rejected": {"raw_orders": {"ordered_at unparsable or nonexistent": 3}, "raw_matches": {}},
        },
        "tests": {
            "run": 24,
            "significant": 2,
            "alpha": 0.05,
            "adjustment": "Benjamini-Hochberg",
            "not_run": 0,
        },
        "spikes": {
            "count": 4,
            "in_match_windows": 3,
            "by_source": {"mock": 3, "real": 1},
            "by_scale": {
                "hour": {"tested": 2000, "anomalies": 3, "in_match_windows": 2},
                "window": {"tested": 120, "anomalies": 1, "in_match_windows": 1},
                "day": {"tested": 84, "anomalies": 0, "in_match_windows": 0},
            },
            "largest": [],
        },
        "as_of": f"{last - pd.Timedelta(days=1):%Y-%m-%d}",
        "days_analysed": len(days),
        "horizon_days": len(days),
    }
