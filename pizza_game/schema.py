"""The canonical tables every source is normalized to, and the rules a row must pass.

Every collector (API, file import, generator) ends in ``normalize_orders`` or ``normalize_matches``:
good rows come back typed and de-duplicated, bad rows come back in a ``rejected`` table with the
original record, the reason and where it came from. Nothing is dropped silently.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pizza_game.collectors.team_names import canonical_teams

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


def _to_json(record: dict) -> str:
    return json.dumps({k: _jsonable(v) for k, v in record.items()}, sort_keys=True)


def _jsonable(value: object) -> object:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    return value if isinstance(value, (str, int, float, bool, list, dict)) else str(value)


def parse_utc(values: pd.Series, *, naive_timezone: str | None = None) -> tuple[pd.Series, np.ndarray]:
    """Parse timestamps to UTC. Returns (parsed, problem) where ``problem`` is a reason per row or "".

    Strings with an offset or ``Z`` are converted to UTC. Naive strings are localized with
    ``naive_timezone`` when one is given and rejected otherwise: guessing a zone silently would
    shift every order by hours.
    """
    text = values.astype("string")
    problem = np.full(len(values), "", dtype=object)
    missing = text.isna() | (text.str.strip() == "")
    problem[missing.to_numpy()] = "missing timestamp"
    has_zone = text.str.contains(r"(?:Z|[+-]\d{2}:?\d{2})\s*$", regex=True, na=False).to_numpy()
    parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    zoned = has_zone & ~missing.to_numpy()
    if zoned.any():
        parsed.loc[zoned] = pd.to_datetime(text[zoned], utc=True, errors="coerce", format="ISO8601")
    naive = ~has_zone & ~missing.to_numpy()
    if naive.any():
        if naive_timezone is None:
            problem[naive] = "naive timestamp (no UTC offset); give the source's timezone"
        else:
            local = pd.to_datetime(text[naive], errors="coerce", format="mixed")
            localized = local.dt.tz_localize(naive_timezone, ambiguous="NaT", nonexistent="NaT")
            parsed.loc[naive] = localized.dt.tz_convert("UTC")
    unparsable = parsed.isna().to_numpy() & (problem == "")
    problem[unparsable] = "unparsable or nonexistent local timestamp"
    return parsed.astype("datetime64[ns, UTC]"), problem


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


def _collect_rejected(records: pd.DataFrame, reason: np.ndarray, where: pd.Series) -> pd.DataFrame:
    bad = reason != ""
    if not bad.any():
        return empty_rejected()
    return pd.DataFrame(
        {
            "where": where.to_numpy()[bad],
            "reason": reason[bad],
            "record": [_to_json(r) for r in records.loc[bad].drop(columns="_where", errors="ignore").to_dict(orient="records")],
        }
    )


def _int_column(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Whole numbers as Int64; anything else (text, fractions) flagged. Missing stays <NA>."""
    numeric = pd.to_numeric(values, errors="coerce")
    missing = values.isna().to_numpy()
    bad = (numeric.isna().to_numpy() & ~missing) | (
        ~numeric.isna().to_numpy() & (np.mod(numeric.fillna(0).to_numpy(), 1) != 0)
    )
    clean = numeric.where(~bad)
    return clean.round().astype("Int64"), bad


