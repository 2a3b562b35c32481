"""How each kind of object is written: JSON that people and QuickSight can read, the raw
partitions and the merged days (their CSV copy through storage/csv_text.py).

Timestamps are ISO 8601 in UTC with a ``Z`` ("2024-05-04T18:00:00Z", with microseconds only in
columns that need them: storage/iso_times.py), a format QuickSight parses as a date; missing
values are JSON null.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from itertools import pairwise, repeat
from json.encoder import encode_basestring_ascii as _encode_text
from typing import Any

import numpy as np
import pandas as pd

from pizza_game.model import SERIES_COLUMNS, WINDOW_COLUMNS, MergedDay, RawPartition
from pizza_game.schema import MATCH_COLUMNS, ORDER_COLUMNS, REJECTED_COLUMNS, coerce
from pizza_game.storage import columns
from pizza_game.storage.csv_text import to_csv
from pizza_game.storage.iso_times import fractions, iso_frame, iso_halves, iso_text, utc_nanos
from pizza_game.storage.stacked_days import StackedDays

JSON_TYPE = "application/json"


def records_table(records: list[dict[str, Any]], columns: dict[str, str]) -> pd.DataFrame:
    """A table with canonical ``columns`` from the JSON records ``to_json`` wrote for it."""
    if not records:
        return coerce(pd.DataFrame({c: pd.Series(dtype=object) for c in columns}), columns)
    # Column by column, as Python objects that coerce types once: ``DataFrame.from_records``
    # inferred a type per column (text as pandas' str) that coerce then undid, a third of decoding
    # a range's raw partitions. A key a record lacks is None (missing); a record that is not an
    # object raises TypeError (``dict.get``).
    return coerce(
        pd.DataFrame({c: pd.Series(list(map(dict.get, records, repeat(c))), dtype=object) for c in columns}, copy=False),
        columns,
    )


def table_as_decoded(table: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame | None:
    """``records_table(json.loads(to_json(table)), columns)``, without the JSON, or None where
    that is not certain. ``table`` must have rows and exactly ``columns``, each in its dtype
    (text as objects, else one of ``_EXACT_DTYPES``), its text only Python ``str`` or missing
    (None, NaN), no instant finer than the microseconds the JSON keeps (storage/iso_times.py)
    and no infinite float (written as null). Those values come back from their JSON equal and
    of the same type (text is the ``str``, a float its ``repr``, an integer or a boolean its own
    text), and ``coerce`` leaves such columns as they are but for missing text (None): the
    table is taken so, in the columns' order and indexed from 0, not through ``coerce`` (which
    took longer than the checks)."""
    if not len(table) or len(table.columns) != len(columns) or set(table.columns) != set(columns):
        return None
    out = table[list(columns)].reset_index(drop=True)
    for i, (name, dtype) in enumerate(columns.items()):
        column = out[name]
        if str(column.dtype) != ("object" if dtype == "str" else dtype) or dtype not in _EXACT_DTYPES:
            return None
        if dtype == "str":
            # Values of these types, and those not missing (None, NaN skipped) all text.
            values = column.to_numpy()
            kinds = set(map(type, values.tolist()))
            if not kinds <= {str, type(None), float} or pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
                return None
            if float in kinds:  # NaN
                values = values.copy()
                values[pd.isna(values)] = None
                out.isetitem(i, pd.Series(values, index=out.index, dtype=object))  # type: ignore[arg-type]  # the stubs take no Series
        elif isinstance(column.dtype, pd.DatetimeTZDtype):
            nanos = utc_nanos(column)
            if (~np.isnat(nanos) & (nanos.view(np.int64) % 1000 != 0)).any():
                return None
        elif dtype == "float64" and np.isinf(column.to_numpy()).any():
            return None
    return out


# The canonical dtypes ``table_as_decoded`` knows the JSON of.
_EXACT_DTYPES = ("str", "float64", "int64", "Int64", "bool", "boolean", "datetime64[ns, UTC]")


def table_records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready records: ISO timestamps, None for missing values, plain Python scalars.

    Column by column (``tolist`` boxes to Python types in C), not value by value: a per-value
    loop here was most of a run's time. Floats stay exact (``json`` writes them with ``repr``).
    """
    frame = iso_frame(table)
    columns = [_json_values(frame[name]) for name in frame.columns]
    names = [str(name) for name in frame.columns]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def _json_values(column: pd.Series) -> list[Any]:
    """A column's values as plain Python scalars, None where missing. A numpy number or bool
    column is boxed by ``tolist`` alone (then its NaNs made None), any other column's object
    array gets None where ``pd.isna``: a Series ``astype(object).where(notna, None)`` per column
    cost as much as the JSON encoding itself."""
    if isinstance(column.dtype, np.dtype) and column.dtype.kind in "biuf":
        values = column.to_numpy()
        out = values.tolist()
        if values.dtype.kind == "f":
            for i in np.flatnonzero(np.isnan(values)).tolist():
                out[i] = None
        return out
    boxed = column.to_numpy(dtype=object)
    missing = pd.isna(boxed)
    if missing.any():
        boxed = boxed.copy()  # to_numpy may give the column's own array
        boxed[missing] = None
    return boxed.tolist()


