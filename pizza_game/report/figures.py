"""The report's charts, built with Plotly from the dashboard table, and the facets its filters use.

Every point a filter can hide carries, as its Plotly ``customdata``, the number of its row in the
dashboard table. The facets give each row what the filters look at: its time (the kick-off for a
match window) and, as integer codes, its region, data source, competition and teams, with -1 (or
no time) where a row has no such attribute (the page's script says how each filter treats that).
Text from the data is HTML-escaped here, because Plotly renders a subset of HTML in labels.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from html import escape

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from pizza_game.analysis.merge import ALL_REGIONS
from pizza_game.analysis.windows import WINDOWS, WindowConfig
from pizza_game.model import HOUR_NS, to_ns

SHADED_WINDOWS = {"pre": "#f2b134", "during": "#d1495b", "post": "#6c8ead"}
# The values of the dashboard's data_source column (quicksight.dashboard.data_source), in filter order.
DATA_SOURCES = ("real", "mixed", "mock")
MS = 1_000_000
HOUR_MS = HOUR_NS // MS
SIGNIFICANT_COLOR, NOT_SIGNIFICANT_COLOR = "#d1495b", "#a9b4c2"
TYPED_ARRAYS = {"float64": "f8", "int8": "i1", "int16": "i2", "int32": "i4"}
# POINT_TEXT: the text and categories of a trace's points (one per match window of the horizon)
# are given to Plotly as object arrays, not lists: it checks a list value by value, an array at
# once, and writes both as the same JSON list.


@dataclass(frozen=True)
class Facets:
    """Per dashboard row: ``t`` (ms since the epoch, NaN for none) and codes into ``names``."""

    t: np.ndarray
    codes: dict[str, np.ndarray]
    names: dict[str, list[str]]

    def to_json(self) -> dict:
        return {name: typed_array(values) for name, values in {"t": self.t, **self.codes}.items()}


def typed_array(values: np.ndarray) -> dict[str, str]:
    """A numeric array as Plotly.js reads typed arrays: base64 of its little-endian bytes."""
    little = values.astype(values.dtype.newbyteorder("<"), copy=False)
    return {
        "dtype": TYPED_ARRAYS[values.dtype.name],
        "bdata": base64.b64encode(little.tobytes()).decode("ascii"),
    }


def kickoff_ms(rows: pd.DataFrame, windows: WindowConfig) -> np.ndarray:
    """Kick-off of each match-window row: its start minus where that window starts."""
    offsets = rows["window"].map({name: start for name, (start, _) in windows.offsets_ns().items()})
    if offsets.isna().any():
        unknown = sorted(set(rows.loc[offsets.isna(), "window"].astype(str)))
        raise ValueError(
            f"dashboard match_window rows have unknown windows {unknown}; expected {WINDOWS}"
        )
    return (to_ns(rows["time"]) - offsets.to_numpy(dtype="int64")) // MS


def _codes(values: pd.Series, names: list[str]) -> np.ndarray:
    """-1 for a missing value; the smallest integer type for the categories (int8 for up to 127)."""
    return pd.Categorical(values, categories=names).codes


def build_facets(dashboard: pd.DataFrame, windows: WindowConfig) -> Facets:
    kind = dashboard["record_type"].to_numpy()
    t = np.full(len(dashboard), np.nan)
    t[kind == "orders"] = to_ns(dashboard.loc[kind == "orders", "time"]) // MS
    t[kind == "match_window"] = kickoff_ms(dashboard[kind == "match_window"], windows)
    regional = dashboard["region"].where(~np.isnan(t))
    regions = sorted(set(regional.dropna()) - {ALL_REGIONS})
    names = {
        "region": ([ALL_REGIONS] if (regional == ALL_REGIONS).any() else []) + regions,
        "source": [s for s in DATA_SOURCES if (dashboard["data_source"] == s).any()],
        "competition": sorted(set(dashboard["competition"].dropna())),
        "team": sorted(set(dashboard["home_team"].dropna()) | set(dashboard["away_team"].dropna())),
    }
    codes = {
        "region": _codes(regional, names["region"]),
        "source": _codes(dashboard["data_source"], names["source"]),
        "competition": _codes(dashboard["competition"], names["competition"]),
        "home": _codes(dashboard["home_team"], names["team"]),
        "away": _codes(dashboard["away_team"], names["team"]),
    }
    return Facets(t=t, codes=codes, names=names)


def match_label(rows: pd.DataFrame) -> np.ndarray:
    """The label "Home v Away (Competition)" of each row, escaped for Plotly's HTML-like text
    (an object array: see ``POINT_TEXT``)."""
    labels = [
        escape(f"{home} v {away} ({competition})")
        for home, away, competition in zip(
            rows["home_team"], rows["away_team"], rows["competition"], strict=True
        )
    ]
    return np.asarray(labels, dtype=object)


def orders_figure(dashboard: pd.DataFrame, facets: Facets, windows: WindowConfig) -> go.Figure:
    """Orders per hour, the match windows shaded behind them and the kick-offs marked on top."""
    figure = go.Figure(_orders_line(dashboard, facets))
    rows = dashboard[dashboard["record_type"] == "match_window"]
    rows = rows.assign(kickoff=facets.t[rows.index], label=match_label(rows))
    _add_windows(figure, rows, windows)
    _add_kickoffs(figure, rows)
    figure.update_layout(
        barmode="overlay",
        hovermode="closest",
        margin={"t": 10, "r": 10, "b": 40, "l": 60},
        height=420,
        xaxis={"type": "date", "title": "time (UTC)"},
        yaxis={"title": "orders per hour", "rangemode": "tozero"},
        yaxis2={"overlaying": "y", "range": [0, 1.04], "visible": False, "fixedrange": True},
        legend={"orientation": "h", "y": 1.08},
        template="plotly_white",
    )
    return figure


def _orders_line(dashboard: pd.DataFrame, facets: Facets) -> go.Scatter:
    """Orders per hour, region after region, broken where hours are missing."""
    orders = dashboard[dashboard["record_type"] == "orders"]
    orders = orders.assign(t=facets.t[orders.index]).sort_values(["region", "t"])
    # A gap point (no y) before a region's hour that does not follow the previous one: missing
    # hours are not bridged by the line.
    gap = np.flatnonzero(
        ((orders["region"] == orders["region"].shift()) & (orders["t"].diff() > HOUR_MS)).to_numpy()
    )
    t, ids = orders["t"].to_numpy(), orders.index.to_numpy(dtype="int32")
    return go.Scatter(
        x=np.insert(t, gap, t[gap]),
        y=np.insert(orders["value"].to_numpy(dtype="float64"), gap, np.nan),
        customdata=np.insert(ids, gap, ids[gap]),
        meta={"gaps": True},
        name="orders per hour",
        mode="lines",
        line={"color": "#30343f", "width": 1.5},
        hovertemplate="%{x|%a %d %b %H:%M} UTC<br>%{y:,} orders<extra></extra>",
    )


def _add_windows(figure: go.Figure, rows: pd.DataFrame, windows: WindowConfig) -> None:
    """The shaded match windows, one bar per match and window, behind the orders line."""
    offsets = windows.offsets_ns()
    for name, color in SHADED_WINDOWS.items():
        shaded = rows[rows["window"] == name]
        start = shaded["kickoff"] + offsets[name][0] // MS
        end = shaded["kickoff"] + offsets[name][1] // MS
        figure.add_bar(
            x=((start + end) / 2).to_numpy(),
            y=np.ones(len(shaded)),
            width=(end - start).to_numpy(),
            yaxis="y2",
            customdata=shaded.index.to_numpy(dtype="int32"),
            text=shaded["label"].to_numpy(dtype=object),  # POINT_TEXT
            name=f"{name} window",
            marker={"color": color, "opacity": 0.22, "line": {"width": 0}},
            textposition="none",
            hovertemplate=f"{name}: %{{text}}<extra></extra>",
        )


def _add_kickoffs(figure: go.Figure, rows: pd.DataFrame) -> None:
    """A marker on top at each match's kick-off."""
    kicks = rows[rows["window"] == "during"]
    figure.add_scatter(
        x=kicks["kickoff"].to_numpy(),
        y=np.ones(len(kicks)),
        yaxis="y2",
        mode="markers",
        name="kick-off",
        customdata=kicks.index.to_numpy(dtype="int32"),
        text=kicks["label"].to_numpy(dtype=object),  # POINT_TEXT
        marker={"symbol": "triangle-down", "size": 9, "color": "#d1495b"},
        hovertemplate="kick-off %{x|%a %d %b %H:%M} UTC<br>%{text}<extra></extra>",
    )


