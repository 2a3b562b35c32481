"""The time limit: ranges too long for one invocation are refused with one line, and a range in
chunks stops cleanly between chunks when a fake Lambda context's remaining time runs out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pizza_game.lambda_budget import (
    CHUNK_DAYS,
    MAX_DAYS,
    SAFETY_SECONDS,
    Progress,
    RangeTooLong,
    Throughput,
    check_fits,
    chunks,
    combined,
    run_in_chunks,
)

START = datetime(2024, 10, 1, tzinfo=UTC)


class Clock:
    """Monotonic seconds that advance only when a chunk 'runs'."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class FakeContext:
    """A Lambda context whose remaining time is the limit minus the clock."""

    def __init__(self, clock: Clock, limit_seconds: float) -> None:
        self.clock = clock
        self.limit = limit_seconds
        self.asked = 0

    def get_remaining_time_in_millis(self) -> int:
        self.asked += 1
        return int((self.limit - self.clock.now) * 1000)


def part(start: datetime, end: datetime, days: int, orders: int, real: float) -> dict:
    return {
        "start": start.isoformat(), "end": end.isoformat(), "days": days, "hours": 24 * days + 24,
        "orders": orders, "orders_real_share": real, "matches": days, "matches_real_share": 0.0,
        "matches_analysed": days, "headline": f"headline {end:%d}", "headline_lift": 0.1,
        "findings": [], "quicksight_refresh": "not_configured",
        "fallback_reasons": {"raw_orders": ["DOMINOS_API_URL is not set"]}, "report": "",
        "run_ids": [f"o{start:%d}", f"a{start:%d}"],
    }  # fmt: skip


def test_chunks_cover_the_range_without_gaps_or_overlaps() -> None:
    parts = chunks(START, START + timedelta(days=17))
    assert [(b - a).days for a, b in parts] == [CHUNK_DAYS, CHUNK_DAYS, 3]
    assert parts[0][0] == START and parts[-1][1] == START + timedelta(days=17)
    assert all(parts[i][1] == parts[i + 1][0] for i in range(len(parts) - 1))


def test_a_range_longer_than_max_days_is_refused_with_one_line() -> None:
    end = START + timedelta(days=MAX_DAYS + 1)
    with pytest.raises(RangeTooLong) as refused:
        check_fits(START, end, 900_000, Throughput())
    message = str(refused.value)
    assert "\n" not in message
    assert f"({MAX_DAYS + 1} days)" in message and "pizza-game backfill --lambda" in message


def test_a_range_whose_estimate_exceeds_the_time_left_is_refused() -> None:
    end = START + timedelta(days=14)
    needed = 2 * Throughput().estimate(7) + SAFETY_SECONDS
    check_fits(START, end, int(needed * 1000) + 1, Throughput())
    with pytest.raises(RangeTooLong, match=rf"needs about {needed:.0f} s in 2 part\(s\)"):
        check_fits(START, end, int(needed * 1000) - 1000, Throughput())


def test_run_stops_between_chunks_when_the_remaining_time_runs_out() -> None:
    clock = Clock()
    # The first chunk takes 300 s (much slower than estimated): after two of them 900 - 600 =
    # 300 s are left, less than the measured estimate of the third.
    context = FakeContext(clock, 900)
    ran = []

    def run(start: datetime, end: datetime) -> dict:
        ran.append((start, end))
        clock.now += 300
        days = (end - start).days
        return part(start, end, days, 100 * days, 0.5)

    end = START + timedelta(days=21)
    progress = run_in_chunks(START, end, context.get_remaining_time_in_millis, run, clock=clock)
    assert ran == chunks(START, end)[:2]
    assert not progress.complete
    assert progress.stopped_at == START + timedelta(days=14)
    assert "stopped before 2024-10-15 00:00 UTC" in progress.reason
    assert "40.6 s per day" in progress.reason  # (300 - 16) / 7 measured, not the 2.2 assumed
    assert context.asked == 3
    result = combined(progress, START, end)
    assert result["complete"] is False
    assert result["done_until"] == (START + timedelta(days=14)).isoformat()
    assert result["remaining"] == {"start": (START + timedelta(days=14)).isoformat(), "end": end.isoformat()}
    assert (result["days"], result["orders"]) == (14, 1400)
    assert result["run_ids"] == ["o01", "a01", "o08", "a08"]


def test_a_fast_range_completes_in_chunks() -> None:
    clock = Clock()
    context = FakeContext(clock, 900)

    def run(start: datetime, end: datetime) -> dict:
        clock.now += 20
        days = (end - start).days
        return part(start, end, days, 10 * days, 1.0 if start == START else 0.0)

    end = START + timedelta(days=10)
    progress = run_in_chunks(START, end, context.get_remaining_time_in_millis, run, clock=clock)
    assert progress.complete and len(progress.done) == 2
    result = combined(progress, START, end)
    assert result["remaining"] is None
    assert result["orders_real_share"] == pytest.approx(0.7)  # 70 of 100 orders, weighted
    assert result["headline"] == "headline 11"  # the last chunk's analysis covers the horizon
    assert result["fallback_reasons"] == {"raw_orders": ["DOMINOS_API_URL is not set"]}


def test_a_failing_chunk_leaves_the_chunks_done_in_progress() -> None:
    clock = Clock()
    progress = Progress()

    def run(start: datetime, end: datetime) -> dict:
        if start > START:
            raise RuntimeError("boom")
        return part(start, end, 7, 7, 0.0)

    with pytest.raises(RuntimeError):
        run_in_chunks(
            START, START + timedelta(days=9), FakeContext(clock, 900).get_remaining_time_in_millis, run,
            clock=clock, progress=progress,
        )
    assert progress.done == [(START, START + timedelta(days=7))]


def test_nothing_runs_when_not_even_the_first_chunk_fits() -> None:
    """After waiting for the run lock, say: the run stops before its first chunk."""
    clock = Clock()
    clock.now = 880
    ran: list[datetime] = []
    progress = run_in_chunks(
        START, START + timedelta(hours=1), FakeContext(clock, 900).get_remaining_time_in_millis,
        lambda start, end: ran.append(start), clock=clock,
    )  # fmt: skip
    assert ran == [] and not progress.complete and progress.stopped_at == START
    assert combined(progress, START, START + timedelta(hours=1))["run_ids"] == []
