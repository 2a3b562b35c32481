"""A merged day in a compact columnar form, for the analysis to read a year of days every hour.

The merged JSON document is the readable record of a day; decoding a year of them (parse the
records, then type every column) was most of the hourly run's reading. Beside each merged day the
same tables are stored column by column as raw numpy buffers (strings as labels and codes), with
the day and its coverage in a small JSON header. Decoding is ``np.frombuffer`` per column.

The header carries the SHA-256 of the merged JSON bytes it was built from. A reader uses the
columns only when that digest matches the JSON object stored now, so a merged day rewritten by
anything (a rerun, a crash between the two writes, a concurrent writer, older code) is never read
through a stale copy: it is decoded from its JSON instead. The digest of the JSON stored now is
known without reading it again when the listing gives the object the version token it was read
and hashed at earlier, in this process or (a local store) a previous one (storage/known_digests.py):
any rewrite gives a new token.

Layout: ``MAGIC``, the header's length (8 bytes, little endian), the header (UTF-8 JSON), then
the buffers at the offsets the header gives.
"""

from __future__ import annotations

import functools
import hashlib
import json
import struct
from typing import Any

import numpy as np
import pandas as pd

from pizza_game.storage.iso_times import utc_nanos

MAGIC = b"PIZZA-GAME-MERGED-COLUMNS-1\n"
COLUMNS_TYPE = "application/octet-stream"


def digest(merged_json: bytes) -> str:
    return hashlib.sha256(merged_json).hexdigest()


def _column(values: pd.Series, dtype: str) -> tuple[dict[str, Any], list[np.ndarray]]:
    """The header entry and buffers of one canonical column."""
    if dtype == "str":
        codes, labels = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=False)
        texts = [None if label is None or (isinstance(label, float) and np.isnan(label)) else str(label) for label in labels]
        return {"kind": "str", "labels": texts}, [codes.astype("<i4")]
    if dtype == "Int64":
        array = values.array
        return {"kind": "Int64"}, [np.asarray(array.to_numpy(dtype="int64", na_value=0), dtype="<i8"), np.asarray(array.isna(), dtype=bool)]
    if dtype.startswith("datetime64[ns"):
        return {"kind": "datetime"}, [utc_nanos(values).view("<i8")]
    if dtype in ("bool", "int64", "float64"):
        return {"kind": dtype}, [values.to_numpy(dtype=dtype).astype(np.dtype(dtype).newbyteorder("<"))]
    raise ValueError(f"no columnar form for dtype {dtype}")


@functools.cache
def _no_rows(dtype: str) -> tuple[dict[str, Any], list[np.ndarray]]:
    """``_column`` of a column without rows of canonical ``dtype``: the same for every one (most
    days have no match windows; their 27 empty columns took as long as the day's series)."""
    return _column(pd.Series([], dtype=object if dtype == "str" else dtype), dtype)


def encode_columns(fields: dict[str, Any], tables: dict[str, tuple[pd.DataFrame, dict[str, str]]]) -> bytes:
    """The columnar object of ``tables``, name -> (table, canonical columns), with ``fields`` (JSON
    values: for a merged day, the digest of its merged JSON and its day and coverage as that JSON
    holds them) in its header."""
    header: dict[str, Any] = {**fields, "tables": {}}
    buffers: list[bytes] = []
    offset = 0
    for name, (table, columns) in tables.items():
        entry: dict[str, Any] = {"rows": len(table), "columns": {}}
        for column, dtype in columns.items():
            if len(table):
                spec, arrays = _column(table[column], dtype)
            elif column in table:
                spec, arrays = _no_rows(dtype)
                spec = dict(spec)
            else:
                raise KeyError(column)
            spec["buffers"] = []
            for array in arrays:
                data = np.ascontiguousarray(array).tobytes()
                spec["buffers"].append([offset, len(data), array.dtype.str])
                buffers.append(data)
                offset += len(data)
            entry["columns"][column] = spec
        header["tables"][name] = entry
    head = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return MAGIC + struct.pack("<Q", len(head)) + head + b"".join(buffers)


def read_header(data: bytes) -> tuple[dict[str, Any], memoryview]:
    """The header and the buffers of a columnar object; ValueError if it is not one."""
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + 8:
        raise ValueError("not a merged columns object")
    (length,) = struct.unpack_from("<Q", data, len(MAGIC))
    start = len(MAGIC) + 8
    header = json.loads(data[start : start + length])
    return header, memoryview(data)[start + length :]


def _arrays(spec: dict[str, Any], body: memoryview) -> list[np.ndarray]:
    out = []
    for offset, length, dtype in spec["buffers"]:
        if offset < 0 or offset + length > len(body):
            raise ValueError("a column lies outside the object")
        out.append(np.frombuffer(body[offset : offset + length], dtype=np.dtype(dtype)))
    return out


def decode_tables(days: list[tuple[dict[str, Any], memoryview]], tables: dict[str, dict[str, str]]) -> dict[str, tuple[pd.DataFrame, list[int]]]:
    """Each table of several columnar days, stacked, with its rows per day (as coerce types them)."""
    out = {}
    for name, columns in tables.items():
        rows = [header["tables"][name]["rows"] for header, _ in days]
        frame = {}
        # Most days hold no match window: only the days with rows are read column by column.
        held = [(header["tables"][name]["columns"], body) for header, body in days if header["tables"][name]["rows"]]
        for column, dtype in columns.items():
            parts = []
            for specs, body in held:
                spec = specs[column]
                arrays = _arrays(spec, body)
                if spec["kind"] == "str":
                    parts.append(np.array(spec["labels"], dtype=object)[arrays[0]])
                else:
                    parts.append(arrays)
            frame[column] = _stack(dtype, parts)
            if len(frame[column]) != sum(rows):
                raise ValueError(f"column {name}.{column} has {len(frame[column])} rows, not {sum(rows)}")
        out[name] = (pd.DataFrame(frame), rows)
    return out


def _stack(dtype: str, parts: list) -> Any:
    if dtype == "str":
        return pd.Series(np.concatenate(parts) if parts else np.array([], dtype=object), dtype=object)
    first = [p[0] for p in parts]
    values = np.concatenate(first) if first else np.array([], dtype="int64")
    if dtype == "Int64":
        mask = np.concatenate([p[1] for p in parts]) if parts else np.array([], dtype=bool)
        return pd.arrays.IntegerArray(values.astype("int64", copy=False), mask.astype(bool, copy=False))
    if dtype.startswith("datetime64[ns"):
        return pd.Series(pd.DatetimeIndex(values.astype("int64", copy=False).view("datetime64[ns]")).tz_localize("UTC"))
    # The concatenation is already a new array: typing it needs no second copy.
    return values.astype(dtype, copy=False)
