"""Timestamps of any source read as UTC instants, with a reason for every one that cannot be read."""

from __future__ import annotations

import re
from datetime import datetime

import numpy as np
import pandas as pd

# How a naive local time that happens twice (clocks going back) is read: rejected (the default),
# or the earlier (summer time) or later (standard time) of the two instants.
AMBIGUOUS_RULES = ("reject", "earlier", "later")
ISO_TIMESTAMP = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?$"
)
DAY_MONTH = re.compile(r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}$")
SWAPPED = {"%d": "%m", "%m": "%d"}


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
    text, problem = _stripped(values)
    if date_format:
        text, problem = _reformat_dates(text, problem, date_format)
    iso = text.str.match(ISO_TIMESTAMP.pattern, na=False).to_numpy()
    other = ~iso & (problem == "")
    if other.any() and not date_format:
        _refuse_day_month(text[other].iloc[0])
    problem[other & (problem == "")] = "not an ISO 8601 timestamp (e.g. 2024-05-04T18:30:00+01:00)"
    has_zone = text.str.contains(r"(?:Z|[+-]\d{2}:?\d{2})$", regex=True, na=False).to_numpy() & iso
    parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    zoned = has_zone & (problem == "")
    if zoned.any():
        parsed.loc[zoned] = pd.to_datetime(text[zoned], utc=True, errors="coerce", format="ISO8601")
    naive = ~has_zone & (problem == "")
    if naive.any() and naive_timezone is not None:
        local = pd.to_datetime(text[naive], errors="coerce", format="ISO8601")
        parsed.loc[naive], problem[naive] = _localize(local, naive_timezone, ambiguous)
    elif naive.any():
        problem[naive] = "naive timestamp (no UTC offset); give the source's timezone"
    unparsable = parsed.isna().to_numpy() & (problem == "")
    problem[unparsable] = "not a valid date or time"
    return parsed.astype("datetime64[ns, UTC]"), problem


def _stripped(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """The values as stripped text ("" where missing), and "missing timestamp" where they are."""
    text = values.astype("string").str.strip()
    problem = np.full(len(values), "", dtype=object)
    missing = (text.isna() | (text == "")).to_numpy()
    problem[missing] = "missing timestamp"
    return text.where(~missing, ""), problem


def _refuse_day_month(example: str) -> None:
    """DateFormatError if ``example`` reads as day/month or month/day: guessing would swap dates."""
    if DAY_MONTH.match(example.split()[0]):
        raise DateFormatError(
            f"dates like {example!r} are ambiguous (day first or month first?): give the date "
            "format, e.g. --date-format %d/%m/%Y or --date-format %m/%d/%Y"
        )


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
