"""The report in a real browser, opened from its stored files: it renders offline, without errors,
loading only the Plotly bundle beside the reports, and its filters work."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page

from pizza_game.analysis.windows import DEFAULT_WINDOWS
from pizza_game.report.pages import plotly_bundle_object, render_pages
from pizza_game.storage import layout
from pizza_game_tests.report.browser import chromium
from pizza_game_tests.report.synthetic import HOSTILE_TEAM, Synthetic

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# Per chart, per trace name: the number of points drawn (a null y is a gap, not a point).
POINTS = """() => Object.fromEntries(
    Array.from(document.querySelectorAll('.js-plotly-plot')).map((plot) => [
        plot.id,
        Object.fromEntries(plot.data.map((t) => [t.name, t.y.filter((y) => y !== null).length])),
    ]))"""
TABLE_ROWS = "() => document.querySelectorAll('tr[data-row]:not([hidden])').length"


@dataclass
class Loaded:
    page: Page
    url: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def drawn(self) -> dict[str, dict[str, int]]:
        return self.page.evaluate(POINTS)

    def redraw(self, action: Callable[[], object]) -> None:
        """Does ``action`` and waits until the page has redrawn its charts for it."""
        draws = int(self.page.evaluate("document.documentElement.dataset.draws"))
        action()
        # A selector, not wait_for_function: the page's CSP forbids the eval that one needs.
        self.page.wait_for_selector(f"html[data-draws='{draws + 1}']", state="attached")


def stored_report(week: Synthetic, root: Path, *, bundle: bool = True) -> dict[str, Path]:
    """The week's report pages (dated and latest) and, unless not ``bundle``, the Plotly bundle,
    at their keys under ``root`` as dashboard_report stores them."""
    stamp = pd.Timestamp(week.summary["as_of"], tz="UTC")
    targets = (layout.report_key(stamp), layout.REPORT_LATEST_KEY)
    files = render_pages(week.dashboard, week.summary, DEFAULT_WINDOWS, stamp, targets)
    if bundle:
        files.update([plotly_bundle_object()])
    for key, data in files.items():
        (root / key).parent.mkdir(parents=True, exist_ok=True)
        (root / key).write_bytes(data)
    return {key: root / key for key in files}


def rendered(browser: Browser, path: Path) -> Page:
    """A new page at the file ``path``, once its script has finished (drawn or said it cannot)."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(path.as_uri())
    page.wait_for_selector("html[data-rendered]", timeout=60_000)
    return page


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def stored(week: Synthetic, tmp_path_factory) -> dict[str, Path]:
    return stored_report(week, tmp_path_factory.mktemp("store"))


@pytest.fixture(scope="module")
def loaded(stored: dict[str, Path], browser: Browser) -> Iterator[Loaded]:
    [path] = [p for key, p in stored.items() if layout.parse_dated(key)]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    seen = Loaded(page, path.as_uri())

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            seen.errors.append(message.text)

    def on_dialog(dialog: Dialog) -> None:
        seen.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("request", lambda request: seen.requests.append(request.url))
    page.on("console", on_console)
    page.on("pageerror", lambda error: seen.errors.append(str(error)))
    page.on("dialog", on_dialog)
    page.goto(seen.url)
    page.wait_for_selector("html[data-rendered]", timeout=60_000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "report.png", full_page=True)
    yield seen


@pytest.fixture
def report(loaded: Loaded) -> Iterator[Loaded]:
    yield loaded
    loaded.redraw(lambda: loaded.page.click("button[type=reset]"))


def national(week: Synthetic, kind: str) -> pd.DataFrame:
    table = week.dashboard
    return table[(table["record_type"] == kind) & (table["region"] == "ALL")]


def test_the_page_renders_offline_without_errors(report, stored):
    assert report.errors == []
    assert report.dialogs == []  # the hostile team name ran no script
    [bundle] = [path for key, path in stored.items() if key.startswith(layout.REPORT_ASSETS_PREFIX)]
    assert [url for url in report.requests if not url.startswith("data:")] == [report.url, bundle.as_uri()]
    assert report.page.evaluate("document.documentElement.dataset.rendered") == "true"
    assert report.page.evaluate("document.querySelectorAll('img').length") == 0


