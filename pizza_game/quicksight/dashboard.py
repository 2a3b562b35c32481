"""The dashboard data: one flat table, one schema, everything the QuickSight dashboard shows.

Each row has a ``record_type``:
- ``kpi``: a headline number (``metric``, ``value``; lifts with ``ci_low``/``ci_high``);
- ``window_lift``: the national lift of one window kind with its 95% CI and significance;
- ``orders``: orders per hour and region over the last days, with the match window the hour lies
  in (``in_window``) and the matches being played (``matches_live``): the time series with overlays;
- ``match_window``: one match's window, per region: observed and expected orders, the lift, the
  engine's anomaly flag with its p-values, and whether the window's lift test used it (``used``)
  and why not (``unused_reason``).
Columns a record type does not use are empty. ``data_source`` is real, mock or mixed, so the
dashboard can filter on where the numbers come from. Timestamps are ISO 8601 UTC.
This table feeds the offline report; QuickSight reads it split by grain (``quicksight.datasets``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pizza_game.analysis.merge import ALL_REGIONS, OVERLAY_PRIORITY
from pizza_game.model import source_labels

DASHBOARD_DAYS = 30

DASHBOARD_COLUMNS: dict[str, str] = {
    "record_type": "str",
    "as_of": "str",
    "time": "datetime64[ns, UTC]",
    "region": "str",
    "metric": "str",
    "value": "float64",
    "ci_low": "float64",
    "ci_high": "float64",
    "significant": "boolean",
    "match_id": "str",
    "competition": "str",
    "home_team": "str",
    "away_team": "str",
    "window": "str",
    "kickoff_at": "datetime64[ns, UTC]",
    "window_end": "datetime64[ns, UTC]",
    "observed": "float64",
    "expected": "float64",
    "lift": "float64",
    "anomaly": "boolean",
    "anomaly_p": "float64",
    "anomaly_p_adjusted": "float64",
    "used": "boolean",
    "unused_reason": "str",
    "items": "Int64",
    "revenue": "float64",
    "in_window": "str",
    "matches_live": "Int64",
    "real_share": "float64",
    "data_source": "str",
}


def hourly_series(series: pd.DataFrame) -> pd.DataFrame:
    """Orders per hour and region with the match overlay (the merged series' 15-minute bins
    summed per hour)."""
    series = series[series["covered"]]
    if series.empty:
        return pd.DataFrame(columns=["time", "region", "value", "items", "revenue", "real_share", "in_window", "matches_live"])
    hour = series["bin_start"].dt.floor("h")
    rank = series["window"].map({name: i for i, name in enumerate(OVERLAY_PRIORITY)}).fillna(len(OVERLAY_PRIORITY))
    grouped = series.assign(time=hour, rank=rank).groupby(["time", "region"], sort=True)
    table = grouped.agg(
        value=("orders", "sum"), items=("items", "sum"), revenue=("revenue", "sum"), real=("real_orders", "sum"), rank=("rank", "min"), matches_live=("matches_live", "max")
    ).reset_index()
    labels = np.array([*OVERLAY_PRIORITY, ""], dtype=object)
    table["in_window"] = labels[table["rank"].astype(int)]
    table["real_share"] = np.divide(
        table["real"].astype(float), table["value"].astype(float),
        out=np.full(len(table), np.nan), where=table["value"].to_numpy(dtype=float) > 0,
    )
    return table.drop(columns=["real", "rank"])


def build_dashboard_data(
    series: pd.DataFrame,
    summary: dict,
    match_windows: pd.DataFrame,
    matches: pd.DataFrame,
    as_of: pd.Timestamp,
    period_days: int = DASHBOARD_DAYS,
) -> pd.DataFrame:
    """The dashboard table for the ``period_days`` days ending on ``as_of`` (see module docstring);
    ``series``: the series of merged days, those of the period among them (the bins of a merged
    day lie on that day)."""
    first = as_of.normalize() - pd.Timedelta(days=period_days - 1)
    frames = [_kpis(summary), _window_lifts(summary)]
    if len(series):
        bins = series["bin_start"]
        hourly = hourly_series(series[(bins >= first) & (bins < as_of.normalize() + pd.Timedelta(days=1))])
        frames.append(hourly.assign(record_type="orders", metric="orders", data_source=source_labels(hourly["real_share"])))
    frames.append(_match_windows(match_windows, matches, first, as_of + pd.Timedelta(days=1)))
    table = pd.concat([f for f in frames if len(f)], ignore_index=True)
    table["as_of"] = f"{as_of:%Y-%m-%d}"
    for name in DASHBOARD_COLUMNS:
        if name not in table.columns:
            table[name] = None
    table = table[list(DASHBOARD_COLUMNS)]
    return table.astype({k: (object if v == "str" else v) for k, v in DASHBOARD_COLUMNS.items()})


def _kpis(summary: dict) -> pd.DataFrame:
    quality = summary.get("data_quality", {})
    tests = summary.get("tests", {})
    real_share = quality.get("real_share")
    rows = [
        ("orders", quality.get("orders")),
        ("matches", quality.get("matches")),
        ("matches_used", quality.get("matches_used")),
        ("real_share", real_share),
        ("tests", tests.get("run")),
        ("significant_tests", tests.get("significant")),
    ]
    table = pd.DataFrame(rows, columns=["metric", "value"]).assign(
        record_type="kpi", region=ALL_REGIONS, real_share=real_share
    )
    table["value"] = pd.to_numeric(table["value"], errors="coerce")
    table["data_source"] = source_labels(table["real_share"])
    return table


def _window_lifts(summary: dict) -> pd.DataFrame:
    lifts = pd.DataFrame(summary.get("lift_by_window", []))
    if lifts.empty:
        return lifts
    return pd.DataFrame(
        {
            "record_type": "window_lift",
            "region": ALL_REGIONS,
            "metric": "lift",
            "window": lifts["window"],
            "value": pd.to_numeric(lifts["lift"], errors="coerce"),
            "lift": pd.to_numeric(lifts["lift"], errors="coerce"),
            "ci_low": pd.to_numeric(lifts["ci_low"], errors="coerce"),
            "ci_high": pd.to_numeric(lifts["ci_high"], errors="coerce"),
            "significant": lifts["significant"].astype("boolean"),
            "real_share": pd.to_numeric(lifts["real_share"], errors="coerce"),
            "data_source": source_labels(pd.to_numeric(lifts["real_share"], errors="coerce")),
        }
    )


def _match_windows(match_windows: pd.DataFrame, matches: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    if match_windows.empty:
        return match_windows
    info = matches.drop_duplicates("match_id", keep="last")[["match_id", "competition", "home_team", "away_team", "kickoff_at"]]
    rows = match_windows.drop(columns=[c for c in info.columns if c != "match_id"], errors="ignore").merge(info, on="match_id", how="left")
    rows = rows[(rows["kickoff_at"] >= start) & (rows["kickoff_at"] < end)]
    return pd.DataFrame(
        {
            "record_type": "match_window",
            "time": rows["start"],
            "window_end": rows["end"],
            "kickoff_at": rows["kickoff_at"],
            "region": rows["region"],
            "metric": "lift",
            "match_id": rows["match_id"].astype(str),
            "competition": rows["competition"],
            "home_team": rows["home_team"],
            "away_team": rows["away_team"],
            "window": rows["window"],
            "observed": rows["observed"].astype(float),
            "expected": rows["expected"].astype(float),
            "lift": rows["lift"].astype(float),
            "value": rows["lift"].astype(float),
            **{c: _column(rows, c, "boolean") for c in ("anomaly", "used")},
            **{c: _column(rows, c, "float64") for c in ("anomaly_p", "anomaly_p_adjusted")},
            "unused_reason": _column(rows, "unused_reason", object),
            "real_share": rows["real_share"].astype(float),
            "data_source": source_labels(rows["real_share"]),
        }
    )


def _column(rows: pd.DataFrame, name: str, dtype) -> pd.Series:
    """The engine's column ``name``, or missing values where the engine did not set it."""
    if name in rows.columns:
        return rows[name].astype(dtype)
    return pd.Series(pd.NA if dtype == "boolean" else None, index=rows.index, dtype=dtype)
