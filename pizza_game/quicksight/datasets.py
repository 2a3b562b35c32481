"""The QuickSight datasets: one per grain, each row exactly once, in types QuickSight reads.

The dashboard table (``quicksight.dashboard``) mixes four grains in shared columns; QuickSight
gets them apart, each with its own schema and manifest:

- ``orders_hourly``: orders per hour and region (the regions add up to the national total, so
  the national rows are left out), one CSV per UTC day. Key: hour, region.
- ``match_windows``: every match window of the engine's per-match table whose match kicked off
  in the dashboard period, per region (``ALL`` is the national window), with the engine's anomaly
  flag and whether the window's lift test used it and why not. Key: match_id, window, region.
- ``lift_by_window``: the national lift of each window kind with its 95% CI. Key: as_of, window.
- ``relationships``: the tested relationships in words (window lifts and match features). Key:
  as_of, kind, window, region, feature.
- ``kpis``: one row of headline numbers per analysis. Key: as_of.

Types: ``DATETIME`` columns are written ``yyyy-MM-dd'T'HH:mm:ss'Z'`` (UTC), ``DATE`` columns
``yyyy-MM-dd`` (both QuickSight date formats, cast to DATETIME by the dataset); ``INTEGER`` and
``DECIMAL`` as plain numbers; ``BOOLEAN`` as 1/0 (QuickSight has no boolean field type: an
INTEGER whose sum counts the true rows). docs/quicksight.md lists every column.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pizza_game.analysis.merge import ALL_REGIONS
from pizza_game.model import source_labels
from pizza_game.storage.csv_text import to_csv

DATETIME_FORMAT = "yyyy-MM-dd'T'HH:mm:ss'Z'"
DATE_FORMAT = "yyyy-MM-dd"
# The same formats for strftime.
STRFTIME = {"DATETIME": "%Y-%m-%dT%H:%M:%SZ", "DATE": "%Y-%m-%d"}
QUICKSIGHT_FORMAT = {"DATETIME": DATETIME_FORMAT, "DATE": DATE_FORMAT}
# Our column kinds and the QuickSight type each becomes once cast.
QUICKSIGHT_TYPE = {
    "STRING": "STRING",
    "INTEGER": "INTEGER",
    "DECIMAL": "DECIMAL",
    "BOOLEAN": "INTEGER",
    "DATETIME": "DATETIME",
    "DATE": "DATETIME",
}


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    columns: dict[str, str]
    key: tuple[str, ...]
    # "daily": one file per UTC day of ``day_column``; "latest": one file per analysis.
    slicing: str
    day_column: str | None = None


DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset(
            "orders_hourly",
            "Orders per hour and region",
            {
                "hour": "DATETIME",
                "region": "STRING",
                "orders": "INTEGER",
                "items": "INTEGER",
                "revenue": "DECIMAL",
                "in_window": "STRING",
                "in_match_window": "BOOLEAN",
                "matches_live": "INTEGER",
                "real_share": "DECIMAL",
                "data_source": "STRING",
            },
            ("hour", "region"),
            "daily",
            "hour",
        ),
        Dataset(
            "match_windows",
            "Match windows",
            {
                "match_id": "STRING",
                "competition": "STRING",
                "home_team": "STRING",
                "away_team": "STRING",
                "teams": "STRING",
                "kickoff_at": "DATETIME",
                "window": "STRING",
                "region": "STRING",
                "window_start": "DATETIME",
                "window_end": "DATETIME",
                "observed": "DECIMAL",
                "expected": "DECIMAL",
                "lift": "DECIMAL",
                "anomaly": "BOOLEAN",
                "anomaly_p": "DECIMAL",
                "anomaly_p_adjusted": "DECIMAL",
                "used": "BOOLEAN",
                "unused_reason": "STRING",
                "real_share": "DECIMAL",
                "data_source": "STRING",
                "as_of": "DATE",
            },
            ("match_id", "window", "region"),
            "latest",
        ),
        Dataset(
            "lift_by_window",
            "Lift per match window",
            {
                "as_of": "DATE",
                "window": "STRING",
                "meaning": "STRING",
                "lift": "DECIMAL",
                "ci_low": "DECIMAL",
                "ci_high": "DECIMAL",
                "p_adjusted": "DECIMAL",
                "significant": "BOOLEAN",
                "significance": "STRING",
                "slots": "INTEGER",
                "real_share": "DECIMAL",
                "data_source": "STRING",
            },
            ("as_of", "window"),
            "latest",
        ),
        Dataset(
            "relationships",
            "Relationships in words",
            {
                "as_of": "DATE",
                "kind": "STRING",
                "window": "STRING",
                "region": "STRING",
                "feature": "STRING",
                "effect": "DECIMAL",
                "ci_low": "DECIMAL",
                "ci_high": "DECIMAL",
                "n": "INTEGER",
                "p_adjusted": "DECIMAL",
                "significant": "BOOLEAN",
                "sentence": "STRING",
            },
            ("as_of", "kind", "window", "region", "feature"),
            "latest",
        ),
        Dataset(
            "kpis",
            "Headline numbers",
            {
                "as_of": "DATE",
                "period_start": "DATETIME",
                "period_end": "DATETIME",
                "orders": "INTEGER",
                "matches": "INTEGER",
                "matches_used": "INTEGER",
                "real_share": "DECIMAL",
                "tests": "INTEGER",
                "significant_tests": "INTEGER",
                "headline_window": "STRING",
                "headline_lift": "DECIMAL",
                "headline_ci_low": "DECIMAL",
                "headline_ci_high": "DECIMAL",
                "headline_significant": "BOOLEAN",
                "headline": "STRING",
            },
            ("as_of",),
            "latest",
        ),
    )
}
PRIMARY = "orders_hourly"


def build_datasets(dashboard: pd.DataFrame, summary: dict, as_of: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """Every dataset's rows from the dashboard table and the analysis summary of ``as_of``."""
    day = as_of.normalize()
    tables = {
        "orders_hourly": _orders_hourly(dashboard),
        "match_windows": _match_windows(dashboard, day),
        "lift_by_window": _lift_by_window(summary, day),
        "relationships": _relationships(summary, day),
        "kpis": _kpis(summary, day),
    }
    return {name: conform(DATASETS[name], table) for name, table in tables.items()}


