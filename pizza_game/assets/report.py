"""The offline HTML dashboard of a run: what QuickSight shows, as a page anyone can open without a network."""

import dagster as dg
import pandas as pd

from pizza_game.assets.common import GROUP, OWNERS
from pizza_game.model import Stamped
from pizza_game.quicksight.dashboard import DASHBOARD_DAYS
from pizza_game.report.pages import (
    HTML_TYPE,
    JS_TYPE,
    plotly_bundle_object,
    render_pages,
    report_targets,
)
from pizza_game.resources.analysis_settings import AnalysisSettings
from pizza_game.resources.storage import StorageResource, storage_failures
from pizza_game.storage import layout


@dg.asset(
    ins={"dashboard_data": dg.AssetIn(), "correlation_summary": dg.AssetIn()},
    group_name=GROUP,
    kinds={"html", "plotly"},
    owners=OWNERS,
)
def dashboard_report(
    dashboard_data: Stamped,
    correlation_summary: Stamped,
    storage: StorageResource,
    analysis_settings: AnalysisSettings,
) -> dg.MaterializeResult:
    """reports/YYYY/MM/DD/YYYYMMDD_HHMMSS_dashboard.html and reports/latest.html: the dashboard data
    and the summary of one analysis as a page (KPIs, orders with match windows, lift per window
    with CIs, significant relationships, data quality, filters), readable offline.
    latest.html is rewritten only when no report of a newer day exists. The pages load Plotly's
    bundle from reports/assets/, written only by the first report of each plotly version.
    The analysis settings give the window lengths, to draw each match's windows."""
    if dashboard_data.as_of != correlation_summary.as_of:
        raise dg.Failure(
            f"dashboard_data ({dashboard_data.as_of:%Y-%m-%d}) and correlation_summary "
            f"({correlation_summary.as_of:%Y-%m-%d}) describe different days; "
            "materialize correlation_analysis again"
        )
    table = dashboard_data.value
    quality = correlation_summary.value.get("data_quality", {})
    real_share = quality.get("real_share") or 0.0
    store = storage.store()
    key = layout.report_key(dashboard_data.as_of)
    targets = report_targets(store, dashboard_data.as_of)
    pages = render_pages(table, correlation_summary.value, analysis_settings.windows(), dashboard_data.as_of, targets)
    bundle_key, bundle = plotly_bundle_object()
    with storage_failures("dashboard_report"):
        # The bundle first: a stored page never points at a missing bundle.
        bundle_written = not store.exists(bundle_key)
        if bundle_written:
            store.put(bundle_key, bundle, JS_TYPE)
        for target, page in pages.items():
            store.put(target, page, HTML_TYPE)
    return dg.MaterializeResult(
        metadata={
            "storage_uri": dg.MetadataValue.path(store.uri(key)),
            "latest": dg.MetadataValue.url(store.uri(layout.REPORT_LATEST_KEY)),
            "latest_updated": dg.MetadataValue.bool(layout.REPORT_LATEST_KEY in pages),
            "bytes_written": dg.MetadataValue.int(sum(map(len, pages.values())) + (len(bundle) if bundle_written else 0)),
            "plotly_bundle": dg.MetadataValue.path(store.uri(bundle_key)),
            "plotly_bundle_written": dg.MetadataValue.bool(bundle_written),
            "as_of": dg.MetadataValue.text(f"{dashboard_data.as_of:%Y-%m-%d}"),
            "dagster/row_count": dg.MetadataValue.int(len(table)),
            "time_range": dg.MetadataValue.text(
                f"{dashboard_data.as_of - pd.Timedelta(days=DASHBOARD_DAYS - 1):%Y-%m-%d} – {dashboard_data.as_of:%Y-%m-%d} (UTC days)"
            ),
            "real_share": dg.MetadataValue.float(real_share),
            "mock_share": dg.MetadataValue.float(1.0 - real_share if quality.get("orders") else 0.0),
            "preview": dg.MetadataValue.md(f"**{correlation_summary.value.get('headline', '')}**"),
        }
    )
