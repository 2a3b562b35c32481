from __future__ import annotations

import random

import pytest

from pizza_game.collectors.retry import RATE_LIMIT_MARGIN, RetryPolicy, rate_limit_wait


@pytest.mark.parametrize(
    ("headers", "message", "expected"),
    [
        (
            {"Retry-After": "5"},
            "You reached your request limit. Wait 17 seconds.",
            5 + RATE_LIMIT_MARGIN,
        ),
        ({}, "You reached your request limit. Wait 17 seconds.", 17 + RATE_LIMIT_MARGIN),
        (
            {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"},
            "Wait 4 seconds.",
            4 + RATE_LIMIT_MARGIN,
        ),
        ({"X-RequestCounter-Reset": "33"}, "Too many requests", 33 + RATE_LIMIT_MARGIN),
        ({}, "Too many requests", 60.0),
    ],
)
def test_rate_limit_wait_prefers_retry_after_then_the_message_then_the_reset_header(
    headers, message, expected
):
    assert rate_limit_wait(headers, message) == expected


def test_full_jitter_backoff_stays_within_the_doubling_cap():
    policy = RetryPolicy(backoff_base=1.0, backoff_cap=8.0)
    rng = random.Random(1)
    for retry, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)]:
        delays = [policy.backoff(retry, rng) for _ in range(200)]
        assert all(0.0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling / 2  # jitter spreads over the whole range


def test_at_least_one_attempt():
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