def lift_figure(dashboard: pd.DataFrame) -> go.Figure:
    """The tested lift per window with its 95% CI, and each match's own lift beside it."""
    lifts = dashboard[dashboard["record_type"] == "window_lift"]
    figure = go.Figure(_tested_lifts(lifts))
    matches = dashboard[dashboard["record_type"] == "match_window"]
    figure.add_trace(_match_lifts(matches))
    present = [w for w in WINDOWS if w in set(lifts["window"]) | set(matches["window"])]
    figure.update_layout(
        boxmode="group",
        barmode="group",
        margin={"t": 10, "r": 10, "b": 40, "l": 60},
        height=380,
        xaxis={"categoryorder": "array", "categoryarray": present, "title": "match window"},
        yaxis={
            "tickformat": "+.0%",
            "title": "lift against the no-match baseline",
            "zeroline": True,
        },
        legend={"orientation": "h", "y": 1.1},
        template="plotly_white",
    )
    return figure


def _tested_lifts(lifts: pd.DataFrame) -> go.Bar:
    """The tested lift of each window with its 95% CI, coloured (and starred) when significant."""
    significant = lifts["significant"].fillna(False).astype(bool)
    return go.Bar(
        x=lifts["window"].tolist(),
        y=_floats(lifts["lift"]),
        customdata=lifts.index.to_numpy(dtype="int32"),
        error_y={
            "type": "data",
            "array": _floats(lifts["ci_high"] - lifts["lift"]),
            "arrayminus": _floats(lifts["lift"] - lifts["ci_low"]),
            "color": "#30343f",
        },
        marker={"color": [SIGNIFICANT_COLOR if s else NOT_SIGNIFICANT_COLOR for s in significant]},
        text=[
            f"{v:+.1%}{' *' if s else ''}" if pd.notna(v) else ""
            for v, s in zip(lifts["lift"], significant, strict=True)
        ],
        textposition="outside",
        name="lift with 95% CI (all matches, tested)",
        offsetgroup="tested",
        hovertemplate="%{x}: %{y:+.1%}<extra>lift with 95% CI</extra>",
    )