def conform(dataset: Dataset, table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with exactly the dataset's columns in order (extra columns are left out,
    missing ones empty), typed for encoding."""
    out = pd.DataFrame(index=table.index)
    for name, kind in dataset.columns.items():
        values = table[name] if name in table.columns else pd.Series(None, index=table.index, dtype=object)
        if kind in ("DATETIME", "DATE"):
            out[name] = pd.to_datetime(values, utc=True)
        elif kind in ("INTEGER", "BOOLEAN"):
            numbers = values.astype("boolean").astype("Int64") if kind == "BOOLEAN" else values
            out[name] = pd.to_numeric(numbers, errors="coerce").round().astype("Int64")
        elif kind == "DECIMAL":
            out[name] = pd.to_numeric(values, errors="coerce").astype("float64")
        else:
            out[name] = values.astype(object).where(values.notna(), None)
    return out.reset_index(drop=True)


def encode(dataset: Dataset, table: pd.DataFrame) -> bytes:
    """The CSV QuickSight imports: dates in the dataset's formats, numbers plain, a header row."""
    frame = table.copy(deep=False)  # copy-on-write: setting a column never changes ``table``
    for name, kind in dataset.columns.items():
        if kind in STRFTIME:
            frame[name] = _formatted(frame[name], kind)
    return to_csv(frame)


def _formatted(values: pd.Series, kind: str) -> np.ndarray:
    """A DATETIME or DATE column's cells as ``STRFTIME`` formats them (the wall time of the
    column's zone: UTC after ``conform``), None where missing. numpy writes them (seconds or days,
    then the "Z" of a DATETIME), each distinct instant once (the hourly dataset's 30 days of
    rows have 720 hours): ``strftime`` per value was most of encoding the hourly dataset."""
    if values.dt.tz is not None:
        values = values.dt.tz_localize(None)
    codes, distinct = pd.factorize(values.to_numpy().astype("datetime64[ns]").view(np.int64))
    nanos = distinct.view("datetime64[ns]")
    if kind == "DATETIME":
        text = np.datetime_as_string(nanos.astype("datetime64[s]"), unit="s").astype(object) + "Z"
    else:
        text = np.datetime_as_string(nanos.astype("datetime64[D]"), unit="D").astype(object)
    text[np.isnat(nanos)] = None
    return text[codes]


@dataclass(frozen=True)
class DailyRows:
    """A daily dataset's rows that have a day, sorted by day then by the dataset's key (index
    0..n-1), and the rows of each UTC day among them."""

    rows: pd.DataFrame
    days: dict[pd.Timestamp, slice]

    def slices(self) -> dict[pd.Timestamp, pd.DataFrame]:
        """Each day's own rows (index 0..n-1)."""
        return {day: self.rows.iloc[rows].reset_index(drop=True) for day, rows in self.days.items()}


def daily_rows(dataset: Dataset, table: pd.DataFrame) -> DailyRows:
    """The rows of each UTC day (of ``dataset.day_column``; rows without one are left out), sorted
    by the dataset's key.

    One sort by day and key, cut at the days: the rows and order of sorting each day's rows (a
    sort by several columns is stable), without a sort per day of the dashboard's month."""
    rows = table.reset_index(drop=True)
    days = rows[dataset.day_column].dt.floor("D")
    keys = pd.concat([days, *(rows[name] for name in dataset.key)], axis=1, keys=range(1 + len(dataset.key)))
    order = keys[days.notna()].sort_values(list(keys.columns)).index
    rows, days = rows.iloc[order].reset_index(drop=True), days.iloc[order]
    day_ns = days.to_numpy(dtype="datetime64[ns]") if days.dt.tz is None else days.dt.tz_convert(None).to_numpy()
    cuts = [0, *(np.flatnonzero(day_ns[1:] != day_ns[:-1]) + 1).tolist(), len(day_ns)]
    return DailyRows(rows, {days.iloc[start]: slice(start, end) for start, end in itertools.pairwise(cuts) if end > start})


