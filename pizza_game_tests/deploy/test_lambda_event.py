"""The Lambda event -> time range rules (pizza_game/lambda_event.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pizza_game.lambda_event import TimeRange, time_range_from_event

NOW = datetime(2026, 11, 25, 10, 17, 42, 123456, tzinfo=UTC)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def scheduled(start: datetime, end: datetime) -> TimeRange:
    return TimeRange(start, end, scheduled=True)


def eventbridge(time: object) -> dict[str, object]:
    """A scheduled event as EventBridge sends it to Lambda."""
    return {
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": time,
        "region": "eu-west-1",
        "resources": ["arn:aws:events:eu-west-1:123456789012:rule/pizza-game-hourly"],
        "detail": {},
    }


@pytest.mark.parametrize("event", [{}, None])
def test_empty_event_is_the_hour_just_finished(event: object) -> None:
    assert time_range_from_event(event, NOW) == scheduled(
        utc(2026, 11, 25, 9), utc(2026, 11, 25, 10)
    )


def test_default_hour_is_computed_in_utc_from_an_aware_now() -> None:
    now_in_new_york = datetime.fromisoformat("2026-11-25T05:17:42-05:00")
    assert time_range_from_event({}, now_in_new_york) == scheduled(
        utc(2026, 11, 25, 9), utc(2026, 11, 25, 10)
    )


@pytest.mark.parametrize(
    ("time", "expected"),
    [
        ("2026-11-25T10:00:00Z", scheduled(utc(2026, 11, 25, 9), utc(2026, 11, 25, 10))),
        # A late or retried delivery still names its scheduled hour.
        ("2026-11-25T10:00:37Z", scheduled(utc(2026, 11, 25, 9), utc(2026, 11, 25, 10))),
        ("2026-01-01T00:00:00Z", scheduled(utc(2025, 12, 31, 23), utc(2026, 1, 1, 0))),
        ("2026-11-25T11:00:00+01:00", scheduled(utc(2026, 11, 25, 9), utc(2026, 11, 25, 10))),
    ],
)
def test_eventbridge_event_is_the_scheduled_hour_before_its_time(
    time: str, expected: TimeRange
) -> None:
    assert time_range_from_event(eventbridge(time), NOW) == expected


@pytest.mark.parametrize(
    ("partition", "expected"),
    [
        ("2024-05-04", TimeRange(utc(2024, 5, 4), utc(2024, 5, 5))),
        ("2024-02-29", TimeRange(utc(2024, 2, 29), utc(2024, 3, 1))),
        ("2024-05-04-18:00", TimeRange(utc(2024, 5, 4, 18), utc(2024, 5, 4, 19))),
        ("2024-05-04-23:00", TimeRange(utc(2024, 5, 4, 23), utc(2024, 5, 5, 0))),
    ],
)
def test_partition_event_is_that_day_or_hour(partition: str, expected: TimeRange) -> None:
    assert time_range_from_event({"partition": partition}, NOW) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2024-05-01", "2024-05-08", TimeRange(utc(2024, 5, 1), utc(2024, 5, 8))),
        (
            "2024-05-01T06:00:00Z",
            "2024-05-01T09:00:00+00:00",
            TimeRange(utc(2024, 5, 1, 6), utc(2024, 5, 1, 9)),
        ),
        ("2024-05-01T06:00", "2024-05-02", TimeRange(utc(2024, 5, 1, 6), utc(2024, 5, 2))),
        (
            "2024-05-01T08:00:00+02:00",
            "2024-05-01T07:00:00Z",
            TimeRange(utc(2024, 5, 1, 6), utc(2024, 5, 1, 7)),
        ),
    ],
)
def test_range_event_is_start_inclusive_end_exclusive(
    start: str, end: str, expected: TimeRange
) -> None:
    assert time_range_from_event({"start": start, "end": end}, NOW) == expected


def test_time_range_serialises_as_iso_strings() -> None:
    assert TimeRange(utc(2024, 5, 1), utc(2024, 5, 1, 1)).to_dict() == {
        "start": "2024-05-01T00:00:00+00:00",
        "end": "2024-05-01T01:00:00+00:00",
    }


@pytest.mark.parametrize(
    ("event", "named"),
    [
        (["2024-05-04"], "JSON object"),
        ("2024-05-04", "JSON object"),
        ({"partion": "2024-05-04"}, "'partion'"),
        ({"partition": "2024-05-04", "start": "2024-05-01"}, "'partition'"),
        ({"partition": 20240504}, "'partition'"),
        ({"partition": "2024-13-01"}, "'partition'"),
        ({"partition": "2024-05-04-18:30"}, "'partition'"),
        ({"partition": "2024-05-04T18"}, "'partition'"),
        ({"partition": "2024-05-04-25:00"}, "'partition'"),
        ({"start": "2024-05-01"}, "'end'"),
        ({"end": "2024-05-01"}, "'start'"),
        ({"start": "2024-05-08", "end": "2024-05-01"}, "'end'"),
        ({"start": "2024-05-01", "end": "2024-05-01"}, "'end'"),
        ({"start": "2024-05-01T06:30:00Z", "end": "2024-05-02"}, "'start'"),
        ({"start": "yesterday", "end": "2024-05-02"}, "'start'"),
        ({"start": "2024-05-01", "end": 20240502}, "'end'"),
        (eventbridge(None), "'time'"),
        (eventbridge("not a time"), "'time'"),
        (eventbridge("2026-11-25T10:00:00"), "'time'"),
    ],
)
def test_bad_event_is_a_value_error_naming_the_field(event: object, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        time_range_from_event(event, NOW)
