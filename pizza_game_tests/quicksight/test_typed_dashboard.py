"""The datasets come from the dashboard table as its IO manager loads it (typed: records_table),
and their files have the bytes they had from the stored records read as pandas reads them."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from pizza_game.quicksight.dashboard import DASHBOARD_COLUMNS
from pizza_game.quicksight.datasets import DATASETS, build_datasets, encode
from pizza_game.storage.codecs import records_table, to_json
from pizza_game_tests.report.synthetic import synthetic_dashboard


def untyped(records: list[dict]) -> pd.DataFrame:
    """The records as pandas reads them, the times parsed (what the publish once took)."""
    table = pd.DataFrame(records)
    for column in ("time", "kickoff_at", "window_end"):
        table[column] = pd.to_datetime(table[column], utc=True, format="ISO8601")
    return table


@pytest.mark.parametrize(("start", "days"), [("2024-09-14", 8), ("2024-12-01", 30)])
def test_the_typed_table_gives_the_files_of_the_records(start: str, days: int) -> None:
    week = synthetic_dashboard(start, days)
    records = json.loads(to_json(week.dashboard))
    as_of = pd.Timestamp(week.dashboard["as_of"].iloc[0], tz="UTC")
    typed = build_datasets(records_table(records, DASHBOARD_COLUMNS), week.summary, as_of)
    read = build_datasets(untyped(records), week.summary, as_of)
    assert typed.keys() == read.keys()
    for name, table in typed.items():
        assert len(table) == len(read[name])
        assert encode(DATASETS[name], table) == encode(DATASETS[name], read[name])