def to_json(document: Any) -> bytes:
    """``document`` as compact JSON; DataFrames inside it become arrays of records.

    Non-finite floats (NaN, Infinity) are written as null: strict JSON has no such numbers.
    A table of numbers, booleans and text is written column by column (``_table_json``), in
    place of a placeholder, with the bytes ``json`` writes for its records.
    """
    try:
        texts: list[str] = []
        text = _strict(_with_placeholders(document, texts))
        for i, table_text in enumerate(texts):
            placeholder = json.dumps(_placeholder(i))
            if text.count(placeholder) != 1:  # a value of the document holds the placeholder's text
                text = _strict(document)
                break
            text = text.replace(placeholder, table_text)
    except ValueError:
        text = _loose(document)
    return text.encode("utf-8")


def records_json(document: Any) -> bytes:
    """``to_json`` of a document whose tables are already records (a raw partition's): the same
    bytes, without walking every row's cells for tables to write column by column (4 s of a
    5-month run's 3,624 hourly objects)."""
    try:
        return _strict(document).encode("utf-8")
    except ValueError:
        return _loose(document).encode("utf-8")


def _strict(document: Any) -> str:
    return json.dumps(document, separators=(",", ":"), default=_default, allow_nan=False)


def _loose(document: Any) -> str:
    """Non-finite floats as null."""
    loose = json.loads(json.dumps(document, separators=(",", ":"), default=_default))
    return json.dumps(_nulls(loose), separators=(",", ":"), allow_nan=False)


def _placeholder(i: int) -> str:
    return f"\x00pizza-game table {i}\x00"


def _with_placeholders(value: Any, texts: list[str]) -> Any:
    """``value`` with each table ``_table_json`` can write (in dicts and lists) replaced by a
    placeholder string, its JSON text appended to ``texts``."""
    if isinstance(value, pd.DataFrame):
        text = _table_json(value)
        if text is None:
            return value
        texts.append(text)
        return _placeholder(len(texts) - 1)
    if isinstance(value, dict):
        return {k: _with_placeholders(v, texts) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_placeholders(v, texts) for v in value]
    return value


def _table_json(table: pd.DataFrame) -> str | None:
    """The JSON text of ``table_records(table)``, written column by column (``_json_column``),
    then row by row through one template. None when a column holds anything else or names
    repeat (the records are written by ``json`` then). A non-finite number raises ValueError,
    as ``json`` does. Building a dict per row was most of writing a merged day and the
    dashboard data."""
    names = [str(name) for name in table.columns]
    if len(set(names)) != len(names):
        return None
    if not len(table):  # most days have no match windows: nothing to look at in their columns
        return "[]"
    columns: list[Parts] = []
    for key, (_, column) in zip(_keys(names), table.items(), strict=True):
        parts = _json_column(column, None, key, infinite_as_null=False)
        if parts is None:
            return None
        columns.append(parts)
    return _json_arrays(columns, [0, len(table)])[0]


# A column's text in a row of records: the concatenation of its parts, each either the same text
# in every row or a list of one text per row.
Parts = list[str | list[str]]


def _keys(names: list[str]) -> list[str]:
    """What precedes each column's value in a record: its name's JSON text, after a comma but
    for the first."""
    return [("," if j else "") + json.dumps(name) + ":" for j, name in enumerate(names)]


