from __future__ import annotations

import pytest

from pizza_game.collectors.rate_limit import RateLimiter, shared_limiter
from pizza_game_tests.collectors.conftest import FakeClock


def limiter(clock: FakeClock, per_minute: int = 10, per_hour: int = 1000) -> RateLimiter:
    return RateLimiter(per_minute, per_hour, clock=clock, sleep=clock.sleep)


def sent_times(rate: RateLimiter, clock: FakeClock, n: int) -> list[float]:
    times = []
    for _ in range(n):
        rate.acquire()
        times.append(clock.now)
    return times


def most_in_any_window(times: list[float], seconds: float) -> int:
    return max(sum(1 for t in times if start <= t < start + seconds) for start in times)


def test_minute_window_lets_ten_through_then_waits_for_the_oldest_to_expire(clock):
    times = sent_times(limiter(clock), clock, 25)
    assert times[:10] == [1000.0] * 10
    assert times[10] == 1060.0 and times[20] == 1120.0
    assert most_in_any_window(times, 60) == 10


def test_hour_window_binds_when_tighter_than_the_minute(clock):
    times = sent_times(limiter(clock, per_minute=10, per_hour=15), clock, 31)
    assert most_in_any_window(times, 3600) == 15
    assert most_in_any_window(times, 60) <= 10
    assert times[15] == 1000.0 + 3600


def test_server_headers_saying_nothing_left_hold_requests_until_the_reset(clock):
    rate = limiter(clock)
    rate.acquire()
    rate.observe({"X-Requests-Available-Minute": "0", "X-RequestCounter-Reset": "37"})
    assert rate.acquire() == 37.0
    assert clock.now == 1037.0


def test_server_budget_counts_down_and_expires_at_the_reset(clock):
    rate = limiter(clock)
    rate.observe({"X-Requests-Available-Minute": "2", "X-RequestCounter-Reset": "20"})
    assert [rate.acquire(), rate.acquire()] == [0.0, 0.0]
    assert rate.acquire() == 20.0


@pytest.mark.parametrize(
    "headers", [{}, {"X-Requests-Available-Minute": "many"}, {"X-RequestCounter-Reset": "5"}]
)
def test_missing_or_unreadable_headers_change_nothing(clock, headers):
    rate = limiter(clock)
    rate.observe(headers)
    assert sent_times(rate, clock, 10) == [1000.0] * 10


def test_pause_holds_every_caller(clock):
    rate = limiter(clock)
    rate.pause(18)
    assert rate.acquire() == 18.0


def test_limits_must_be_positive(clock):
    with pytest.raises(ValueError, match="at least 1"):
        limiter(clock, per_minute=0)


def test_shared_limiter_is_one_object_per_base_url_and_takes_new_limits():
    first = shared_limiter("http://127.0.0.1:1/test-registry/", 10, 1000)
    again = shared_limiter("http://127.0.0.1:1/test-registry", 5, 100)
    other = shared_limiter("http://127.0.0.1:1/other-registry", 10, 1000)
    assert first is again and first is not other
    assert (first.per_minute, first.per_hour) == (5, 100)
