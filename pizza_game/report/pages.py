"""The pages of one HTML report: which keys it is stored at, the page rendered for each, and the
Plotly bundle they all load."""

from __future__ import annotations

import posixpath

import pandas as pd

from pizza_game.analysis.windows import WindowConfig
from pizza_game.storage import layout
from pizza_game.storage.lookup import newest_day
from pizza_game.storage.store import ObjectStore

HTML_TYPE = "text/html; charset=utf-8"
JS_TYPE = "text/javascript; charset=utf-8"


def report_targets(store: ObjectStore, stamp: pd.Timestamp) -> tuple[str, ...]:
    """The keys the report of the day ``stamp`` is stored at: its dated key, and
    reports/latest.html unless a report of a newer day exists (latest.html never moves backwards:
    a backfill of old days leaves it on the newest)."""
    newest = newest_day(store, layout.REPORTS_PREFIX)
    latest = newest is None or stamp.normalize() >= newest
    key = layout.report_key(stamp)
    return (key, layout.REPORT_LATEST_KEY) if latest else (key,)


def plotly_bundle_object() -> tuple[str, bytes]:
    """The key and bytes of the Plotly bundle the pages load (reports/assets/plotly-…min.js)."""
    # Imported here, not with the code location: plotly costs every command's start.
    from pizza_game.report.html import plotly_bundle

    bundle = plotly_bundle()
    return layout.report_asset_key(bundle.name), bundle.text.encode("utf-8")


def render_pages(
    table: pd.DataFrame, summary: dict, windows: WindowConfig, stamp: pd.Timestamp, targets: tuple[str, ...]
) -> dict[str, bytes]:
    """The page for each of ``targets`` (UTF-8 HTML). Each page links the per-match table of the
    day ``stamp`` and the Plotly bundle relative to where it lies, so both work offline; the
    figures and data are built once for all pages."""
    from pizza_game.report.html import PageLinks, plotly_bundle, render_reports

    drill_down = layout.match_windows_key(stamp)
    bundle = layout.report_asset_key(plotly_bundle().name)
    rendered = render_reports(
        table,
        summary,
        windows=windows,
        links=[
            PageLinks(plotly=_relative(bundle, target), match_table=_relative(drill_down, target))
            for target in targets
        ],
    )
    return {target: html.encode("utf-8") for target, html in zip(targets, rendered, strict=True)}


def _relative(key: str, page_key: str) -> str:
    return posixpath.relpath(key, posixpath.dirname(page_key))
