"""The Lambda event -> the UTC time range one invocation materializes.

Accepted events (anything else is a ValueError naming the field):
- ``{}``: the hour just finished, ``[now - 1 h, now)`` floored to the hour.
- an EventBridge scheduled event (``"source": "aws.events"``): the hour before its ``time``,
  ``[time - 1 h, time)`` floored to the hour, so a late or retried delivery still processes the
  hour it was scheduled for.
- ``{"partition": "2024-05-04"}``: that UTC day; ``{"partition": "2024-05-04-18:00"}``: that hour
  (Dagster's daily and hourly partition key formats).
- ``{"start": ..., "end": ...}``: ``[start, end)``, each a date (midnight UTC) or an ISO 8601
  datetime on the hour (naive means UTC).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

EVENTBRIDGE_SOURCE = "aws.events"
PARTITION = "partition"
START = "start"
END = "end"
TIME = "time"

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_HOUR_KEY = re.compile(r"(\d{4}-\d{2}-\d{2})-(\d{2}):(\d{2})")


@dataclass(frozen=True)
class TimeRange:
    """A half-open UTC range ``[start, end)`` whose bounds are on the hour.

    ``scheduled`` marks the hourly run (``{}`` or an EventBridge event), which collects only its
    hour; an explicit partition or range is processed whole, edge days' match windows included.
    """

    start: datetime
    end: datetime
    scheduled: bool = False

    def to_dict(self) -> dict[str, str]:
        return {START: self.start.isoformat(), END: self.end.isoformat()}


def floor_hour(moment: datetime) -> datetime:
    """``moment`` in UTC with minutes, seconds and microseconds dropped."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def hour_before(moment: datetime) -> TimeRange:
    """The scheduled run's range: the whole hour that ended at or before ``moment``."""
    end = floor_hour(moment)
    return TimeRange(end - HOUR, end, scheduled=True)


def time_range_from_event(event: object, now: datetime) -> TimeRange:
    """The range an invocation with ``event`` processes; ``now`` (tz-aware) is used for ``{}``."""
    if event is None:
        return hour_before(now)
    if not isinstance(event, Mapping):
        raise ValueError(f"event must be a JSON object, got {type(event).__name__}")
    if event.get("source") == EVENTBRIDGE_SOURCE:
        return _from_eventbridge(event)
    fields = set(event)
    unknown = fields - {PARTITION, START, END}
    if unknown:
        raise ValueError(
            f"unknown event field(s) {sorted(unknown)}; expected {{}}, an EventBridge scheduled "
            f"event, {{'{PARTITION}': ...}} or {{'{START}': ..., '{END}': ...}}"
        )
    if not fields:
        return hour_before(now)
    if PARTITION in fields:
        if fields & {START, END}:
            raise ValueError(f"event field '{PARTITION}' cannot be combined with '{START}'/'{END}'")
        return _from_partition(event[PARTITION])
    missing = {START, END} - fields
    if missing:
        raise ValueError(f"event field '{missing.pop()}' is missing: a range needs both ends")
    start = _bound(START, event[START])
    end = _bound(END, event[END])
    if end <= start:
        raise ValueError(
            f"event field '{END}' ({end.isoformat()}) must be after '{START}' ({start.isoformat()})"
        )
    return TimeRange(start, end)


def _from_eventbridge(event: Mapping[str, object]) -> TimeRange:
    raw = event.get(TIME)
    if not isinstance(raw, str):
        raise ValueError(
            f"EventBridge event field '{TIME}' must be an ISO 8601 string, got {raw!r}"
        )
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError as error:
        raise ValueError(f"EventBridge event field '{TIME}' is not ISO 8601: {raw!r}") from error
    if moment.tzinfo is None:
        raise ValueError(f"EventBridge event field '{TIME}' has no time zone: {raw!r}")
    return hour_before(moment)


def _from_partition(raw: object) -> TimeRange:
    if not isinstance(raw, str):
        raise ValueError(f"event field '{PARTITION}' must be a string, got {raw!r}")
    try:
        if _DAY.fullmatch(raw):
            start = _midnight(raw)
            return TimeRange(start, start + DAY)
        hour = _HOUR_KEY.fullmatch(raw)
        if hour and hour.group(3) == "00":
            day = date.fromisoformat(hour.group(1))
            start = datetime(day.year, day.month, day.day, int(hour.group(2)), tzinfo=UTC)
            return TimeRange(start, start + HOUR)
    except ValueError as error:
        raise ValueError(
            f"event field '{PARTITION}' is not a real date or hour: {raw!r}"
        ) from error
    raise ValueError(
        f"event field '{PARTITION}' must look like 'YYYY-MM-DD' (a day) or 'YYYY-MM-DD-HH:00' "
        f"(an hour), got {raw!r}"
    )


def _midnight(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(0), UTC)


def _bound(field: str, raw: object) -> datetime:
    if not isinstance(raw, str):
        raise ValueError(f"event field '{field}' must be a date or ISO 8601 string, got {raw!r}")
    try:
        if _DAY.fullmatch(raw):
            return _midnight(raw)
        moment = datetime.fromisoformat(raw)
    except ValueError as error:
        raise ValueError(
            f"event field '{field}' is not a date or ISO 8601 datetime: {raw!r}"
        ) from error
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if moment != floor_hour(moment):
        raise ValueError(f"event field '{field}' must be on the hour, got {raw!r}")
    return moment
