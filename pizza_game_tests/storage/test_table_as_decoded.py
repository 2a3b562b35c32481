"""A table as its JSON records decode (``table_as_decoded``): equal to ``records_table`` of the
records ``to_json`` writes, value for value and type for type, or None where that is not certain."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

from pizza_game.quicksight.dashboard import DASHBOARD_COLUMNS
from pizza_game.storage.codecs import records_table, table_as_decoded, to_json
from pizza_game_tests.report.synthetic import synthetic_dashboard

COLUMNS = {
    "text": "str",
    "f": "float64",
    "i": "int64",
    "n": "Int64",
    "b": "bool",
    "nb": "boolean",
    "at": "datetime64[ns, UTC]",
}


def _decoded(table: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    return records_table(json.loads(to_json(table)), columns)


def _assert_same(held: pd.DataFrame | None, decoded: pd.DataFrame) -> None:
    assert held is not None
    pd.testing.assert_frame_equal(held, decoded, check_exact=True)
    for name in decoded.columns:
        if decoded[name].dtype == object:
            assert list(map(type, held[name])) == list(map(type, decoded[name])), name


def awkward(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(n)
    text = np.array(["a", None, np.nan, 'q"u,ote', "caf\u00e9", "\U0001f355", "", "line\nbreak", "=1+1"], dtype=object)
    floats = np.array([0.0, -0.0, np.nan, 0.1, 1 / 3, 1e300, 5e-324, 2.0])
    times = pd.to_datetime(pd.Series(["2024-10-01T00:00:00Z", "1999-12-31T23:59:59.123456Z", None]), utc=True, format="ISO8601").astype("datetime64[ns, UTC]")
    pick = lambda values: values[rng.integers(0, len(values), n)]  # noqa: E731
    return pd.DataFrame(
        {
            "at": times.iloc[rng.integers(0, 3, n)].reset_index(drop=True),  # not in the canonical order
            "text": pd.Series(pick(text), dtype=object),
            "f": pick(floats),
            "i": rng.integers(-(2**63), 2**63 - 1, n, dtype=np.int64),
            "n": pd.array([None if k % 3 == 0 else int(k) for k in range(n)], dtype="Int64"),
            "b": rng.random(n) < 0.5,
            "nb": pd.array([None if k % 4 == 0 else bool(k % 2) for k in range(n)], dtype="boolean"),
        }
    )


@pytest.mark.parametrize("n", [1, 7, 2_000])
def test_a_table_of_exact_values_is_what_its_json_decodes_to(n: int) -> None:
    table = awkward(n)
    _assert_same(table_as_decoded(table, COLUMNS), _decoded(table, COLUMNS))


def test_the_dashboard_table_is_what_its_json_decodes_to() -> None:
    table = synthetic_dashboard("2024-09-14", 8).dashboard
    # The mock generator's team names are numpy's str (a run's come from storage, as str).
    assert table_as_decoded(table, DASHBOARD_COLUMNS) is None
    teams = {name: pd.Series([v if v is None or v != v else str(v) for v in table[name]], dtype=object) for name in ("home_team", "away_team")}
    table = table.assign(**teams)
    _assert_same(table_as_decoded(table, DASHBOARD_COLUMNS), _decoded(table, DASHBOARD_COLUMNS))


def _changed(name: str, values: Any) -> pd.DataFrame:
    return awkward(20).assign(**{name: values})


@pytest.mark.parametrize(
    "table",
    [
        pytest.param(awkward(0), id="no rows"),
        pytest.param(awkward(20).drop(columns="nb"), id="a column missing"),
        pytest.param(awkward(20).assign(extra=1), id="another column"),
        pytest.param(_changed("at", pd.Timestamp("2024-10-01T00:00:00.000000001Z")), id="nanoseconds"),
        pytest.param(_changed("f", np.inf), id="an infinity"),
        pytest.param(_changed("f", np.float32(1.5)), id="float32"),
        pytest.param(_changed("i", 1.0), id="an integer column of floats"),
        pytest.param(_changed("text", pd.Series(["a", 5] * 10, dtype=object)), id="a number in text"),
        pytest.param(_changed("text", pd.Series([np.str_("a")] * 20, dtype=object)), id="numpy's str"),
        pytest.param(_changed("text", pd.Series(["a", pd.NA] * 10, dtype=object)), id="pd.NA in text"),
        pytest.param(_changed("text", pd.Series(["a"] * 20, dtype="string")), id="pandas' string dtype"),
    ],
)
def test_a_table_whose_json_may_decode_otherwise_is_not_taken(table: pd.DataFrame) -> None:
    assert table_as_decoded(table, COLUMNS) is None
