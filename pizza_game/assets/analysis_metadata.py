"""The metadata of the analysis outputs: the horizon they rest on, and what each one holds."""

from __future__ import annotations

from typing import Any

import dagster as dg
import pandas as pd

from pizza_game.analysis.findings import findings, headline_lift, lift_chart
from pizza_game.analysis.summary import anomaly_lines
from pizza_game.quicksight.dashboard import DASHBOARD_DAYS


def outputs_metadata(summary: dict, tables: dict[str, pd.DataFrame], dashboard: pd.DataFrame, as_of: pd.Timestamp) -> dict[str, dict[str, Any]]:
    """The metadata of each output of correlation_analysis, by output name; ``tables`` holds
    correlation_results, significant_correlations and match_windows (their rows, schema and
    preview come from the IO manager that writes them: resources/dated_outputs.py)."""
    shared = horizon_metadata(summary)
    results, significant, drill_down = (tables[n] for n in ("correlation_results", "significant_correlations", "match_windows"))
    first = as_of - pd.Timedelta(days=DASHBOARD_DAYS - 1)
    return {
        "correlation_results": {**shared, "tests": len(results)},
        "significant_correlations": {**shared, "significant": len(significant)},
        "correlation_summary": {**shared, **summary_metadata(summary)},
        "match_windows": {
            **shared,
            "matches": int(drill_down["match_id"].nunique()),
        },
        "dashboard_data": {
            **shared,
            "time_range": dg.MetadataValue.text(f"{first:%Y-%m-%d} – {as_of:%Y-%m-%d} (UTC days)"),
            "records": dg.MetadataValue.json({str(k): int(v) for k, v in dashboard["record_type"].value_counts().items()}),
        },
    }


def horizon_metadata(summary: dict) -> dict[str, Any]:
    """What every analysis output rests on: the days analysed and how much of their data is real."""
    period = summary.get("period", {})
    quality = summary.get("data_quality", {})
    real_share = quality.get("real_share") or 0.0
    if period.get("start") and period.get("end"):
        first, end = pd.Timestamp(period["start"]), pd.Timestamp(period["end"]) - pd.Timedelta(days=1)
        time_range = f"{first:%Y-%m-%d} – {end:%Y-%m-%d} (horizon ending {summary['as_of']})"
    else:
        time_range = f"no data in the horizon ending {summary['as_of']}"
    return {
        "time_range": dg.MetadataValue.text(time_range),
        "days_analysed": dg.MetadataValue.int(summary["days_analysed"]),
        "orders_analysed": dg.MetadataValue.int(int(quality.get("orders") or 0)),
        "real_share": dg.MetadataValue.float(real_share),
        "mock_share": dg.MetadataValue.float(1.0 - real_share if quality.get("orders") else 0.0),
    }


def summary_metadata(summary: dict) -> dict[str, Any]:
    """The answer on correlation_summary: headline, findings, lift chart, and the data behind them."""
    quality = summary.get("data_quality", {})
    return {
        "headline": dg.MetadataValue.text(summary.get("headline", "")),
        "findings": dg.MetadataValue.json(findings(summary)),
        "lift_per_window": dg.MetadataValue.md(lift_chart(summary)),
        "as_of": dg.MetadataValue.text(summary["as_of"]),
        "tests_run": dg.MetadataValue.int(summary.get("tests", {}).get("run", 0)),
        **({} if (lift := headline_lift(summary)) is None else {"headline_lift": dg.MetadataValue.float(lift)}),
        "matches_used": dg.MetadataValue.int(quality.get("matches_used", 0)),
        "matches_unused_reasons": dg.MetadataValue.json(quality.get("matches_unused_reasons", {})),
        "rejected_rows": dg.MetadataValue.json(quality.get("rejected", {})),
        "anomalies": dg.MetadataValue.json(anomaly_lines(summary.get("spikes", {}))),
    }
