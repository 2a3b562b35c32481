"""Orders and matches from files a user drops in (``pizza-game import orders|matches FILE``).

Formats (chosen by the suffix .csv / .json, else by the first character of the file):
- CSV with a header row, UTF-8; empty cells are missing values.
- JSON: an array of records, or ``{"orders": [...]}`` / ``{"matches": [...]}``. For matches also
  an openfootball file (``{"name", "matches": [{"round", "date", "time", "team1", "team2",
  "score": {"ht": [h, a], "ft": [h, a]}}]}``) and a saved football-data.org v4 response.
Naive timestamps are local times of ``timezone`` and stored in UTC; dates are ISO 8601 unless
``date_format`` says how they are written (normalize.timestamps.parse_utc: a file mixing day-first and
month-first dates is refused). Rows more than ``outlier_days`` from the rest of the file (the
rows are cut into periods wherever no row falls for that long; all but the largest period are
rejected) are rejected as suspect: one mistyped year would otherwise create a year of empty
partitions. Problems with the whole file (unreadable, over MAX_FILE_BYTES, nested too deeply,
required columns missing, ambiguous dates) raise ``ImportFileError`` naming the file; bad records
come back rejected, at "FILE row N" (N counts records from 1, header excluded).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from pizza_game.collectors.football_data import match_records
from pizza_game.collectors.rejected import concat_rejected, rejected_entry, rejected_table
from pizza_game.normalize.json_text import record_json
from pizza_game.normalize.matches import normalize_matches
from pizza_game.normalize.orders import normalize_orders
from pizza_game.normalize.timestamps import DateFormatError
from pizza_game.schema import Normalized

MATCHDAY = re.compile(r"matchday\s+(\d+)", re.IGNORECASE)
MAX_FILE_BYTES = 100 * 1024 * 1024
# Default outlier limits: orders come every day; cups play a round a month or two apart, and
# seasons break for about three months in summer.
OUTLIER_DAYS = {"orders": 31, "matches": 183}


class ImportFileError(ValueError):
    """The file as a whole cannot be imported (unreadable, not JSON/CSV, not a table of records)."""


@dataclass(frozen=True)
class ReadOptions:
    """How to read a file's times: zone of naive times, date format, DST rule, outlier limit."""

    timezone: str | None = None
    date_format: str | None = None
    ambiguous: str = "reject"
    outlier_days: float | None = None  # None: OUTLIER_DAYS of the kind of file


def import_orders(path: str | Path, *, timezone: str | None = None, options: ReadOptions | None = None) -> Normalized:
    """Canonical orders (source "real") from ``path``; see docs/collectors.md for the columns."""
    path = Path(path)
    options = options or ReadOptions(timezone=timezone)
    _check_timezone(options.timezone)
    records, bad = _table(path, _load(path), "orders")
    return _normalized(normalize_orders, records, bad, path, options, "orders")


def import_matches(path: str | Path, *, timezone: str | None = None, options: ReadOptions | None = None) -> Normalized:
    """Canonical matches (source "real") from ``path``: canonical, openfootball or v4 records."""
    path = Path(path)
    options = options or ReadOptions(timezone=timezone)
    _check_timezone(options.timezone)
    data = _load(path)
    if isinstance(data, dict) and _looks_like(data.get("matches"), "team1"):
        records, bad = openfootball_records(data, where=f"{path} row")
    elif isinstance(data, dict) and _looks_like(data.get("matches"), "utcDate"):
        records, bad = match_records(data, where=f"{path} row")
    else:
        records, bad = _table(path, data, "matches")
    return _normalized(normalize_matches, records, bad, path, options, "matches")


