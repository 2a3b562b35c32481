"""The analysis horizon and what the summary's lifts say, without Dagster."""

from __future__ import annotations

import pandas as pd
import pytest

from pizza_game.analysis.findings import findings, headline_lift, lift_chart
from pizza_game.analysis.horizon import analysis_horizon, horizon_summary, horizon_tables
from pizza_game.storage.stacked_days import StackedDays

AS_OF = pd.Timestamp("2024-09-21", tz="UTC")


def _window(window: str, lift: float | None, significant: bool) -> dict:
    return {"window": window, "meaning": f"in the {window} window", "lift": lift, "ci_low": -0.01,
            "ci_high": 0.2, "slots": 12, "significant": significant, "not_run": None if lift is not None else "too few"}


def test_the_horizon_ends_on_its_day():
    horizon = analysis_horizon(AS_OF, 3)
    assert list(horizon) == [AS_OF - pd.Timedelta(days=2), AS_OF - pd.Timedelta(days=1), AS_OF]


def test_no_merged_day_says_what_to_do():
    with pytest.raises(ValueError, match="materialize merged_dataset"):
        horizon_tables(StackedDays.of([]))


def test_the_summary_says_what_it_rests_on():
    summary = horizon_summary({"headline": "h", "data_quality": {"orders": 5}}, [], AS_OF, 28)
    assert summary["as_of"] == "2024-09-21" and summary["days_analysed"] == 0 and summary["horizon_days"] == 28
    assert summary["data_quality"]["orders"] == 5 and "rejected" in summary["data_quality"]


def test_the_headline_lift_prefers_a_significant_one():
    summary = {"lift_by_window": [_window("pre", 0.05, True), _window("during", -0.3, False), _window("post", None, False)]}
    assert headline_lift(summary) == 0.05
    assert headline_lift({"lift_by_window": [_window("during", -0.3, False), _window("post", 0.1, False)]}) == -0.3
    assert headline_lift({"lift_by_window": [_window("post", None, False)]}) is None


def test_findings_and_the_chart_name_the_windows():
    summary = {"lift_by_window": [_window("pre", 0.05, True), _window("post", None, False)],
               "strongest_relationships": [{"sentence": "Derbies move orders.", "significant": True},
                                           {"sentence": "Rain does not.", "significant": False}]}
    assert findings(summary) == [
        "Orders in the pre window: +5.0% against the no-match baseline (95% CI -1.0% to +20.0%, 12 match slots).",
        "Derbies move orders.",
    ]
    chart = lift_chart(summary)
    assert "| pre | +5.0% * |" in chart and "| post | not tested | | too few |" in chart
