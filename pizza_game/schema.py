"""The canonical tables every source is normalized to, and the rules a row must pass.

Every collector (API, file import, generator) ends in ``normalize_orders`` or ``normalize_matches``:
good rows come back typed and de-duplicated, bad rows come back in a ``rejected`` table with the
original record, the reason and where it came from. Nothing is dropped silently.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from pizza_game.team_names import canonical_teams

SOURCES = ("real", "mock")

ORDER_COLUMNS: dict[str, str] = {
    "order_id": "str",
    "ordered_at": "datetime64[ns, UTC]",
    "store_id": "str",
    "region": "str",
    "items": "int64",
    "total": "float64",
    "source": "str",
}

MATCH_COLUMNS: dict[str, str] = {
    "match_id": "str",
    "competition": "str",
    "kickoff_at": "datetime64[ns, UTC]",
    "kickoff_known": "bool",
    "status": "str",
    "stage": "str",
    "matchday": "Int64",
    "home_team": "str",
    "away_team": "str",
    "home_score": "Int64",
    "away_score": "Int64",
    "home_score_ht": "Int64",
    "away_score_ht": "Int64",
    "winner": "str",
    "source": "str",
}

REJECTED_COLUMNS: dict[str, str] = {"where": "str", "reason": "str", "record": "str"}

# football-data.org v4 statuses (both spellings of cancelled exist in the wild).
MATCH_STATUSES = (
    "SCHEDULED",
    "TIMED",
    "IN_PLAY",
    "PAUSED",
    "FINISHED",
    "POSTPONED",
    "SUSPENDED",
    "CANCELLED",
    "CANCELED",
    "AWARDED",
)
# Matches that kicked off (AWARDED results may come from a decision, not a game): the only ones
# the analysis uses.
PLAYED_STATUSES = ("IN_PLAY", "PAUSED", "FINISHED")
WINNERS = ("HOME_TEAM", "AWAY_TEAM", "DRAW")

# Kick-offs before this are typos or placeholders (e.g. year 1900), not football we can analyse.
EARLIEST_PLAUSIBLE = pd.Timestamp("1990-01-01", tz="UTC")
# Bounds of an order (documented in docs/collectors.md): more is a typo or an overflow, not pizza.
MAX_ITEMS = 1000
MAX_TOTAL = 100_000.0
# Whole numbers beyond this lose precision as floats: never cast them.
MAX_EXACT = 2**53
# Rejected values nested deeper than this are kept as the start of their text.
MAX_DEPTH = 50
MAX_TEXT = 10_000

# How a naive local time that happens twice (clocks going back) is read: rejected (the default),
# or the earlier (summer time) or later (standard time) of the two instants.
AMBIGUOUS_RULES = ("reject", "earlier", "later")
ISO_TIMESTAMP = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?$"
)
DAY_MONTH = re.compile(r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}$")
SWAPPED = {"%d": "%m", "%m": "%d"}


@dataclass(frozen=True)
class Normalized:
    """Rows that passed (typed, canonical) and rows that did not (with a reason each)."""

    rows: pd.DataFrame
    rejected: pd.DataFrame


def empty_table(columns: dict[str, str]) -> pd.DataFrame:
    # A copy of one typed template: building the table costs a millisecond, and every raw
    # partition of a range holds an empty one (rejected rows, hours without orders).
    return _empty_template(tuple(columns.items())).copy()


@functools.cache
def _empty_template(columns: tuple[tuple[str, str], ...]) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in columns})


def empty_orders() -> pd.DataFrame:
    return empty_table(ORDER_COLUMNS)


def empty_matches() -> pd.DataFrame:
    return empty_table(MATCH_COLUMNS)


def empty_rejected() -> pd.DataFrame:
    return empty_table(REJECTED_COLUMNS)


def strict_json(value: object) -> str:
    """``value`` as strict JSON: no NaN or Infinity (written as the strings "nan", "inf"), and
    structures deeper than MAX_DEPTH kept as the start of their text."""
    return json.dumps(_finite(value, 0), sort_keys=True, default=str, allow_nan=False)


def _finite(value: object, depth: int) -> object:
    if isinstance(value, float) and not np.isfinite(value):
        return str(value)
    if depth >= MAX_DEPTH and isinstance(value, (dict, list, tuple)):
        return str(value)[:MAX_TEXT]
    if isinstance(value, dict):
        return {str(k): _finite(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v, depth + 1) for v in value]
    return value


def record_json(record: dict) -> str:
    """A record as JSON text, the way rejected rows keep it (missing values as null)."""
    return strict_json({str(k): _jsonable(v) for k, v in record.items()})


def _jsonable(value: object) -> object:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and not np.isfinite(value):
        return None if np.isnan(value) else str(value)
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    return value if isinstance(value, (str, int, float, bool, list, dict)) else str(value)


class DateFormatError(ValueError):
    """A file's dates cannot be read without guessing: a file-level error."""


