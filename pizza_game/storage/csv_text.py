"""CSV objects: the bytes pandas' ``to_csv`` writes for a table, spreadsheet-safe, written
column by column.

Timestamps are ISO 8601 UTC text (storage/iso_times.py); a missing value is an empty cell; a text
cell a spreadsheet would run as a formula gets a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import numpy as np
import pandas as pd

from pizza_game.storage.iso_times import fractions, iso_frame, iso_text, utc_nanos

CSV_TYPE = "text/csv"


def to_csv(table: pd.DataFrame) -> bytes:
    """``table`` as CSV: the bytes of pandas' ``to_csv(index=False, lineterminator="\\n")`` of its
    spreadsheet-safe, ISO-timestamped copy, written column by column where ``_csv_columns`` can."""
    factorized: dict[int, Factorized] = {}
    frame = _spreadsheet_safe(table, factorized)  # ISO text (digits first) is never a formula
    cells = _csv_columns(frame, factorized)
    if cells is None:
        buffer = io.StringIO()
        iso_frame(frame).to_csv(buffer, index=False, lineterminator="\n")
        return buffer.getvalue().encode("utf-8")
    header = ",".join(_csv_field(name) for name in frame.columns)
    return "\n".join([header, *map(",".join, zip(*_joined(cells, len(frame)), strict=True)), ""]).encode("utf-8")


# A column's CSV cells: row i's is ``texts[codes[i]]`` (codes from 0), each distinct value's
# text made once.
Cells = tuple[np.ndarray, np.ndarray]
# ``pd.factorize`` of a column's values: codes (-1 where missing) and the distinct values.
Factorized = tuple[np.ndarray, np.ndarray]


def _csv_columns(frame: pd.DataFrame, factorized: dict[int, Factorized] | None = None) -> list[Cells] | None:
    """Each column's CSV cells (quoted where the csv module quotes), or None where pandas writes
    the table (no rows, one column (a lone empty cell is quoted), labels other than text, or a
    column ``_csv_cells`` does not know). Each distinct value is formatted once, by the function
    pandas formats it with: formatting every cell of the horizon-wide tables, then passing
    each row through the csv module, was most of writing them. Timestamps are ISO text (as
    ``iso_frame`` writes them; it needs no quotes), empty where missing. ``factorized``: the
    text columns already factorized, by position (``_spreadsheet_safe``'s)."""
    if len(frame) == 0 or frame.shape[1] < 2 or not all(isinstance(name, str) for name in frame.columns):
        return None
    cells = []
    for i, (_, column) in enumerate(frame.items()):
        if isinstance(column.dtype, pd.DatetimeTZDtype):
            codes, distinct = pd.factorize(utc_nanos(column).view(np.int64))
            nanos = distinct.view("datetime64[ns]")
            text = iso_text(nanos, np.full(len(nanos), fractions(nanos).any()))
            text[np.isnat(nanos)] = ""
            cells.append((codes, text))
            continue
        values = _csv_cells(column, (factorized or {}).get(i))
        if values is None:
            return None
        cells.append(values)
    return cells


def _joined(cells: list[Cells], rows: int) -> list[list[str]]:
    """The cells of each run of neighbouring columns joined by commas, as lists: two columns of
    few distinct cells (at most ``rows / 8`` pairs) are one column of their distinct pairs'
    joined texts. The rows of the horizon-wide per-match table are 32 cells of mostly few
    values (a match's teams and features, its windows' and regions' names): joining 10 columns
    in place of 32 per row takes half as long."""
    limit = max(rows // 8, 1)
    out = []
    codes, texts = cells[0]
    for more_codes, more_texts in cells[1:]:
        width = len(more_texts)
        if len(texts) * width > limit:
            out.append(texts[codes].tolist())
            codes, texts = more_codes, more_texts
            continue
        codes, pairs = pd.factorize(codes.astype(np.int64) * width + more_codes)
        texts = texts[pairs // width] + "," + more_texts[pairs % width]
    out.append(texts[codes].tolist())
    return out


def _csv_cells(column: pd.Series, factorized: Factorized | None = None) -> Cells | None:
    """A column's CSV cells as pandas writes them (``get_values_for_csv``: numpy ``astype(str)``
    of floats, the csv module's ``str``/``repr`` of other values, missing values empty), or None
    for a dtype (dates, categories...) left to pandas; ``factorized``: its values' factorization
    if known."""
    dtype = column.dtype
    kind = dtype.kind if isinstance(dtype, np.dtype) else ""
    if kind == "f" and column.to_numpy().itemsize in (2, 4, 8):
        return _csv_floats(column.to_numpy())
    if kind == "b" or isinstance(dtype, pd.BooleanDtype):
        # False, True, and (code 2) missing.
        codes = column.to_numpy(dtype=bool, na_value=False).astype(np.intp)
        codes[column.isna().to_numpy(dtype=bool)] = 2
        return codes, np.array(["False", "True", ""], dtype=object)
    if kind in ("i", "u") or isinstance(column.array, pd.arrays.IntegerArray):
        missing = column.isna().to_numpy(dtype=bool)
        integers = column.to_numpy(dtype=column.array.dtype.numpy_dtype, na_value=0) if missing.any() else column.to_numpy()
        codes, distinct = pd.factorize(integers)
        codes[missing] = len(distinct)  # the "" appended
        return codes, np.asarray([*(str(v) for v in distinct.tolist()), ""], dtype=object)
    if kind == "O" or isinstance(dtype, pd.StringDtype):
        return _csv_objects(np.asarray(column.array.astype(object)), factorized)
    return None


def _csv_floats(values: np.ndarray) -> Cells:
    """Floats as pandas writes them, numpy's ``astype(str)``, of each distinct value once (by bit
    pattern: 0.0 and -0.0 are written differently; found by hashing, ``factorize``, not by
    sorting); NaN empty. For float64 that is Python's ``repr`` (the shortest text that reads back
    to the same double, in the same notation; tested on millions of bit patterns), which writes
    them in half the time."""
    codes, bits = pd.factorize(values.view(f"u{values.itemsize}"))
    distinct = bits.view(values.dtype)
    if values.dtype == np.float64:
        texts = np.asarray(list(map(repr, distinct.tolist())), dtype=object)
    else:
        texts = distinct.astype(str).astype(object)
    texts[np.isnan(distinct)] = ""
    return codes, texts


# The characters that make the csv module quote a field (QUOTE_MINIMAL, "," and "\n" as separators;
# "\r" too in newer Pythons).
_CSV_SPECIAL = re.compile('[,"\r\n]')


def _csv_objects(values: np.ndarray, factorized: Factorized | None = None) -> Cells:
    """The CSV cells of an object array (empty where ``pd.isna``): text as it is unless the csv
    module would quote it, any other value as the csv module writes it. Text is formatted once
    per distinct value, and its missing cells are those ``factorize`` finds (code -1: the same
    test as ``pd.isna``, which need not run on a column of text); other values one by one
    (``factorize`` would take 1, 1.0 and True for one). ``factorized``: ``pd.factorize(values)``,
    if known."""
    # skipna skips None, NaN and NA; a NaT (missing too) needs the missing cells taken out.
    if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
        missing = pd.isna(values)
        if pd.api.types.infer_dtype(values[~missing], skipna=False) not in ("string", "empty"):
            cells = np.asarray([_csv_field(v) for v in values.tolist()], dtype=object)
            cells[missing] = ""
            return np.arange(len(cells)), cells
    codes, distinct = factorized if factorized is not None else pd.factorize(values)
    codes[codes < 0] = len(distinct)  # missing: the "" appended
    return codes, np.asarray([*(_csv_field(v) if _CSV_SPECIAL.search(v) else v for v in distinct.tolist()), ""], dtype=object)


def _csv_field(value: Any) -> str:
    """One field as the csv module writes it in a row of pandas' writer (quoted if need be)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([value, ""])
    return buffer.getvalue()[:-2]


# A text cell starting with one of these is run as a formula by a spreadsheet (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _spreadsheet_safe(frame: pd.DataFrame, factorized: dict[int, Factorized] | None = None) -> pd.DataFrame:
    """Text cells a spreadsheet would run as a formula (starting with =, +, -, @, tab or CR, the
    OWASP CSV-injection rule) get a leading apostrophe; numbers such as "-3" are left alone.

    Only the cells whose first character is one of those are parsed as numbers: parsing every
    cell of the horizon-wide tables (timestamps, names) was most of writing their CSV. Even making
    every column text (``astype("string")``) was: numpy takes the first character of each
    distinct value (``astype("U1")``: ``str`` of the value, cut; values equal for Python have
    the same first character, or are numbers, never risky) to find the candidate cells, and only
    those go through pandas. The factorization of each text column left as it is goes in
    ``factorized`` (by position), for the CSV writer not to hash the column again."""
    out = frame
    for i, (_, column) in enumerate(frame.items()):
        if column.dtype == object or pd.api.types.is_string_dtype(column):
            values = column.to_numpy(dtype=object)
            codes, distinct = pd.factorize(values)
            cells = _neutralised(column, values, codes, distinct)
            if cells is None:
                if factorized is not None:
                    factorized[i] = (codes, distinct)
                continue
            if out is frame:  # copy-on-write: setting a column never changes ``frame``
                out = frame.copy(deep=False)
            out.isetitem(i, pd.Series(cells, index=out.index, dtype=column.dtype))  # type: ignore[arg-type]  # the stubs take no Series; an array of text would become str
    return out


def _neutralised(column: pd.Series, values: np.ndarray, codes: np.ndarray, distinct: np.ndarray) -> np.ndarray | None:
    """A text column's cells with an apostrophe before each formula (``_spreadsheet_safe``), or
    None when it has none; ``codes`` and ``distinct``: its values factorized."""
    starts = np.isin(np.asarray(distinct, dtype=object).astype("U1"), FORMULA_STARTS)
    # A missing value's code, -1, takes the False appended: never a candidate.
    candidates = np.flatnonzero(np.append(starts, False)[codes])
    if not len(candidates):
        return None
    text = column.iloc[candidates].astype("string")
    risky = text.str[:1].isin(FORMULA_STARTS).to_numpy(dtype=bool, copy=True)
    if not risky.any():
        return None
    risky[risky] = pd.to_numeric(text[risky], errors="coerce").isna().to_numpy(dtype=bool)
    if not risky.any():
        return None
    cells = values.copy()
    cells[candidates[risky]] = ("'" + text[risky]).to_numpy(dtype=object)
    return cells


def from_csv(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data))