def _json_column(column: pd.Series, group: np.ndarray | None, key: str, *, infinite_as_null: bool) -> Parts | None:
    """``key`` and the JSON text of each value of a column as ``json`` writes it in a record of
    ``table_records`` (missing values null), or None for a column of other values (or mixed
    types). Timestamps have microseconds if any value of their group (``group``: each row's,
    ascending from 0; None: one group) has a fraction. Infinities are null or raise ValueError.

    Each distinct number and short text is formatted once, its key with it, and each row's
    cell is a reference to that text: ``json`` formatting every value (a list of numbers, then
    split) was most of writing the merged days and raw partitions."""
    dtype = column.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        return _time_cells(utc_nanos(column), group, key)
    if isinstance(dtype, np.dtype) and (dtype.kind in "biu" or (dtype.kind == "f" and dtype.itemsize <= 8)):
        return [_number_cells(column.to_numpy(), np.zeros(len(column), dtype=bool), key, infinite_as_null=infinite_as_null)]
    if isinstance(column.array, pd.arrays.IntegerArray):
        missing = column.isna().to_numpy(dtype=bool)
        values = column.to_numpy(dtype=str(dtype).lower(), na_value=0)  # "Int64" -> "int64"
        return [_number_cells(values, missing, key, infinite_as_null=infinite_as_null)]
    if pd.api.types.is_object_dtype(dtype) or isinstance(dtype, pd.StringDtype):
        parts = _text_cells(column.to_numpy(dtype=object), key)
        if parts is not None:
            return parts
    cells = _json_cells(_json_values(column))
    return None if cells is None else [key, cells]


def _time_cells(nanos: np.ndarray, group: np.ndarray | None, key: str) -> Parts:
    """Timestamps as two parts, the key and day (``"YYYY-MM-DDT``) and the second of the day
    (``HH:MM:SSZ"``), both references to the texts of small tables (``iso_halves``), null where
    missing; as whole texts where microseconds are needed."""
    fraction = fractions(nanos)
    present = ~np.isnat(nanos)
    if fraction.any():
        if group is None:
            fraction = np.full(len(nanos), True)
        else:
            grouped = np.zeros(group.max() + 1, dtype=bool)
            np.logical_or.at(grouped, group, fraction)
            fraction = grouped[group]
        text = iso_text(nanos, fraction, quote='"')  # ISO text needs no escaping
        text[~present] = "null"
        return [key, text.tolist()]
    if present.all():
        days, seconds = iso_halves(nanos, before=key + '"', after='"')
        return [days.tolist(), seconds.tolist()]
    days, seconds = np.full(len(nanos), key + "null", dtype=object), np.full(len(nanos), "", dtype=object)
    if present.any():
        days[present], seconds[present] = iso_halves(nanos[present], before=key + '"', after='"')
    return [days.tolist(), seconds.tolist()]


def _number_cells(values: np.ndarray, missing: np.ndarray, key: str, *, infinite_as_null: bool) -> list[str]:
    """``key`` and numbers or booleans as ``json`` writes them (``repr`` of a float widened to a
    double, ``str`` of an int), null where ``missing`` or NaN; each distinct value (bit pattern:
    0.0 and -0.0 differ) formatted once."""
    if values.dtype.kind == "b":
        texts = np.array([key + "false", key + "true"], dtype=object)[values.view(np.uint8)]
        texts[missing] = key + "null"
        return texts.tolist()
    if values.dtype.kind == "f":
        codes, bits = pd.factorize(values.astype(np.float64).view(np.uint64))
        distinct = bits.view(np.float64)
        texts = np.asarray([*map(float.__repr__, distinct.tolist()), "null"], dtype=object)
        infinite = np.isinf(distinct)
        if infinite.any() and not infinite_as_null:
            raise ValueError("Out of range float values are not JSON compliant")
        texts[:-1][np.isnan(distinct) | infinite] = "null"
    else:
        codes, distinct = pd.factorize(values)
        texts = np.asarray([*map(str, distinct.tolist()), "null"], dtype=object)
    cells = (key + texts)[codes]
    cells[missing] = key + "null"
    return cells.tolist()


def _json_cells(values: list[Any]) -> list[str] | None:
    """The JSON text of each value: numbers and booleans as ``json`` writes a list of them, text
    as its string encoder writes each; None when some value is of another type (or types mix).
    A non-finite number raises ValueError, as ``json`` does."""
    kinds = set(map(type, values)) - {type(None)}
    # Subclasses too (numpy's str, a bool): ``json`` writes them as their base type.
    if all(issubclass(kind, (int, float)) for kind in kinds):
        return json.dumps(values, separators=(",", ":"), allow_nan=False)[1:-1].split(",") if values else []
    if all(issubclass(kind, str) for kind in kinds):
        return ["null" if v is None else _encode_text(v) for v in values]
    return None