def parse_utc(
    values: pd.Series,
    *,
    naive_timezone: str | None = None,
    date_format: str | None = None,
    ambiguous: str = "reject",
) -> tuple[pd.Series, np.ndarray]:
    """Parse timestamps to UTC. Returns (parsed, problem) where ``problem`` is a reason per row or "".

    Only ISO 8601 dates (2024-05-04, 2024-05-04T18:30:00+01:00) are read as they are. Dates in
    another form (05/10/2024) need ``date_format`` (strptime codes for the date part, e.g.
    "%d/%m/%Y"); without it they raise ``DateFormatError`` naming an example, and so does a file
    whose dates fit ``date_format`` in some rows and only its day/month swap in others.
    Strings with an offset or ``Z`` are converted to UTC. Naive strings are localized with
    ``naive_timezone`` when one is given and rejected otherwise: guessing a zone silently would
    shift every order by hours. Local times that do not exist (clocks going forward) are rejected;
    local times that happen twice are rejected or resolved by ``ambiguous`` (AMBIGUOUS_RULES).
    """
    if ambiguous not in AMBIGUOUS_RULES:
        raise ValueError(f"ambiguous must be one of {', '.join(AMBIGUOUS_RULES)}, not {ambiguous!r}")
    text = values.astype("string").str.strip()
    problem = np.full(len(values), "", dtype=object)
    missing = (text.isna() | (text == "")).to_numpy()
    problem[missing] = "missing timestamp"
    text = text.where(~missing, "")
    if date_format:
        text, problem = _reformat_dates(text, problem, date_format)
    iso = text.str.match(ISO_TIMESTAMP.pattern, na=False).to_numpy()
    other = ~iso & (problem == "")
    if other.any() and not date_format:
        example = text[other].iloc[0]
        if DAY_MONTH.match(example.split()[0]):
            raise DateFormatError(
                f"dates like {example!r} are ambiguous (day first or month first?): give the date "
                "format, e.g. --date-format %d/%m/%Y or --date-format %m/%d/%Y"
            )
    problem[other & (problem == "")] = "not an ISO 8601 timestamp (e.g. 2024-05-04T18:30:00+01:00)"
    has_zone = text.str.contains(r"(?:Z|[+-]\d{2}:?\d{2})$", regex=True, na=False).to_numpy() & iso
    parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    zoned = has_zone & (problem == "")
    if zoned.any():
        parsed.loc[zoned] = pd.to_datetime(text[zoned], utc=True, errors="coerce", format="ISO8601")
    naive = ~has_zone & (problem == "")
    if naive.any():
        if naive_timezone is None:
            problem[naive] = "naive timestamp (no UTC offset); give the source's timezone"
        else:
            local = pd.to_datetime(text[naive], errors="coerce", format="ISO8601")
            localized, local_problem = _localize(local, naive_timezone, ambiguous)
            parsed.loc[naive] = localized
            problem[naive] = np.where(problem[naive] == "", local_problem, problem[naive])
    unparsable = parsed.isna().to_numpy() & (problem == "")
    problem[unparsable] = "not a valid date or time"
    return parsed.astype("datetime64[ns, UTC]"), problem


def _reformat_dates(text: pd.Series, problem: np.ndarray, date_format: str) -> tuple[pd.Series, np.ndarray]:
    """Non-ISO date parts rewritten as ISO with ``date_format``; DateFormatError on a mixed file."""
    swapped = re.sub(r"%[dm]", lambda m: SWAPPED[m.group()], date_format)
    problem = problem.copy()
    out = text.copy()
    for position, value in enumerate(text.tolist()):
        if problem[position] or ISO_TIMESTAMP.match(value):
            continue
        day, _, rest = value.partition(" ")
        try:
            iso_day = datetime.strptime(day, date_format).strftime("%Y-%m-%d")
        except ValueError:
            try:
                datetime.strptime(day, swapped)
            except ValueError:
                problem[position] = f"date {day!r} does not match the date format {date_format}"
                continue
            raise DateFormatError(
                f"dates mix day-first and month-first: {day!r} only fits {swapped}, not the date "
                f"format {date_format} the other dates use"
            ) from None
        out.iloc[position] = f"{iso_day}T{rest.strip()}" if rest.strip() else iso_day
    return out, problem