def _normalized(
    normalize: Callable[..., Normalized],
    records: pd.DataFrame,
    bad: pd.DataFrame,
    path: Path,
    options: ReadOptions,
    kind: str,
) -> Normalized:
    if len(records) == 0 and len(bad) == 0:
        raise ImportFileError(f"{path}: contains no records")
    try:
        normalized = normalize(
            records,
            source="real",
            where=str(path),
            naive_timezone=options.timezone,
            date_format=options.date_format,
            ambiguous=options.ambiguous,
        )
    except DateFormatError as exc:
        raise ImportFileError(f"{path}: {exc}") from None
    except ValueError as exc:
        raise ImportFileError(str(exc)) from None
    time_column, id_column = ("ordered_at", "order_id") if kind == "orders" else ("kickoff_at", "match_id")
    days = OUTLIER_DAYS[kind] if options.outlier_days is None else options.outlier_days
    rows, suspect = _outliers(normalized.rows, time_column, id_column, days, path)
    return Normalized(rows, concat_rejected([bad, normalized.rejected, suspect]))


def _outliers(
    rows: pd.DataFrame, time_column: str, id_column: str, days: float, path: Path
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows of the file's main period, the others rejected as suspect)."""
    if len(rows) < 2:
        return rows, rejected_table([])
    times = rows[time_column].sort_values(kind="stable")
    period = (times.diff() > pd.Timedelta(days=days)).cumsum()
    sizes = period.value_counts(sort=False)
    main = sizes.index[int(np.argmax(sizes.to_numpy()))]
    keep = (period == main).reindex(rows.index).to_numpy()
    if keep.all():
        return rows, rejected_table([])
    first, last = times[period == main].iloc[[0, -1]]
    reason = (
        f"{time_column} more than {days:g} days from the file's main period ({first:%Y-%m-%d} to "
        f"{last:%Y-%m-%d}): a typo? (--outlier-days sets the limit)"
    )
    suspect = rows.loc[~keep]
    table = pd.DataFrame(
        {
            "where": [f"{path} {id_column} {value}" for value in suspect[id_column]],
            "reason": reason,
            "record": [record_json(r) for r in suspect.to_dict(orient="records")],
            "at": suspect[time_column].to_numpy(),
        }
    )
    return rows.loc[keep].reset_index(drop=True), table


def _check_timezone(timezone: str | None) -> None:
    if timezone is None:
        return
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown timezone {timezone!r}: use an IANA name such as America/New_York"
        ) from None


def _load(path: Path) -> object:
    """Parsed JSON (dict or list) or a CSV as a list of rows; ``ImportFileError`` if neither."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ImportFileError(
                f"{path}: {size / 2**20:,.0f} MB is over the {MAX_FILE_BYTES / 2**20:,.0f} MB a "
                "file may hold; split it into smaller files"
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"{path}: not UTF-8 text (byte {exc.start} cannot be decoded)"
        ) from None
    if not text.strip():
        raise ImportFileError(f"{path}: the file is empty")
    suffix = path.suffix.lower()
    if suffix == ".json" or (suffix != ".csv" and text.lstrip()[0] in "[{"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ImportFileError(
                f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
            ) from None
        except RecursionError:
            raise ImportFileError(f"{path}: JSON nested too deeply to be a table of records") from None
    return _csv_rows(path, text)


@dataclass(frozen=True)
class _MalformedRow:
    """A CSV line whose number of fields differs from the header's."""

    fields: list[str]
    expected: int


def _csv_rows(path: Path, text: str) -> list[dict[str, str | None] | _MalformedRow]:
    """Rows of a CSV as dicts keyed by the header (blank lines skipped, empty cells None)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[dict[str, str | None] | _MalformedRow] = []
    try:
        header = [name.strip() for name in next(reader)]
        if len(set(header)) != len(header) or "" in header:
            raise ImportFileError(
                f"{path}: the CSV header has empty or repeated column names: {header}"
            )
        for fields in reader:
            if not fields:
                continue
            if len(fields) != len(header):
                rows.append(_MalformedRow(fields, len(header)))
            else:
                rows.append(
                    {
                        name: (value if value.strip() else None)
                        for name, value in zip(header, fields, strict=True)
                    }
                )
    except csv.Error as exc:
        raise ImportFileError(
            f"{path}: not a readable CSV table (line {reader.line_num}: {exc})"
        ) from None
    return rows


def _table(path: Path, data: object, key: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(records with ``_where``, rejected entries) from a list of records or ``{key: [...]}``."""
    if isinstance(data, dict) and isinstance(data.get(key), list):
        data = data[key]
    if not isinstance(data, list):
        found = (
            f"an object with keys {sorted(data)}" if isinstance(data, dict) else type(data).__name__
        )
        raise ImportFileError(
            f"{path}: expected an array of {key} records or an object holding them under "
            f"'{key}'; found {found}"
        )
    records, bad = [], []
    for number, record in enumerate(data, start=1):
        where = f"{path} row {number}"
        if isinstance(record, dict):
            records.append({**record, "_where": where})
        elif isinstance(record, _MalformedRow):
            reason = f"has {len(record.fields)} fields, the header has {record.expected}"
            bad.append(rejected_entry(where, reason, record.fields))
        else:
            bad.append(rejected_entry(where, "record is not a JSON object", record))
    return pd.DataFrame.from_records(records) if records else pd.DataFrame(), rejected_table(bad)