def normalize_orders(
    records: pd.DataFrame, *, source: str, where: str, naive_timezone: str | None = None
) -> Normalized:
    """Canonical orders from loosely typed records (API pages, files, generators).

    Accepts ``ordered_at`` or ``date`` + ``time``. ``store_id`` and ``region`` default to
    "unknown", ``items`` to 1 and ``total`` to 0.0 only when the column is absent altogether.
    Duplicated ``order_id``s collapse to the first; the others are rejected as duplicates.
    """
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, not {source!r}")
    records = records.reset_index(drop=True)
    n = len(records)
    if n == 0:
        return Normalized(empty_orders(), empty_rejected())
    origin = _where(records, where)
    if "ordered_at" in records.columns:
        stamp = records["ordered_at"]
    elif {"date", "time"} <= set(records.columns):
        stamp = records["date"].astype("string") + " " + records["time"].astype("string")
    else:
        raise ValueError(
            f"{where}: orders need an 'ordered_at' column or 'date' and 'time' columns; "
            f"found {sorted(c for c in records.columns if c != '_where')}"
        )
    ordered_at, time_problem = parse_utc(stamp, naive_timezone=naive_timezone)
    order_id = records["order_id"] if "order_id" in records.columns else pd.Series([None] * n)
    order_id = order_id.astype("string").str.strip()
    items_raw = records["items"] if "items" in records.columns else pd.Series([1] * n)
    total_raw = records["total"] if "total" in records.columns else pd.Series([0.0] * n)
    items, items_bad = _int_column(items_raw)
    total = pd.to_numeric(total_raw, errors="coerce")
    total_bad = total.isna().to_numpy() & ~total_raw.isna().to_numpy()
    problems = [("missing order_id", (order_id.isna() | (order_id == "")).to_numpy())]
    problems += [(text, time_problem == text) for text in pd.unique(time_problem) if text]
    problems += [
        ("items is not a whole number", items_bad),
        ("missing items", items.isna().to_numpy() & ~items_bad),
        ("items must be at least 1", (items.fillna(1) < 1).to_numpy()),
        ("total is not a number", total_bad),
        ("missing total", total.isna().to_numpy() & ~total_bad),
        ("total must not be negative", (total.fillna(0) < 0).to_numpy()),
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
    rejected = _collect_rejected(records, reason, origin)
    good = table.loc[reason == ""]
    return Normalized(coerce(good, ORDER_COLUMNS), rejected)


def normalize_matches(
    records: pd.DataFrame, *, source: str, where: str, naive_timezone: str | None = None
) -> Normalized:
    """Canonical matches from records that already use the canonical column names.

    Naive ``kickoff_at`` values are localized with ``naive_timezone`` (as in ``parse_utc``).

    ``kickoff_known`` defaults to True except for SCHEDULED matches at T00:00:00Z (football-data.org
    puts unknown kick-off times at midnight UTC). ``winner`` is derived from the score of finished
    matches when the source does not give it. Unknown statuses, kick-offs before 1990, scores
    that are not whole non-negative numbers and rows without teams are rejected. Team names are
    made canonical (``collectors.team_names``); names the alias table does not know are kept.
    """
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, not {source!r}")
    records = records.reset_index(drop=True)
    n = len(records)
    if n == 0:
        return Normalized(empty_matches(), empty_rejected())
    origin = _where(records, where)
    for required in ("match_id", "kickoff_at", "home_team", "away_team"):
        if required not in records.columns:
            raise ValueError(
                f"{where}: matches need a '{required}' column; found "
                f"{sorted(c for c in records.columns if c != '_where')}"
            )
    col = lambda name, default=None: (  # noqa: E731
        records[name] if name in records.columns else pd.Series([default] * n)
    )
    kickoff_at, time_problem = parse_utc(records["kickoff_at"], naive_timezone=naive_timezone)
    status = col("status", "FINISHED").astype("string").str.strip().str.upper().fillna("FINISHED")
    match_id = records["match_id"].astype("string").str.strip()
    home, away = (canonical_teams(records[c].astype("string").str.strip()) for c in ("home_team", "away_team"))
    scores = {}
    problems: list[tuple[str, np.ndarray]] = [
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
    rejected = _collect_rejected(records, reason, origin)
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
                values = pd.to_datetime(values, utc=True, format="ISO8601" if text else None).astype(dtype)
            out[name] = values
        else:
            out[name] = values if str(values.dtype) == dtype else values.astype(dtype)
    return pd.DataFrame(out).reset_index(drop=True)