def _localize(local: pd.Series, zone: str, ambiguous: str) -> tuple[pd.Series, np.ndarray]:
    """Local wall-clock times as UTC instants, and a problem per row (nonexistent, ambiguous)."""
    summer = np.ones(len(local), dtype=bool)
    earlier = local.dt.tz_localize(zone, ambiguous=summer, nonexistent="NaT")
    later = local.dt.tz_localize(zone, ambiguous=~summer, nonexistent="NaT")
    problem = np.full(len(local), "", dtype=object)
    problem[(earlier.isna() & local.notna()).to_numpy()] = "nonexistent local time (skipped when the clocks went forward)"
    twice = (earlier != later).to_numpy() & earlier.notna().to_numpy()
    chosen = later if ambiguous == "later" else earlier
    if ambiguous == "reject":
        problem[twice] = "ambiguous local time (happens twice when the clocks go back); choose --ambiguous earlier or later"
        chosen = chosen.where(~twice)
    return chosen.dt.tz_convert("UTC"), problem


def _nested(records: pd.DataFrame) -> tuple[str, np.ndarray]:
    """Rows holding an object or an array in some field (records are flat tables)."""
    bad = np.zeros(len(records), dtype=bool)
    for name in records.columns:
        if name != "_where" and records[name].dtype == object:
            bad |= records[name].map(lambda v: isinstance(v, (dict, list, tuple))).to_numpy(dtype=bool)
    return "a field holds a nested object or array (records must be flat)", bad


def _required(records: pd.DataFrame, where: str, kind: str, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in records.columns]
    if missing:
        raise ValueError(
            f"{where}: {kind} need the column(s) {', '.join(missing)}, which the file lacks; "
            f"found {sorted(str(c) for c in records.columns if c != '_where')}"
        )


def _where(records: pd.DataFrame, where: str) -> pd.Series:
    if "_where" in records.columns:
        return records["_where"].astype(str)
    return pd.Series([f"{where} row {i}" for i in range(len(records))], index=records.index)


def _first_problem(problems: list[tuple[str, np.ndarray]], n: int) -> np.ndarray:
    reason = np.full(n, "", dtype=object)
    for text, mask in problems:
        fill = mask & (reason == "")
        reason[fill] = text
    return reason


def _collect_rejected(records: pd.DataFrame, reason: np.ndarray, where: pd.Series, at: pd.Series) -> pd.DataFrame:
    """The rejected rows, whole, with ``at``: their UTC time where it could be read (NaT else),
    which places each in the partition of its own time."""
    bad = reason != ""
    if not bad.any():
        return empty_rejected()
    return pd.DataFrame(
        {
            "where": where.to_numpy()[bad],
            "reason": reason[bad],
            "at": at.to_numpy()[bad],
            "record": [record_json(r) for r in records.loc[bad].drop(columns="_where", errors="ignore").to_dict(orient="records")],
        }
    )


