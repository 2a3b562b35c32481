"""Tables are written column by column, each distinct value formatted once: the bytes ``json``
writes for their records, whatever the values (the reference is ``table_records`` through
``json``, which formats every value itself)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pizza_game.storage.codecs import _row_arrays, records_json, table_records, to_json
from pizza_game.storage.iso_times import fractions, iso_text

FLOATS = [0.0, -0.0, np.nan, 0.1, 1 / 3, -2.5, 1e300, -1e-300, 5e-324, 1e16, 123456789.125, 1e-7, 2.0]
TEXT = ["a", None, 'q"uote', "back\\slash", "caf\u00e9", "\U0001f355", "", "line\nbreak\x00", "a"]


def _repeat(values: list, n: int) -> list:
    return (values * (n // len(values) + 1))[:n]


def awkward_table(n: int) -> pd.DataFrame:
    """Every column type the column writer formats, with awkward values, ``n`` rows: more than
    the text sample, so both text paths (few distinct values, all distinct) are taken."""
    times = pd.to_datetime(
        _repeat(["2024-10-01T00:00:00Z", "1999-12-31T23:59:59Z", None, "2262-04-11T23:47:15Z", "1677-09-22T00:12:44Z"], n),
        utc=True,
    )
    return pd.DataFrame(
        {
            "f": _repeat(FLOATS, n),
            "f32": np.array(_repeat([0.1, -0.0, np.nan, 3e38], n), dtype="float32"),
            "i": np.array(_repeat([0, -1, 2**63 - 1, -(2**63)], n), dtype="int64"),
            "u": np.array(_repeat([0, 2**64 - 1], n), dtype="uint64"),
            "i8": np.array(_repeat([-128, 127], n), dtype="int8"),
            "b": _repeat([True, False, False], n),
            "n": pd.array(_repeat([1, None, -(2**63), 2**63 - 1], n), dtype="Int64"),
            "few": pd.Series(_repeat(TEXT, n), dtype=object),
            "ids": pd.Series([f"id-{k}\u00e9" if k % 7 else None for k in range(n)], dtype=object),
            "missing": pd.Series(_repeat(["x", pd.NA, np.nan, None], n), dtype=object),
            "at": times,
            "at_us": times + pd.to_timedelta(_repeat([0, 1_000, 999_999_000, 1], n), unit="ns"),
        }
    )


@pytest.mark.parametrize("n", [0, 1, 5, 3_000])
def test_awkward_tables_have_the_bytes_of_their_records(n: int) -> None:
    table = awkward_table(n)
    expected = json.dumps({"t": table_records(table)}, separators=(",", ":"), allow_nan=False)
    assert to_json({"t": table}) == expected.encode()


def test_a_table_with_an_infinity_is_written_with_null_as_json_would() -> None:
    table = pd.DataFrame({"f": [1.0, np.inf, -np.inf], "s": ["a", "b", "c"]})
    assert to_json({"t": table}) == b'{"t":[{"f":1.0,"s":"a"},{"f":null,"s":"b"},{"f":null,"s":"c"}]}'


def test_text_of_other_types_is_written_as_json_writes_it() -> None:
    # Few distinct values, one of them not text: the factorized text path must give way.
    mixed = pd.DataFrame({"o": pd.Series(_repeat(["a", 1, True, 2.5, None], 3_000), dtype=object)})
    expected = json.dumps({"t": table_records(mixed)}, separators=(",", ":"))
    assert to_json({"t": mixed}) == expected.encode()
    assert b'"o":true' in to_json({"t": mixed}) and b'{"o":1}' in to_json({"t": mixed})


@pytest.mark.parametrize("n", [1, 7, 3_000])
def test_raw_rows_are_the_records_of_each_group(n: int) -> None:
    """Each group's rows, with microseconds only in the groups that need them and infinities
    null, as ``records_json`` writes the group's records."""
    table = awkward_table(n)
    table["f"] = _repeat([*FLOATS, np.inf, -np.inf], n)
    sizes = [n // 3, 0, n - n // 3]
    bounds = np.cumsum([0, *sizes])
    group = np.repeat(np.arange(len(sizes)), sizes)
    texts = _row_arrays(table, group, bounds)
    for text, start, end in zip(texts, bounds[:-1], bounds[1:], strict=True):
        assert text.encode() == records_json(table_records(table.iloc[start:end])), (start, end)


def test_iso_text_is_numpys_in_and_out_of_quotes() -> None:
    rng = np.random.default_rng(5)
    nanos = rng.integers(np.iinfo(np.int64).min + 1, np.iinfo(np.int64).max, 20_000, dtype=np.int64)
    nanos[::3] = nanos[::3] // 10**9 * 10**9  # whole seconds, before and after 1970
    nanos[::11] = np.iinfo(np.int64).min  # NaT
    nanos = nanos.view("datetime64[ns]")
    fraction = fractions(nanos)
    expected = np.datetime_as_string(nanos.astype("datetime64[s]"), unit="s").astype(object) + "Z"
    expected[fraction] = np.datetime_as_string(nanos[fraction].astype("datetime64[us]"), unit="us").astype(object) + "Z"
    expected[np.isnat(nanos)] = None
    assert iso_text(nanos, fraction).tolist() == expected.tolist()
    quoted = iso_text(nanos, fraction, quote='"')
    assert quoted.tolist() == [None if e is None else f'"{e}"' for e in expected.tolist()]
    # Microseconds asked for where an instant is missing still give None.
    assert iso_text(nanos, np.ones(len(nanos), dtype=bool))[::11].tolist() == [None] * len(nanos[::11])