def test_latest_finds_the_same_bundle_from_its_own_folder(stored, browser):
    page = rendered(browser, stored[layout.REPORT_LATEST_KEY])
    try:
        assert page.evaluate("document.documentElement.dataset.rendered") == "true"
        assert page.evaluate("document.querySelectorAll('.js-plotly-plot').length") == 3
    finally:
        page.close()


def test_a_page_copied_without_the_bundle_names_the_file_it_needs(week, tmp_path, browser):
    pages = stored_report(week, tmp_path, bundle=False)
    page = rendered(browser, pages[layout.REPORT_LATEST_KEY])
    try:
        assert page.evaluate("document.documentElement.dataset.rendered") == "without-plotly"
        message = page.inner_text("#orders-chart")
        assert f"assets/{plotly_bundle_object()[0].rsplit('/', 1)[1]}" in message
        assert page.evaluate("document.querySelectorAll('.missing-bundle').length") == 3
    finally:
        page.close()


def test_every_chart_is_drawn_with_data(report, week):
    drawn = report.drawn()
    assert set(drawn) == {"orders-chart", "lift-chart", "quality-chart"}
    assert all(sum(traces.values()) > 0 for traces in drawn.values())
    matches = national(week, "match_window")
    kickoffs = (matches["window"] == "during").sum()
    assert drawn["orders-chart"]["orders per hour"] == len(national(week, "orders"))
    assert (
        drawn["orders-chart"]["kick-off"] == drawn["orders-chart"]["during window"] == kickoffs > 0
    )
    assert drawn["lift-chart"]["each match's lift"] == len(matches)
    assert report.page.evaluate(TABLE_ROWS) == kickoffs


def test_the_team_filter_keeps_that_teams_matches(report, week):
    matches = national(week, "match_window")
    playing = matches[
        (matches["home_team"] == HOSTILE_TEAM) | (matches["away_team"] == HOSTILE_TEAM)
    ]
    before = report.drawn()
    report.redraw(lambda: report.page.select_option("#f-team", label=HOSTILE_TEAM))
    after = report.drawn()
    games = (playing["window"] == "during").sum()
    assert 0 < games < (matches["window"] == "during").sum()
    assert after["orders-chart"]["kick-off"] == after["orders-chart"]["pre window"] == games
    assert after["lift-chart"]["each match's lift"] == len(playing)
    assert report.page.evaluate(TABLE_ROWS) == games
    assert after["orders-chart"]["orders per hour"] == before["orders-chart"]["orders per hour"]


def test_the_date_range_narrows_the_series_and_the_matches(report, week):
    day = pd.Timestamp("2024-09-15", tz="UTC")
    report.redraw(lambda: report.page.fill("#f-from", f"{day:%Y-%m-%d}"))
    report.redraw(lambda: report.page.fill("#f-to", f"{day:%Y-%m-%d}"))
    drawn = report.drawn()
    kicked_off = (
        national(week, "match_window").query("window == 'during'")["time"].dt.floor("D") == day
    )
    assert drawn["orders-chart"]["orders per hour"] == 24
    assert drawn["orders-chart"]["kick-off"] == kicked_off.sum() > 0
    assert report.page.evaluate(TABLE_ROWS) == kicked_off.sum()


def test_the_source_filter_keeps_real_hours_only(report, week):
    orders = national(week, "orders")
    report.redraw(lambda: report.page.select_option("#f-source", label="real"))
    drawn = report.drawn()
    assert drawn["orders-chart"]["orders per hour"] == (orders["data_source"] == "real").sum() == 24
    assert (
        drawn["lift-chart"]["lift with 95% CI (all matches, tested)"] == 0
    )  # the lifts rest on mixed data


def test_the_region_filter_switches_the_series(report, week):
    table = week.dashboard
    london = table[(table["record_type"] == "orders") & (table["region"] == "London")]
    report.redraw(lambda: report.page.select_option("#f-region", label="London"))
    drawn = report.drawn()
    assert drawn["orders-chart"]["orders per hour"] == len(london)
    lines = report.page.evaluate("document.getElementById('orders-chart').data[0].y.slice(0, 3)")
    assert lines == london["value"].head(3).tolist()