def _int_column(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Whole numbers as Int64; anything else (text, fractions, infinities, numbers too large to be
    exact) flagged. Missing stays <NA>."""
    numeric = pd.to_numeric(values.map(_scalar), errors="coerce").astype("float64")
    missing = values.isna().to_numpy()
    number = numeric.to_numpy()
    with np.errstate(invalid="ignore"):
        exact = np.isfinite(number) & (np.abs(number) <= MAX_EXACT) & (np.mod(number, 1) == 0)
    bad = ~exact & ~missing
    clean = pd.Series(np.where(exact, number, np.nan), index=values.index)
    return clean.astype("Int64"), bad


def _float_column(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Finite numbers as float64; text, infinities and NaN given as a value flagged."""
    numeric = pd.to_numeric(values.map(_scalar), errors="coerce").astype("float64")
    finite = np.isfinite(numeric.to_numpy())
    bad = ~finite & ~values.isna().to_numpy()
    return numeric.where(finite), bad


def _scalar(value: object) -> object:
    """Booleans and containers are not numbers (pandas would read True as 1)."""
    return None if isinstance(value, (bool, np.bool_, dict, list, tuple)) else value


def normalize_orders(
    records: pd.DataFrame,
    *,
    source: str,
    where: str,
    naive_timezone: str | None = None,
    date_format: str | None = None,
    ambiguous: str = "reject",
) -> Normalized:
    """Canonical orders from loosely typed records (API pages, files, generators).

    Accepts ``ordered_at`` or ``date`` + ``time``; ``order_id`` is required. ``store_id`` and
    ``region`` default to "unknown", ``items`` to 1 and ``total`` to 0.0 only when the column is
    absent altogether. ``items`` is a whole number from 1 to MAX_ITEMS, ``total`` a finite number
    from 0 to MAX_TOTAL; timestamps as ``parse_utc`` reads them.
    Duplicated ``order_id``s collapse to the first; the others are rejected as duplicates.
    """
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, not {source!r}")
    records = records.reset_index(drop=True)
    n = len(records)
    if n == 0:
        return Normalized(empty_orders(), empty_rejected())
    origin = _where(records, where)
    _required(records, where, "orders", ("order_id",))
    if "ordered_at" in records.columns:
        stamp = records["ordered_at"]
    elif {"date", "time"} <= set(records.columns):
        stamp = records["date"].astype("string") + " " + records["time"].astype("string")
    else:
        raise ValueError(
            f"{where}: orders need an 'ordered_at' column or 'date' and 'time' columns; "
            f"found {sorted(c for c in records.columns if c != '_where')}"
        )
    ordered_at, time_problem = parse_utc(
        stamp, naive_timezone=naive_timezone, date_format=date_format, ambiguous=ambiguous
    )
    order_id = records["order_id"].map(_scalar).astype("string").str.strip()
    items_raw = records["items"] if "items" in records.columns else pd.Series([1] * n)
    total_raw = records["total"] if "total" in records.columns else pd.Series([0.0] * n)
    items, items_bad = _int_column(items_raw)
    total, total_bad = _float_column(total_raw)
    problems = [_nested(records), ("missing order_id", (order_id.isna() | (order_id == "")).to_numpy())]
    problems += [(text, time_problem == text) for text in pd.unique(time_problem) if text]
    problems += [
        ("items is not a whole number", items_bad),
        ("missing items", items.isna().to_numpy() & ~items_bad),
        (f"items must be from 1 to {MAX_ITEMS:,}", ((items.fillna(1) < 1) | (items.fillna(1) > MAX_ITEMS)).to_numpy()),
        ("total is not a finite number", total_bad),
        ("missing total", total.isna().to_numpy() & ~total_bad),
        (f"total must be from 0 to {MAX_TOTAL:,.0f}", ((total.fillna(0) < 0) | (total.fillna(0) > MAX_TOTAL)).to_numpy()),
    ]
    reason = _first_problem(problems, n)
    text_col = lambda name: (  # noqa: E731 - tiny local helper
        records[name].astype("string").fillna("unknown").str.strip()
        if name in records.columns
        else pd.Series(["unknown"] * n, dtype="string")
    )
    table = pd.DataFrame(
        {
            "order_id": order_id,
            "ordered_at": ordered_at,
            "store_id": text_col("store_id"),
            "region": text_col("region"),
            "items": items,
            "total": total,
            "source": source,
        }
    )
    ok = reason == ""
    duplicate = np.zeros(n, dtype=bool)
    duplicate[ok] = table.loc[ok, "order_id"].duplicated(keep="first").to_numpy()
    reason[duplicate] = "duplicate order_id (the first one is kept)"
    rejected = _collect_rejected(records, reason, origin, ordered_at)
    good = table.loc[reason == ""]
    return Normalized(coerce(good, ORDER_COLUMNS), rejected)


def normalize_matches(
    records: pd.DataFrame,
    *,
    source: str,
    where: str,
    naive_timezone: str | None = None,
    date_format: str | None = None,
    ambiguous: str = "reject",
) -> Normalized:
    """Canonical matches from records that already use the canonical column names.

    Naive ``kickoff_at`` values are localized with ``naive_timezone`` (as in ``parse_utc``).

    ``kickoff_known`` defaults to True except for SCHEDULED matches at T00:00:00Z (football-data.org
    puts unknown kick-off times at midnight UTC). ``winner`` is derived from the score of finished
    matches when the source does not give it. Unknown statuses, kick-offs before 1990, scores
    that are not whole non-negative numbers and rows without teams are rejected. Team names are
    made canonical (``team_names``); names the alias table does not know are kept.
    """
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, not {source!r}")
    records = records.reset_index(drop=True)
    n = len(records)
    if n == 0:
        return Normalized(empty_matches(), empty_rejected())
    origin = _where(records, where)
    _required(records, where, "matches", ("match_id", "kickoff_at", "home_team", "away_team"))

    def col(name: str, default: object = None) -> pd.Series:
        return records[name] if name in records.columns else pd.Series([default] * n)

    kickoff_at, time_problem = parse_utc(
        records["kickoff_at"], naive_timezone=naive_timezone, date_format=date_format, ambiguous=ambiguous
    )
    status = col("status", "FINISHED").astype("string").str.strip().str.upper().fillna("FINISHED")
    match_id = records["match_id"].map(_scalar).astype("string").str.strip()
    home, away = (
        canonical_teams(records[c].map(_scalar).astype("string").str.strip()) for c in ("home_team", "away_team")
    )
    scores = {}
    problems: list[tuple[str, np.ndarray]] = [
        _nested(records),
        ("missing match_id", (match_id.isna() | (match_id == "")).to_numpy()),
        ("missing home_team or away_team", (home.isna() | away.isna() | (home == "") | (away == "")).to_numpy()),
    ]
    problems += [(text, time_problem == text) for text in pd.unique(time_problem) if text]
    problems.append(
        (
            f"kick-off before {EARLIEST_PLAUSIBLE.year} is not plausible",
            (kickoff_at < EARLIEST_PLAUSIBLE).fillna(False).to_numpy(),
        )
    )
    problems.append((f"unknown status (expected one of {', '.join(MATCH_STATUSES)})", ~status.isin(MATCH_STATUSES).to_numpy()))
    for name in ("home_score", "away_score", "home_score_ht", "away_score_ht", "matchday"):
        values, bad = _int_column(col(name))
        scores[name] = values
        problems.append((f"{name} is not a whole number", bad))
        problems.append((f"{name} must not be negative", (values.fillna(0) < 0).to_numpy()))
    winner = col("winner").astype("string").str.strip().str.upper()
    decided = status.isin(("FINISHED", "AWARDED")) & winner.isna()
    decided &= scores["home_score"].notna() & scores["away_score"].notna()
    if decided.any():
        home_goals, away_goals = scores["home_score"][decided], scores["away_score"][decided]
        winner = winner.copy()
        winner[decided] = np.where(
            home_goals > away_goals, "HOME_TEAM", np.where(home_goals < away_goals, "AWAY_TEAM", "DRAW")
        )
    problems.append(("unknown winner", (~winner.isna() & ~winner.isin(WINNERS)).to_numpy()))
    reason = _first_problem(problems, n)
    midnight = kickoff_at.dt.hour.eq(0) & kickoff_at.dt.minute.eq(0)
    default_known = ~(status.eq("SCHEDULED") & midnight).fillna(False)
    if "kickoff_known" in records.columns:
        known = records["kickoff_known"].map(
            lambda v: v if isinstance(v, (bool, np.bool_)) else str(v).strip().lower() in ("true", "1")
        )
        kickoff_known = known.where(records["kickoff_known"].notna(), default_known).astype(bool)
    else:
        kickoff_known = default_known.astype(bool)
    table = pd.DataFrame(
        {
            "match_id": match_id,
            "competition": col("competition", "unknown").astype("string").fillna("unknown"),
            "kickoff_at": kickoff_at,
            "kickoff_known": kickoff_known,
            "status": status,
            "stage": col("stage").astype("string"),
            "matchday": scores["matchday"],
            "home_team": home,
            "away_team": away,
            "home_score": scores["home_score"],
            "away_score": scores["away_score"],
            "home_score_ht": scores["home_score_ht"],
            "away_score_ht": scores["away_score_ht"],
            "winner": winner,
            "source": source,
        }
    )
    ok = reason == ""
    duplicate = np.zeros(n, dtype=bool)
    duplicate[ok] = table.loc[ok, "match_id"].duplicated(keep="last").to_numpy()
    reason[duplicate] = "duplicate match_id (the last one is kept: it is the most recent state)"
    rejected = _collect_rejected(records, reason, origin, kickoff_at)
    return Normalized(coerce(table.loc[reason == ""], MATCH_COLUMNS), rejected)


def coerce(table: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """``table`` with exactly ``columns``, in order, cast to their canonical dtypes."""
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"table lacks canonical columns {missing}")
    out = {}
    for name, dtype in columns.items():
        values = table[name]
        if dtype == "str":
            if values.dtype != object or pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
                values = values.astype("string").astype(object)
            out[name] = values.where(values.notna(), None)
        elif dtype.startswith("datetime64"):
            if str(values.dtype) != dtype:
                text = values.dtype == object or pd.api.types.is_string_dtype(values)
                values = pd.to_datetime(values, utc=True, format="ISO8601" if text else None).astype(pd.api.types.pandas_dtype(dtype))
            out[name] = values
        else:
            out[name] = values if str(values.dtype) == dtype else values.astype(pd.api.types.pandas_dtype(dtype))
    return pd.DataFrame(out).reset_index(drop=True)
