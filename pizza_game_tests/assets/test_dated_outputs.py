"""The analysis outputs' IO manager parses what a run loads twice once, and only that; the
dashboard data a run wrote is not parsed at all when its table is certain to be what the JSON
decodes to."""

from __future__ import annotations

import json
from unittest import mock

import dagster as dg
import pandas as pd
import pytest

from pizza_game.model import Stamped
from pizza_game.quicksight.dashboard import DASHBOARD_COLUMNS
from pizza_game.resources.dated_outputs import DATED_IO, DatedOutputsIOManager, parsed_once
from pizza_game.resources.s3_client import S3ClientResource
from pizza_game.resources.storage import StorageResource
from pizza_game.storage import layout
from pizza_game.storage.codecs import records_table
from pizza_game_tests.report.synthetic import synthetic_dashboard


class CountingParse:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, data: bytes) -> object:
        self.calls += 1
        return json.loads(data)


def test_a_run_parses_the_same_bytes_at_a_key_once() -> None:
    parse = CountingParse()
    first = parsed_once("run-a", "k", b'{"x": 1}', parse)
    assert parsed_once("run-a", "k", b'{"x": 1}', parse) is first
    assert parse.calls == 1


def test_other_bytes_another_key_or_another_run_are_parsed_again() -> None:
    parse = CountingParse()
    parsed_once("run-b", "k", b'{"x": 1}', parse)
    assert parsed_once("run-b", "k", b'{"x": 2}', parse) == {"x": 2}
    assert parsed_once("run-b", "other", b'{"x": 2}', parse) == {"x": 2}
    assert parsed_once("run-c", "k", b'{"x": 2}', parse) == {"x": 2}
    assert parse.calls == 4


def _dashboard(teams_as_str: bool) -> pd.DataFrame:
    table = synthetic_dashboard("2024-09-14", 3).dashboard
    if not teams_as_str:  # the mock generator's names are numpy's str
        return table
    as_str = lambda values: pd.Series([v if v is None or v != v else str(v) for v in values], dtype=object)  # noqa: E731
    return table.assign(home_team=as_str(table["home_team"]), away_team=as_str(table["away_team"]))


@pytest.mark.parametrize("teams_as_str", [True, False])
def test_the_dashboard_data_a_run_wrote_is_loaded_as_its_json_decodes(teams_as_str: bool, tmp_path) -> None:
    """Kept from the table written when that is certain (not parsed again), else parsed."""

    @dg.asset(name="dashboard_data", io_manager_key=DATED_IO)
    def dashboard_data() -> Stamped:
        return Stamped(pd.Timestamp("2024-09-16", tz="UTC"), _dashboard(teams_as_str))

    @dg.asset(ins={"dashboard_data": dg.AssetIn()})
    def reader(dashboard_data: Stamped) -> None:
        stored = (tmp_path / layout.DATED_OUTPUTS["dashboard_data"]["json"](dashboard_data.as_of)).read_bytes()
        pd.testing.assert_frame_equal(dashboard_data.value, records_table(json.loads(stored), DASHBOARD_COLUMNS), check_exact=True)

    storage = StorageResource(data_dir=str(tmp_path), s3=S3ClientResource())
    with mock.patch("pizza_game.resources.dated_outputs.records_table", side_effect=records_table) as decodes:
        result = dg.materialize([dashboard_data, reader], resources={"storage": storage, DATED_IO: DatedOutputsIOManager(storage=storage)})
    assert result.success
    assert decodes.call_count == (0 if teams_as_str else 1)