def _json_arrays(columns: list[Parts], bounds: Sequence[int]) -> list[str]:
    """The JSON array of the rows ``bounds[i]:bounds[i + 1]`` for each i, from the parts of
    their columns' text (``_json_column``, each with its key): the bytes ``json`` writes for a
    list of dicts. One list holds every row's pieces and each array is one join of a slice of
    it: a template formatted per row, then joined per array, took twice as long, and joining
    references to shared texts makes no string per cell."""
    if not columns:  # rows without columns: no records (as ``table_records`` gives)
        return ["[]" for _ in bounds[1:]]
    start, end = bounds[0], bounds[-1]
    # A row's pieces start with the end of the row before it: the first row's comes off below.
    row: list[str] = ["},{"]
    lists: list[tuple[int, list[str]]] = []
    for part in (part for parts in columns for part in parts):
        if isinstance(part, str):
            row.append(part)
        else:
            lists.append((len(row), part))
            row.append("")
    width = len(row)
    pieces = row * (end - start)
    for j, part in lists:
        pieces[j::width] = part[start:end]
    out = []
    for first_row, end_row in pairwise(bounds):
        first = width * (first_row - start)
        out.append("[{" + "".join(pieces[first + 1 : first + width * (end_row - first_row)]) + "}]" if end_row > first_row else "[]")
    return out


def _nulls(value: Any) -> Any:
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _nulls(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nulls(v) for v in value]
    return value


def _default(value: Any) -> Any:
    if isinstance(value, pd.DataFrame):
        return table_records(value)
    if isinstance(value, pd.Timestamp):
        return value.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ") if value.tzinfo else value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


RAW_COLUMNS = {"raw_orders": ORDER_COLUMNS, "raw_matches": MATCH_COLUMNS}


def encode_raw(asset: str, partition: str, start: pd.Timestamp, end: pd.Timestamp, part: RawPartition) -> bytes:
    return encode_raw_many(asset, [(partition, start, end, part)])[0]


def raw_rows(asset: str, tables: list[pd.DataFrame]) -> pd.DataFrame:
    """The rows of partitions' ``tables`` stacked, typed as their objects hold them (the canonical
    columns, in order): what ``encode_raw_many`` writes, and ``as_decoded`` cuts back."""
    columns = RAW_COLUMNS[asset]
    for table in tables:
        missing = [c for c in columns if c not in table.columns]
        if missing:
            raise ValueError(f"table lacks canonical columns {missing}")
    # concat aligns the columns by name; coerce keeps the canonical ones, in order.
    return coerce(pd.concat([t for t in tables if len(t)] or tables[:1], ignore_index=True), columns)


def encode_raw_many(
    asset: str, parts: list[tuple[str, pd.Timestamp, pd.Timestamp, RawPartition]], rows: pd.DataFrame | None = None
) -> list[bytes]:
    """The JSON object of each (partition key, window start, window end, partition), in order;
    ``rows``: ``raw_rows`` of the partitions' rows, when the caller has it already.

    The rows of all partitions are typed and formatted together, then cut back per partition:
    typing and formatting a table costs milliseconds however few rows it holds, and a range
    holds thousands of partitions of a few rows. Each partition's timestamps get microseconds
    if any of that partition's own rows has a fraction of a second, as if encoded alone.
    """
    if not parts:
        return []
    sizes = [len(part.rows) for _, _, _, part in parts]
    bounds = np.cumsum([0, *sizes])
    table = raw_rows(asset, [part.rows for _, _, _, part in parts]) if rows is None else rows
    texts = _row_arrays(table, np.repeat(np.arange(len(parts)), sizes), bounds)
    out = []
    for i, (partition, start, end, part) in enumerate(parts):
        head = {
            "asset": asset,
            "partition": partition,
            "window_start": start,
            "window_end": end,
            "source": part.source,
            "row_count": sizes[i],
            "rejected_count": len(part.rejected),
            "notes": part.notes,
        }
        tail = {
            "rejected": table_records(part.rejected) if len(part.rejected) else [],
            "responses": part.responses,
        }
        out.append(_with_rows(head, texts[i], tail))
    return out


