"""dashboard_report in Dagster: reads the stored dashboard data and summary, writes both keys and,
once, the Plotly bundle they load."""

from __future__ import annotations

import json

import dagster as dg
import pandas as pd
import pytest

from pizza_game.analysis.windows import WindowConfig
from pizza_game.assets.report import dashboard_report
from pizza_game.model import Stamped
from pizza_game.quicksight.dashboard import DASHBOARD_COLUMNS
from pizza_game.report.html import PageLinks, plotly_bundle, render_report
from pizza_game.resources.analysis_settings import AnalysisSettings
from pizza_game.resources.dated_outputs import DATED_IO, DatedOutputsIOManager
from pizza_game.resources.s3_client import S3ClientResource
from pizza_game.resources.storage import StorageResource
from pizza_game.storage import layout
from pizza_game.storage.codecs import records_table, to_json
from pizza_game_tests.report.synthetic import Synthetic, synthetic_dashboard
from pizza_game_tests.s3_server import REGION

STAMP = pd.Timestamp("2024-09-21", tz="UTC")  # the last day of the week below
SETTINGS = AnalysisSettings(post_minutes=90)


@pytest.fixture(scope="module")
def week() -> Synthetic:
    return synthetic_dashboard("2024-09-14", 8)


def materialize(
    week: Synthetic, storage: StorageResource, summary_as_of: pd.Timestamp = STAMP
) -> dg.ExecuteInProcessResult:
    """dashboard_report after stand-ins for the analysis outputs, through the real IO manager."""

    @dg.asset(name="dashboard_data", io_manager_key=DATED_IO)
    def dashboard_data() -> Stamped:
        return Stamped(STAMP, week.dashboard)

    @dg.asset(name="correlation_summary", io_manager_key=DATED_IO)
    def correlation_summary() -> Stamped:
        return Stamped(summary_as_of, week.summary)

    return dg.materialize(
        [dashboard_data, correlation_summary, dashboard_report],
        resources={
            "storage": storage,
            DATED_IO: DatedOutputsIOManager(storage=storage),
            "analysis_settings": SETTINGS,
        },
        raise_on_error=False,
    )


@pytest.mark.parametrize("where", ["local", "s3"])
def test_the_report_lands_at_its_dated_key_and_as_latest(where, week, tmp_path, request):
    if where == "s3":
        moto = request.getfixturevalue("moto_s3")
        bucket = request.getfixturevalue("s3_bucket")
        storage = StorageResource(
            bucket=bucket, s3=S3ClientResource(endpoint_url=moto.endpoint_url, region_name=REGION)
        )
    else:
        storage = StorageResource(data_dir=str(tmp_path), s3=S3ClientResource())
    result = materialize(week, storage)
    assert result.success
    store, key = storage.store(), "reports/2024/09/21/20240921_000000_dashboard.html"
    assert layout.report_key(STAMP) == key
    page = store.get(key)
    stored = records_table(json.loads(to_json(week.dashboard)), DASHBOARD_COLUMNS)
    drill_down = "20240921_000000_match_windows.csv"
    bundle_key = f"reports/assets/{plotly_bundle().name}"
    dated = PageLinks(
        plotly=f"../../../assets/{plotly_bundle().name}",
        match_table=f"../../../../processed-data/correlation-analysis/2024/09/21/{drill_down}",
    )
    latest = PageLinks(
        plotly=f"assets/{plotly_bundle().name}",
        match_table=f"../processed-data/correlation-analysis/2024/09/21/{drill_down}",
    )
    render = lambda links, windows: render_report(stored, week.summary, windows=windows, links=links)  # noqa: E731
    assert page.decode("utf-8") == render(dated, SETTINGS.windows())
    latest_page = store.get(layout.REPORT_LATEST_KEY)
    assert latest_page.decode("utf-8") == render(latest, SETTINGS.windows())
    assert page.decode("utf-8") != render(dated, WindowConfig())
    assert store.get(bundle_key) == plotly_bundle().text.encode("utf-8")
    metadata = result.asset_materializations_for_node("dashboard_report")[0].metadata
    assert metadata["storage_uri"] == dg.MetadataValue.path(store.uri(key))
    assert metadata["latest"] == dg.MetadataValue.url(store.uri(layout.REPORT_LATEST_KEY))
    assert metadata["plotly_bundle"] == dg.MetadataValue.path(store.uri(bundle_key))
    assert metadata["plotly_bundle_written"].value is True
    assert metadata["bytes_written"].value == len(page) + len(latest_page) + len(store.get(bundle_key))
    if where == "s3":
        client = request.getfixturevalue("moto_s3").client()
        assert client.head_object(Bucket=bucket, Key=key)["ContentType"] == "text/html; charset=utf-8"
        assert client.head_object(Bucket=bucket, Key=bundle_key)["ContentType"] == "text/javascript; charset=utf-8"
    else:
        assert (tmp_path / key).read_bytes() == page

    # The next report loads the stored bundle and writes only its pages.
    again = materialize(week, storage)
    assert again.success
    metadata = again.asset_materializations_for_node("dashboard_report")[0].metadata
    assert metadata["plotly_bundle_written"].value is False
    assert metadata["bytes_written"].value == len(page) + len(latest_page)


def test_a_summary_of_another_day_is_refused(week, tmp_path):
    storage = StorageResource(data_dir=str(tmp_path), s3=S3ClientResource())
    result = materialize(week, storage, summary_as_of=STAMP - pd.Timedelta(days=1))
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert (
        "dashboard_data (2024-09-21) and correlation_summary (2024-09-20) describe different days"
        in str(failure.step_failure_data.error and failure.step_failure_data.error.message)
    )
    assert not (tmp_path / "reports").exists()
