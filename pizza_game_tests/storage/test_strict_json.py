"""Every JSON object the pipeline writes parses with a strict parser: no NaN, no Infinity."""

from __future__ import annotations

import io
import json
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd

from pizza_game.definitions import make_definitions
from pizza_game.runner import run_pipeline
from pizza_game.storage.codecs import table_records, to_json


def _refuse(constant: str):
    raise ValueError(f"non-standard JSON number {constant}")


def strict(data: bytes):
    return json.loads(data, parse_constant=_refuse)


def test_non_finite_floats_are_written_as_null():
    table = pd.DataFrame({"lift": [np.inf, 0.5, np.nan]})
    document = {"p": float("nan"), "z": [np.float64("-inf"), 1.5], "rows": table}
    assert strict(to_json(document)) == {"p": None, "z": [None, 1.5], "rows": [{"lift": None}, {"lift": 0.5}, {"lift": None}]}


def test_every_object_a_run_writes_is_strict_json(tmp_path: Path):
    day = pd.Timestamp("2024-10-05", tz="UTC")
    defs = make_definitions(data_dir=str(tmp_path), seed=7)
    run_pipeline(day, day + pd.Timedelta(days=1), defs=defs, instance=dg.DagsterInstance.ephemeral(), log_level="ERROR")
    documents = sorted(tmp_path.rglob("*.json"))
    assert len(documents) > 10
    for path in documents:
        strict(path.read_bytes())
    tables = sorted(tmp_path.rglob("*.csv"))
    assert tables
    for path in tables:
        frame = pd.read_csv(io.BytesIO(path.read_bytes()), keep_default_na=False, dtype=str)
        cells = frame.to_numpy().ravel()
        assert not [c for c in cells if c.lower() in ("inf", "-inf", "nan", "infinity", "-infinity")], path


def test_tables_are_written_with_plain_scalars_of_every_column_type():
    table = pd.DataFrame({
        "f": [0.1, np.nan, -0.0], "f32": np.array([0.1, 2, 3], dtype="float32"), "i": [1, -2, 3],
        "u": np.array([1, 2, 3], dtype="uint8"), "b": [True, False, True], "n": pd.array([1, None, 3], dtype="Int64"),
        "s": ["a", None, "c"],
    })
    rows = strict(to_json({"rows": table}))["rows"]
    assert rows[1] == {"f": None, "f32": 2.0, "i": -2, "u": 2, "b": False, "n": None, "s": None}
    assert rows[0]["f"] == 0.1 and rows[0]["f32"] == float(np.float32(0.1)) and rows[2]["f"] == 0.0
    assert b'"f":-0.0' in to_json({"rows": table})


def test_tables_written_column_by_column_have_the_bytes_of_their_records():
    # to_json writes tables of numbers, booleans and text itself: the same bytes as json writes
    # for table_records, whatever the names (quotes, %), text (accents, line breaks) or values.
    tables = [
        pd.DataFrame({"a%s": [1, 2], 'b"': ["x\u00e9\n", None], "f": [0.1, np.nan], "b": [True, False]}),
        pd.DataFrame({"n": pd.array([1, None], dtype="Int64"), "o": pd.Series([1, "a"], dtype=object)}),
        pd.DataFrame({"d": pd.DatetimeIndex([pd.Timestamp("2024-01-01T00:00:00.5Z"), pd.NaT])}),
        pd.DataFrame({"x": pd.Series([], dtype=float)}),
        pd.DataFrame({"t": ["\x00pizza-game table 0\x00", "b"]}),  # the text of a placeholder
    ]
    for table in tables:
        expected = json.dumps({"t": table_records(table), "u": [table_records(table)]}, separators=(",", ":"))
        assert to_json({"t": table, "u": [table]}) == expected.encode(), table.columns.tolist()