def _with_rows(head: dict[str, Any], rows: str, tail: dict[str, Any]) -> bytes:
    """``records_json`` of the document ``head``, then "rows" (the JSON text of their records),
    then ``tail``. Compact JSON writes a dict as its items joined by commas inside braces, so the
    document is the head without its closing brace, the rows, the tail without its opening one.
    Writing rows through ``json`` as dicts was most of writing a range's raw partitions."""
    return b"".join((records_json(head)[:-1], b',"rows":', rows.encode("ascii"), b",", records_json(tail)[1:]))


def _row_arrays(table: pd.DataFrame, group: np.ndarray, bounds: np.ndarray) -> list[str]:
    """The JSON text of each group's records (``table_records``) in a table made of groups
    (``group``: each row's group, ascending; group i is rows ``bounds[i]:bounds[i + 1]``), where
    a group's timestamps have microseconds if any of the group's own values has a fraction.
    Non-finite numbers are null, as ``records_json`` writes them."""
    columns: list[Parts] = []
    for key, (_, column) in zip(_keys([str(name) for name in table.columns]), table.items(), strict=True):
        parts = _json_column(column, group, key, infinite_as_null=True)
        if parts is None:  # any other column: each value as ``records_json`` writes it in a record
            parts = [key, [records_json(v).decode("ascii") for v in _json_values(column)]]
        columns.append(parts)
    return _json_arrays(columns, bounds.tolist())


def _text_cells(values: np.ndarray, key: str) -> Parts | None:
    """``key`` and the JSON text of each value of an object array of text, null where missing;
    None when some value is not text. A column of few distinct values (judged by its first ones)
    has each encoded once, with its key; any other is encoded value by value: hashing each
    (``factorize``) of a column of ids took twice as long as encoding it."""
    try:  # unhashable values (lists) cannot be factorized: not text either
        sample = values[:_TEXT_SAMPLE]
        if len(pd.unique(sample)) * 2 <= len(sample):
            codes, distinct = pd.factorize(values)
            if not all(isinstance(v, str) for v in distinct.tolist()):
                return None
            texts = np.asarray([*(key + _encode_text(v) for v in distinct.tolist()), key + "null"], dtype=object)
            return [texts[codes].tolist()]
        listed = values.tolist()
        if None not in listed:
            return [key, list(map(_encode_text, listed))]
        return [key, ["null" if v is None else _encode_text(v) for v in listed]]
    except TypeError:
        return None


_TEXT_SAMPLE = 1_000


def decode_raw(asset: str, data: bytes, where: str) -> RawPartition:
    return decode_raw_many(asset, [(data, where)])[0]


def decode_raw_many(asset: str, objects: list[tuple[bytes, str]]) -> list[RawPartition]:
    """Many raw objects at once, as ``decode_raw`` would give them one by one.

    The rows of all objects are typed together and then cut back per object; rejected rows are
    rare and typed per object.
    """
    if not objects:
        return []
    columns = RAW_COLUMNS[asset]
    documents = []
    for data, where in objects:
        try:
            document = json.loads(data)
            records = document["rows"]
            if records and not columns.keys() <= records[0].keys():
                raise ValueError(f"rows lack canonical columns {sorted(columns.keys() - records[0].keys())}")
            documents.append((document, document["source"], records, where))
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"{where} is not a valid {asset} object: {error}") from None
    try:
        rows = records_table([r for _, _, records, _ in documents for r in records], columns)
        # One empty table for every object without rows, one for those without rejected rows
        # (most hours of a range): read-only, as partitions are.
        no_rows, no_rejected = rows.iloc[0:0], records_table([], REJECTED_COLUMNS)
        bounds = np.cumsum([0, *(len(records) for _, _, records, _ in documents)])
        return [
            RawPartition(
                source=source,
                rows=_rows_between(rows, int(bounds[i]), int(bounds[i + 1]), no_rows),
                rejected=records_table(document["rejected"], REJECTED_COLUMNS) if document.get("rejected") else no_rejected,
                responses=document.get("responses", []),
                notes=document.get("notes", {}),
            )
            for i, (document, source, _, _) in enumerate(documents)
        ]
    except (ValueError, KeyError, TypeError) as error:
        if len(objects) == 1:
            raise ValueError(f"{objects[0][1]} is not a valid {asset} object: {error}") from None
        # Some object is malformed: decoding them one by one names it.
        return [decode_raw(asset, data, where) for data, where in objects]


def _rows_between(rows: pd.DataFrame, start: int, end: int, empty: pd.DataFrame) -> pd.DataFrame:
    """Rows ``start:end`` of ``rows`` (numbered 0, 1, 2...), numbered from 0; ``empty`` if none."""
    if start == end:
        return empty
    part = rows.iloc[start:end]
    if start:
        part.index = pd.RangeIndex(end - start)
    return part