def _orders_hourly(dashboard: pd.DataFrame) -> pd.DataFrame:
    rows = dashboard[(dashboard["record_type"] == "orders") & (dashboard["region"] != ALL_REGIONS)]
    in_window = rows["in_window"].fillna("")
    return pd.DataFrame(
        {
            "hour": rows["time"],
            "region": rows["region"],
            "orders": rows["value"],
            "items": rows["items"],
            "revenue": rows["revenue"],
            "in_window": in_window,
            "in_match_window": in_window != "",
            "matches_live": rows["matches_live"],
            "real_share": rows["real_share"],
            "data_source": rows["data_source"],
        }
    )


def _match_windows(dashboard: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    rows = dashboard[dashboard["record_type"] == "match_window"]
    return pd.DataFrame(
        {
            "match_id": rows["match_id"],
            "competition": rows["competition"],
            "home_team": rows["home_team"],
            "away_team": rows["away_team"],
            "teams": rows["home_team"].fillna("?") + " v " + rows["away_team"].fillna("?"),
            "kickoff_at": rows["kickoff_at"],
            "window": rows["window"],
            "region": rows["region"],
            "window_start": rows["time"],
            "window_end": rows["window_end"],
            "observed": rows["observed"],
            "expected": rows["expected"],
            "lift": rows["lift"],
            **{c: rows[c] for c in ("anomaly", "anomaly_p", "anomaly_p_adjusted", "used", "unused_reason")},
            "real_share": rows["real_share"],
            "data_source": rows["data_source"],
            "as_of": day,
        }
    )


def _lift_sentence(w: dict) -> str:
    if w.get("lift") is None or w.get("ci_low") is None or w.get("ci_high") is None:
        return f"Orders {w.get('meaning', w['window'])}: not enough information to measure a lift."
    verdict = "significant" if w.get("significant") else "not significant"
    return (
        f"Orders {w['meaning']}: {w['lift']:+.1%} against the no-match baseline "
        f"(95% CI {w['ci_low']:+.1%} to {w['ci_high']:+.1%}, {w['slots']} match slots; {verdict})."
    )


def _lift_by_window(summary: dict, day: pd.Timestamp) -> pd.DataFrame:
    lifts = summary.get("lift_by_window", [])
    return pd.DataFrame(
        [
            {
                **{k: w.get(k) for k in ("window", "meaning", "lift", "ci_low", "ci_high", "p_adjusted", "slots", "real_share")},
                "as_of": day,
                "significant": bool(w.get("significant")),
                "significance": "significant" if w.get("significant") else "not significant",
                "data_source": source_labels(pd.Series([w.get("real_share")]))[0],
            }
            for w in lifts
        ],
        columns=list(DATASETS["lift_by_window"].columns),
    )


def _relationships(summary: dict, day: pd.Timestamp) -> pd.DataFrame:
    lifts = [
        {
            "kind": "window lift",
            "window": w["window"],
            "region": ALL_REGIONS,
            "feature": "match",
            "effect": w.get("lift"),
            "ci_low": w.get("ci_low"),
            "ci_high": w.get("ci_high"),
            "n": w.get("slots"),
            "p_adjusted": w.get("p_adjusted"),
            "significant": bool(w.get("significant")),
            "sentence": _lift_sentence(w),
        }
        for w in summary.get("lift_by_window", [])
    ]
    features = [
        {
            "kind": "match feature",
            "window": r["window"],
            "region": r["region"],
            "feature": r["feature"],
            "effect": r.get("r"),
            "ci_low": r.get("ci_low"),
            "ci_high": r.get("ci_high"),
            "n": r.get("n"),
            "p_adjusted": r.get("p_adjusted"),
            "significant": bool(r.get("significant")),
            "sentence": r.get("sentence"),
        }
        for r in summary.get("strongest_relationships", [])
    ]
    table = pd.DataFrame(lifts + features, columns=[c for c in DATASETS["relationships"].columns if c != "as_of"])
    return table.assign(as_of=day)


def _kpis(summary: dict, day: pd.Timestamp) -> pd.DataFrame:
    quality = summary.get("data_quality", {})
    tests = summary.get("tests", {})
    period = summary.get("period", {})
    measured = [w for w in summary.get("lift_by_window", []) if w.get("lift") is not None]
    significant = [w for w in measured if w.get("significant")]
    head: dict[str, Any] = max(significant or measured, key=lambda w: abs(w["lift"]), default={})
    row = {
        "as_of": day,
        "period_start": period.get("start"),
        "period_end": period.get("end"),
        "orders": quality.get("orders"),
        "matches": quality.get("matches"),
        "matches_used": quality.get("matches_used"),
        "real_share": quality.get("real_share"),
        "tests": tests.get("run"),
        "significant_tests": tests.get("significant"),
        "headline_window": head.get("window"),
        "headline_lift": head.get("lift"),
        "headline_ci_low": head.get("ci_low"),
        "headline_ci_high": head.get("ci_high"),
        "headline_significant": bool(head.get("significant")),
        "headline": summary.get("headline"),
    }
    return pd.DataFrame([row])
