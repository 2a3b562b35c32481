"""csv_text.to_csv writes column by column: the bytes must be pandas' ``to_csv`` of the same frame."""

import io

import numpy as np
import pandas as pd
import pytest

from pizza_game.storage import csv_text
from pizza_game.storage.iso_times import iso_frame

TEXTS = ["a", "a,b", 'say "x"', "line\nbreak", "cr\rx", "", " lead", "é€", "=1+2", "-3", None, np.nan]
FLOATS = [0.0, -0.0, np.nan, np.inf, -np.inf, 1e16, 1e15, 1e-5, 1e-4, 0.1, 1 / 3, 5e-324, 1.7976931348623157e308, 2.0**53]


def pandas_csv(table: pd.DataFrame) -> bytes:
    """What to_csv wrote before it had its own writer."""
    buffer = io.StringIO()
    csv_text._spreadsheet_safe(iso_frame(table)).to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue().encode("utf-8")


def awkward_table() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    floats = np.concatenate([rng.standard_normal(40) * 10.0 ** rng.integers(-20, 20, 40), FLOATS])
    n = len(floats)

    def cycle(values: list, dtype: str | None = None) -> pd.Series:
        return pd.Series(np.resize(np.array(values, dtype=object), n), dtype=dtype)

    return pd.DataFrame(
        {
            "f": floats,
            "f32": np.resize(np.array([0.1, -0.0, np.nan, 3.4e38, 1e-7], dtype="float32"), n),
            "f16": np.resize(np.array([0.1, -0.0, np.nan, 65504, 1e-7], dtype="float16"), n),
            "i": rng.integers(-(10**18), 10**18, n),
            "u8": rng.integers(0, 5, n).astype("uint8"),
            "flag": rng.random(n) < 0.5,
            "text": cycle(TEXTS),
            "string": cycle(TEXTS, "string"),
            "str": cycle(TEXTS, "str"),
            "boolean": cycle([True, False, None], "boolean"),
            "Int64": cycle([1, None, -7], "Int64"),
            # Values the csv module writes with repr (floats) or str: never merged by equality.
            "mixed": cycle([1, 1.0, True, "1", None, np.float64(2.5), 3.25, pd.NA]),
            "at": pd.date_range("2024-01-01", periods=n, freq="37min", tz="UTC"),
            # Microseconds (all the column's cells get them) and missing instants (empty).
            "at_us": pd.Series(pd.date_range("1969-12-31T23:59:58Z", periods=n, freq="1001us")).where(
                np.arange(n) % 5 != 2
            ),
            "": 1,
            'a,"b"': 2,
        }
    )


@pytest.mark.parametrize(
    "columns",
    [None, ["f", "text"], ["Int64", "f32"], ["mixed", "boolean"], ["at", "str", "string"], ["at_us", "i"], ["text"], ["f"]],
)
def test_same_bytes_as_pandas(columns: list[str] | None) -> None:
    table = awkward_table() if columns is None else awkward_table()[columns]
    assert csv_text.to_csv(table) == pandas_csv(table)
    assert csv_text.to_csv(table.iloc[:0]) == pandas_csv(table.iloc[:0])
    assert csv_text.to_csv(table.iloc[3:5]) == pandas_csv(table.iloc[3:5])


def test_tables_of_several_columns_take_the_column_writer() -> None:
    """The comparison above tests the column writer, not pandas against itself."""
    frame = csv_text._spreadsheet_safe(iso_frame(awkward_table()))
    assert csv_text._csv_columns(frame) is not None
    assert csv_text._csv_columns(awkward_table()) is not None  # timestamps too
    assert csv_text._csv_columns(frame[["f"]]) is None


def test_zero_and_negative_zero_stay_apart() -> None:
    assert csv_text.to_csv(pd.DataFrame({"x": [0.0, -0.0], "n": 1})) == b"x,n\n0.0,1\n-0.0,1\n"


def test_float64_text_is_numpys() -> None:
    """The column writer writes float64 with ``repr``: it must be numpy's ``astype(str)``, which
    pandas writes, for any double (random bit patterns, and decimals as measurements come)."""
    rng = np.random.default_rng(11)
    bits = rng.integers(0, 2**63, 200_000, dtype=np.int64).astype(np.uint64)
    signs = rng.integers(0, 2, len(bits)).astype(np.uint64) << np.uint64(63)
    doubles = (bits | signs).view(np.float64)
    decimals = np.round(rng.random(200_000) * 10.0 ** rng.integers(-6, 18, 200_000), 3)
    values = np.concatenate([doubles[np.isfinite(doubles)], decimals, np.array(FLOATS)[np.isfinite(FLOATS)]])
    codes, texts = csv_text._csv_floats(values)
    assert texts[codes].tolist() == values.astype(str).tolist()


def test_columns_of_few_values_are_joined_before_the_rows() -> None:
    """Neighbouring columns of few distinct cells are joined as pairs of them first: the same bytes."""
    rng = np.random.default_rng(3)
    n = 2_000
    table = pd.DataFrame(
        {
            "team": pd.Series(np.array(["a,b", 'say "x"', "plain", None], dtype=object)[rng.integers(0, 4, n)], dtype=object),
            "window": pd.Series(np.array(["pre", "during", "=1+2"], dtype=object)[rng.integers(0, 3, n)], dtype=object),
            "goals": rng.integers(0, 5, n).astype(float),
            "flag": pd.array(np.array([True, False, None], dtype=object)[rng.integers(0, 3, n)], dtype="boolean"),
            "lift": rng.standard_normal(n),  # all distinct: a column of its own
            "n": pd.array(np.array([1, None, -7], dtype=object)[rng.integers(0, 3, n)], dtype="Int64"),
            "at": pd.Series(pd.DatetimeIndex([pd.Timestamp("2024-01-01T12:00:00Z"), pd.NaT])[rng.integers(0, 2, n)]),
        }
    )
    cells = csv_text._csv_columns(csv_text._spreadsheet_safe(table))
    assert cells is not None
    assert len(csv_text._joined(cells, n)) < len(table.columns)
    assert csv_text.to_csv(table) == pandas_csv(table)