MATCH_DAY_COLUMNS = MATCH_COLUMNS | {"analysable": "bool", "excluded_reason": "str"}


def encode_merged(day: MergedDay) -> dict[str, bytes]:
    document = {
        "asset": "merged_dataset",
        "day": day.day,
        "coverage": day.coverage,
        "matches": day.matches,
        "windows": day.windows,
        "series": day.series,
    }
    return {"json": to_json(document), "csv": to_csv(day.series)}


MERGED_TABLES = {"series": SERIES_COLUMNS, "windows": WINDOW_COLUMNS, "matches": MATCH_DAY_COLUMNS}


def encode_merged_columns(day: MergedDay, merged_json: bytes) -> bytes:
    """The columnar copy of a merged day (storage/columns.py) whose JSON object is ``merged_json``."""
    fields = {"merged_sha256": columns.digest(merged_json), **json.loads(to_json({"day": day.day, "coverage": day.coverage}))}
    return columns.encode_columns(fields, {name: (getattr(day, name), cols) for name, cols in MERGED_TABLES.items()})


def stack_merged_columns(objects: list[tuple[str, bytes]]) -> tuple[list[int], StackedDays]:
    """Per (SHA-256 of a merged JSON object, columnar bytes): which copies were built from exactly
    that JSON and can be read (their indexes in ``objects``), and those days decoded, stacked.
    Where a copy does not match or cannot be read, the caller decodes that day's JSON; if some
    matching copy is damaged, none is used (the JSON objects say the same)."""
    usable: list[tuple[int, dict, memoryview]] = []
    for i, (merged_sha256, data) in enumerate(objects):
        try:
            header, body = columns.read_header(data)
        except (ValueError, UnicodeDecodeError, struct.error):
            continue
        if header.get("merged_sha256") == merged_sha256:
            usable.append((i, header, body))
    try:
        tables = columns.decode_tables([(header, body) for _, header, body in usable], MERGED_TABLES)
    except (ValueError, KeyError, TypeError, IndexError):
        return [], StackedDays.of([])
    return [i for i, _, _ in usable], StackedDays(
        days=[pd.Timestamp(header["day"]) for _, header, _ in usable],
        coverage=[header["coverage"] for _, header, _ in usable],
        tables={name: table for name, (table, _) in tables.items()},
        bounds={name: np.cumsum([0, *rows]) for name, (_, rows) in tables.items()},
    )


def decode_merged_days(objects: list[tuple[bytes, str]]) -> list[MergedDay]:
    """Many merged days at once, as ``decode_merged`` would give them one by one.

    The tables of all days are typed together and then cut back into days: typing a table costs
    milliseconds however small it is, and the analysis reads a year of days every hour.
    """
    documents = []
    for data, where in objects:
        try:
            document = json.loads(data)
            documents.append((pd.Timestamp(document["day"]), document["coverage"], document, where))
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"{where} is not a valid merged_dataset object: {error}") from None
    try:
        tables = {
            name: records_table([r for *_, document, _ in documents for r in document[name]], columns)
            for name, columns in (("series", SERIES_COLUMNS), ("windows", WINDOW_COLUMNS), ("matches", MATCH_DAY_COLUMNS))
        }
    except (ValueError, KeyError, TypeError):
        # Some document is malformed: decoding them one by one names it.
        return [decode_merged(data, where) for data, where in objects]
    bounds = {
        name: np.cumsum([0, *(len(document[name]) for *_, document, _ in documents)]) for name in tables
    }
    return [
        MergedDay(
            day=day,
            coverage=coverage,
            **{name: table.iloc[bounds[name][i] : bounds[name][i + 1]].reset_index(drop=True) for name, table in tables.items()},
        )
        for i, (day, coverage, _, _) in enumerate(documents)
    ]


def decode_merged(data: bytes, where: str) -> MergedDay:
    try:
        document = json.loads(data)
        return MergedDay(
            day=pd.Timestamp(document["day"]),
            series=records_table(document["series"], SERIES_COLUMNS),
            windows=records_table(document["windows"], WINDOW_COLUMNS),
            matches=records_table(document["matches"], MATCH_DAY_COLUMNS),
            coverage=document["coverage"],
        )
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{where} is not a valid merged_dataset object: {error}") from None
