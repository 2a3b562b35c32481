"""The report page as text: self-contained, escaped, and built from the dashboard table's rows."""

from __future__ import annotations

import hashlib
import json
import re
from html import escape

import numpy as np
import pandas as pd
import pytest

from pizza_game.analysis.windows import WindowConfig
from pizza_game.quicksight.dashboard import DASHBOARD_COLUMNS
from pizza_game.report.figures import build_facets, kickoff_ms, orders_figure
from pizza_game.report.html import plotly_bundle, render_report, script_json
from pizza_game.storage.codecs import records_table, to_json
from pizza_game_tests.report.synthetic import HOSTILE_TEAM

DATA_ISLAND = re.compile(
    r'<script type="application/json" id="report-data">(.*?)</script>', re.DOTALL
)


@pytest.fixture(scope="module")
def page(week) -> str:
    return render_report(week.dashboard, week.summary)


def test_the_page_loads_nothing_but_the_plotly_bundle_beside_it(page):
    loads = re.findall(r"<(script|img|iframe|link)\b[^>]*\b(?:src|href)=\"([^\"]*)\"", page, re.IGNORECASE)
    assert loads == [("script", plotly_bundle().name)]
    assert "@import" not in page and "url(" not in page.split("<script")[0]
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page)
    assert csp is not None
    policy = csp.group(1)
    assert "default-src 'none'" in policy and "connect-src 'none'" in policy
    # Inline, only the page's own script runs (by its hash); from files, only the page's origin.
    [scripts] = [d for d in policy.split("; ") if d.startswith("script-src ")]
    assert re.fullmatch(r"script-src 'self' 'sha256-[A-Za-z0-9+/=]+'", scripts)


def test_the_bundle_is_named_for_its_bytes():
    bundle = plotly_bundle()
    digest = hashlib.sha256(bundle.text.encode("utf-8")).hexdigest()
    assert re.fullmatch(rf"plotly-\d+\.\d+\.\d+-{digest[:12]}\.min\.js", bundle.name)
    assert "Plotly" in bundle.text[:2000] and len(bundle.text) > 1_000_000


def test_hostile_team_names_stay_text(page):
    assert HOSTILE_TEAM not in page
    assert escape(HOSTILE_TEAM) in page  # the team filter's option and the match table's cells
    # Only the page's own three script elements end: no value closes one early.
    assert page.lower().count("</script") == 3
    island = DATA_ISLAND.search(page)
    assert island is not None and "<" not in island.group(1)


def test_script_json_round_trips_without_markup_characters():
    value = {"name": "</script><b>Tom & Jerry</b>", "n": [1, None, 2.5]}
    text = script_json(value)
    assert not set("<>&") & set(text)
    assert json.loads(text) == value


def test_the_report_from_stored_records_equals_the_report_from_the_table(week, page):
    """The asset renders what the IO manager loads: the table's JSON records, the summary's JSON."""
    table = records_table(json.loads(to_json(week.dashboard)), DASHBOARD_COLUMNS)
    assert render_report(table, json.loads(to_json(week.summary))) == page


def test_match_rows_are_filtered_by_kick_off_and_teams(week):
    dashboard = week.dashboard
    facets = build_facets(dashboard, WindowConfig())
    rows = dashboard[dashboard["record_type"] == "match_window"]
    kickoffs = rows[rows["window"] == "during"].set_index(["match_id", "region"])["time"]
    teams = facets.names["team"]
    for i, row in rows.iterrows():
        assert (
            pd.Timestamp(facets.t[i], unit="ms", tz="UTC")
            == kickoffs[(row["match_id"], row["region"])]
        )
        assert (teams[facets.codes["home"][i]], teams[facets.codes["away"][i]]) == (
            row["home_team"],
            row["away_team"],
        )
    orders = dashboard[dashboard["record_type"] == "orders"]
    assert all(
        facets.codes["home"][i] == -1 and facets.codes["competition"][i] == -1 for i in orders.index
    )
    assert [pd.Timestamp(facets.t[i], unit="ms", tz="UTC") for i in orders.index] == orders[
        "time"
    ].tolist()
    assert np.isnan(facets.t[dashboard["record_type"].isin(["kpi", "window_lift"])]).all()


def test_a_missing_hour_breaks_the_order_line_instead_of_bridging_it(week):
    dashboard = week.dashboard
    national = dashboard[(dashboard["record_type"] == "orders") & (dashboard["region"] == "ALL")]
    missing = national["time"].iloc[30]
    table = dashboard.drop(index=national.index[30]).reset_index(drop=True)
    line = orders_figure(table, build_facets(table, WindowConfig()), WindowConfig()).data[0]
    gaps = line.x[np.isnan(line.y)]
    assert pd.Timestamp(gaps[0], unit="ms", tz="UTC") == missing + pd.Timedelta(hours=1)
    assert len(line.x) == len(table[table["record_type"] == "orders"]) + len(gaps)


def test_a_table_without_the_dashboard_columns_is_refused(week):
    with pytest.raises(ValueError, match=r"lacks columns \['data_source'\]"):
        render_report(week.dashboard.drop(columns="data_source"), week.summary)


def test_an_unknown_window_is_named(week):
    rows = (
        week.dashboard[week.dashboard["record_type"] == "match_window"]
        .head(2)
        .assign(window="halftime")
    )
    with pytest.raises(ValueError, match=r"unknown windows \['halftime'\]"):
        kickoff_ms(rows, WindowConfig())