def _match_lifts(matches: pd.DataFrame) -> go.Box:
    """Each match's own lift per window, as points over a box."""
    return go.Box(
        x=matches["window"].to_numpy(dtype=object),  # POINT_TEXT
        y=_floats(matches["lift"]),
        customdata=matches.index.to_numpy(dtype="int32"),
        text=match_label(matches),
        boxpoints="all",
        jitter=0.4,
        pointpos=0,
        offsetgroup="matches",
        name="each match's lift",
        marker={"size": 4, "color": "#6c8ead", "opacity": 0.7},
        line={"width": 1, "color": "#6c8ead"},
        fillcolor="rgba(0,0,0,0)",
        hovertemplate="%{text}<br>%{x}: %{y:+.1%}<extra></extra>",
    )


def quality_figure(summary: dict) -> go.Figure:
    """Where the orders came from (real or mock) and why matches were left out of the analysis."""
    quality = summary.get("data_quality") or {}
    orders, real = quality.get("orders"), quality.get("real_orders")
    excluded = quality.get("matches_excluded") or {}
    figure = make_subplots(
        rows=1, cols=2, subplot_titles=("orders by source", "matches left out, by reason")
    )
    if orders is not None and real is not None:
        figure.add_bar(
            x=["real", "mock"],
            y=[real, orders - real],
            marker={"color": ["#2e7d32", "#a9b4c2"]},
            name="orders",
            row=1,
            col=1,
            hovertemplate="%{x}: %{y:,} orders<extra></extra>",
        )
    figure.add_bar(
        x=list(excluded.values()),
        y=[escape(str(reason)) for reason in excluded],
        orientation="h",
        marker={"color": "#f2b134"},
        name="matches left out",
        row=1,
        col=2,
        hovertemplate="%{y}: %{x} matches<extra></extra>",
    )
    if not excluded:
        figure.add_annotation(
            text="no match left out",
            showarrow=False,
            row=1,
            col=2,
            x=0.5,
            y=0.5,
            xref="x domain",
            yref="y domain",
        )
    figure.update_layout(
        showlegend=False,
        height=300,
        margin={"t": 40, "r": 10, "b": 30, "l": 10},
        template="plotly_white",
    )
    figure.update_yaxes(automargin=True, row=1, col=2)
    return figure


def _floats(values: pd.Series) -> np.ndarray:
    return values.to_numpy(dtype="float64", na_value=np.nan)
