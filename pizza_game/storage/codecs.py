"""How each kind of object is written: JSON and CSV that people and QuickSight can read.

Timestamps are ISO 8601 in UTC with a ``Z`` ("2024-05-04T18:00:00Z", with microseconds only in
columns that need them), a format QuickSight parses as a date; missing values are JSON null / an
empty CSV cell.
"""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
import pandas as pd

from pizza_game.analysis.merge import SERIES_COLUMNS, WINDOW_COLUMNS, MergedDay
from pizza_game.collectors.raw import RawPartition
from pizza_game.schema import MATCH_COLUMNS, ORDER_COLUMNS, REJECTED_COLUMNS, coerce

JSON_TYPE = "application/json"
CSV_TYPE = "text/csv"


def _iso_frame(table: pd.DataFrame) -> pd.DataFrame:
    out = table.copy()
    for name in out.columns:
        if isinstance(out[name].dtype, pd.DatetimeTZDtype):
            utc = out[name].dt.tz_convert("UTC")
            fraction = (utc.dt.microsecond != 0).any() or (utc.dt.nanosecond != 0).any()
            text = utc.dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if fraction else "%Y-%m-%dT%H:%M:%SZ")
            out[name] = text.astype(object).where(out[name].notna(), None)
    return out


def records_table(records: list[dict[str, Any]], columns: dict[str, str]) -> pd.DataFrame:
    """A table with canonical ``columns`` from the JSON records ``to_json`` wrote for it."""
    if not records:
        return coerce(pd.DataFrame({c: pd.Series(dtype=object) for c in columns}), columns)
    return coerce(pd.DataFrame.from_records(records), columns)


def to_csv(table: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    _spreadsheet_safe(_iso_frame(table)).to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue().encode("utf-8")


def _spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells a spreadsheet would run as a formula (starting with =, +, -, @, tab or CR, the
    OWASP CSV-injection rule) get a leading apostrophe; numbers such as "-3" are left alone."""
    out = frame.copy()
    for name in out.columns:
        if out[name].dtype == object or pd.api.types.is_string_dtype(out[name]):
            text = out[name].astype("string")
            risky = text.str.match(r"[=+\-@\t\r]", na=False) & pd.to_numeric(text, errors="coerce").isna()
            if risky.any():
                out[name] = out[name].where(~risky, "'" + text)
    return out


def from_csv(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data))


def table_records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready records: ISO timestamps, None for missing values, plain Python scalars.

    Column by column (``tolist`` boxes to Python types in C), not value by value: a per-value
    loop here was most of a run's time. Floats stay exact (``json`` writes them with ``repr``).
    """
    frame = _iso_frame(table)
    columns = [frame[name].astype(object).where(frame[name].notna(), None).tolist() for name in frame.columns]
    names = [str(name) for name in frame.columns]
    return [dict(zip(names, row)) for row in zip(*columns)]


def to_json(document: Any) -> bytes:
    """``document`` as compact JSON; DataFrames inside it become arrays of records."""
    return json.dumps(document, separators=(",", ":"), default=_default).encode("utf-8")


def _default(value: Any) -> Any:
    if isinstance(value, pd.DataFrame):
        return table_records(value)
    if isinstance(value, pd.Timestamp):
        return value.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ") if value.tzinfo else value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def encode_raw(asset: str, partition: str, start: pd.Timestamp, end: pd.Timestamp, part: RawPartition) -> bytes:
    columns = ORDER_COLUMNS if asset == "raw_orders" else MATCH_COLUMNS
    document = {
        "asset": asset,
        "partition": partition,
        "window_start": start,
        "window_end": end,
        "source": part.source,
        "row_count": int(len(part.rows)),
        "rejected_count": int(len(part.rejected)),
        "notes": part.notes,
        "rows": coerce(part.rows, columns),
        "rejected": part.rejected,
        "responses": part.responses,
    }
    return to_json(document)


def decode_raw(asset: str, data: bytes, where: str) -> RawPartition:
    columns = ORDER_COLUMNS if asset == "raw_orders" else MATCH_COLUMNS
    try:
        document = json.loads(data)
        return RawPartition(
            source=document["source"],
            rows=records_table(document["rows"], columns),
            rejected=records_table(document.get("rejected", []), REJECTED_COLUMNS),
            responses=document.get("responses", []),
            notes=document.get("notes", {}),
        )
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{where} is not a valid {asset} object: {error}") from None


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