def openfootball_records(data: dict, *, where: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """openfootball matches in canonical columns; ``match_id`` hashes name, date and teams.

    ``ft`` is the regular-time score (openfootball keeps extra time in ``et``, shoot-outs in ``p``).
    """
    given = data.get("name")
    name = given if isinstance(given, str) else "openfootball"
    records, bad = [], []
    for number, match in enumerate(data["matches"], start=1):
        origin = f"{where} {number}"
        if not isinstance(match, dict):
            bad.append(rejected_entry(origin, "match is not a JSON object", match))
            continue
        try:
            records.append({**openfootball_record(match, name), "_where": origin})
        except ValueError as exc:
            bad.append(rejected_entry(origin, str(exc), match))
    return pd.DataFrame.from_records(records) if records else pd.DataFrame(), rejected_table(bad)


def openfootball_record(match: dict, competition: str) -> dict[str, object]:
    given = match.get("score")
    score = given if isinstance(given, dict) else {}
    home, away = _pair(score, "ft")
    home_ht, away_ht = _pair(score, "ht")
    day, time = match.get("date"), match.get("time")
    team1, team2 = (_team(match.get(side)) for side in ("team1", "team2"))
    round_name = match.get("round")
    matchday = MATCHDAY.fullmatch(round_name.strip()) if isinstance(round_name, str) else None
    identity = "|".join(str(part) for part in (competition, day, team1, team2))
    played = home is not None and away is not None
    return {
        "match_id": "openfootball-" + hashlib.sha1(identity.encode()).hexdigest()[:16],
        "competition": competition,
        "kickoff_at": f"{day} {time}" if day and time else day,
        "kickoff_known": bool(time),
        "status": "FINISHED" if played else ("TIMED" if time else "SCHEDULED"),
        "stage": "REGULAR_SEASON" if matchday else round_name,
        "matchday": int(matchday.group(1)) if matchday else None,
        "home_team": team1,
        "away_team": team2,
        "home_score": home,
        "away_score": away,
        "home_score_ht": home_ht,
        "away_score_ht": away_ht,
        "winner": _winner(score) if played else None,
    }


def _pair(score: dict, key: str) -> tuple[object, object]:
    value = score.get(key)
    if value is None:
        return None, None
    if not isinstance(value, list) or len(value) != 2:
        raise ValueError(f"score.{key} is not a [home, away] pair")
    return value[0], value[1]


def _winner(score: dict) -> str | None:
    """The team that won in the end: shoot-out (p), else extra time (et), else full time (ft)."""
    for key in ("p", "et", "ft"):
        pair = score.get(key)
        if isinstance(pair, list) and len(pair) == 2 and all(isinstance(v, int) for v in pair):
            return (
                "HOME_TEAM" if pair[0] > pair[1] else "AWAY_TEAM" if pair[1] > pair[0] else "DRAW"
            )
    return None


def _team(value: object) -> object:
    return value.get("name") if isinstance(value, dict) else value


def _looks_like(matches: object, key: str) -> bool:
    return isinstance(matches, list) and any(isinstance(m, dict) and key in m for m in matches)
