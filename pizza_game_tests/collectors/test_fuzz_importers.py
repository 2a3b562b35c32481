"""Fuzzing the order and match importers over random CSV and JSON files (hypothesis, bounded).

Whatever the file holds, an import either refuses the whole file with an ImportFileError (one
message) or returns rows and rejected rows; every valid row written into the file comes back.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from tempfile import TemporaryDirectory

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pizza_game.collectors.file_import import ImportFileError, import_matches, import_orders

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["=SUM(A1)", "05/10/2024", "2024-02-30T10:00:00Z", "1e400", "NaN", "-0"]),
)
NESTED = st.recursive(JUNK, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3), max_leaves=8)


def valid_order(i: int) -> dict:
    return {"order_id": f"ok-{i}", "ordered_at": f"2024-03-05T{10 + i % 8:02d}:{i % 60:02d}:00Z", "store_id": "s", "region": "r", "items": 1 + i % 5, "total": 9.5}


def valid_match(i: int) -> dict:
    return {"match_id": f"ok-{i}", "kickoff_at": f"2024-03-{5 + i % 3:02d}T15:00:00Z", "home_team": "A", "away_team": "B", "status": "FINISHED", "home_score": 1, "away_score": 0}


def junk_record(keys: list[str]) -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries({key: NESTED for key in keys})


def write(folder: str, records: list[dict], as_csv: bool) -> Path:
    path = Path(folder) / ("f.csv" if as_csv else "f.json")
    if as_csv:
        columns = sorted({key for record in records for key in record})
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns)
        writer.writeheader()
        writer.writerows({k: ("" if v is None else v) for k, v in record.items()} for record in records)
        path.write_text(buffer.getvalue())
    else:
        path.write_text(json.dumps(records))
    return path


def check(reader, valid: list[dict], junk: list[dict], id_column: str, as_csv: bool) -> None:
    with TemporaryDirectory() as folder:
        path = write(folder, valid + junk, as_csv)
        try:
            result = reader(path, timezone="UTC")
        except ImportFileError as error:
            assert "\n" not in str(error)
            return
    kept = set(result.rows[id_column])
    junk_ids = {str(record.get(id_column)) for record in junk}
    lost = {record[id_column] for record in valid} - kept - junk_ids
    assert not lost, f"valid rows lost: {sorted(lost)}"


@FUZZ
@given(
    n=st.integers(min_value=1, max_value=8),
    junk=st.lists(junk_record(["order_id", "ordered_at", "items", "total", "region"]), max_size=6),
    as_csv=st.booleans(),
)
def test_order_import_never_crashes_and_keeps_valid_rows(n: int, junk: list[dict], as_csv: bool):
    check(import_orders, [valid_order(i) for i in range(n)], junk, "order_id", as_csv)


@FUZZ
@given(
    n=st.integers(min_value=1, max_value=8),
    junk=st.lists(junk_record(["match_id", "kickoff_at", "home_team", "away_team", "home_score", "status"]), max_size=6),
    as_csv=st.booleans(),
)
def test_match_import_never_crashes_and_keeps_valid_rows(n: int, junk: list[dict], as_csv: bool):
    check(import_matches, [valid_match(i) for i in range(n)], junk, "match_id", as_csv)
