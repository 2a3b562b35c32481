"""Shared by the collector tests: a fake clock, the real reference files, loopback servers."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from pizza_game.collectors.api_client import ApiClient, ApiKey
from pizza_game.collectors.rate_limit import RateLimiter
from pizza_game.collectors.retry import RetryPolicy

REPO_ROOT = Path(__file__).resolve().parents[2]
# ../shared/data beside the checkout (CI, /work/main); from a worktree nested one level deeper
# (/work/wt/<name>) the nearest ancestor holding shared/data is the same directory.
SHARED_DATA = next(
    (p / "shared" / "data" for p in REPO_ROOT.parents if (p / "shared" / "data").is_dir()),
    REPO_ROOT.parent / "shared" / "data",
)
FOOTBALL_DATA = SHARED_DATA / "football_data_org"
FIXTURES = SHARED_DATA / "fixtures"
PIZZA_PLACE = SHARED_DATA / "pizza_place_2015"
REAL_RESPONSES = (
    "competition_PL_matches_season2025_scheduled.json",
    "team_65_matches_2023_24.json",
    "matches_2023-12-29_several_competitions.json",
)
# Bodies quoted in errors_and_headers.md (football-data.org, observed by third parties).
BODY_429 = '{"message":"You reached your request limit. Wait 17 seconds.","errorCode":429}'
BODY_403 = (
    '{"message": "The resource you are looking for is restricted and apparently not within your '
    'permissions. Please check your subscription.", "errorCode": 403}'
)
BODY_400 = '{"message": "Your API token is invalid.", "errorCode": 400}'
# Short real timeouts: only the timeout tests wait for real, and only this long.
FAST_RETRY = RetryPolicy(max_attempts=4, connect_timeout=2.0, read_timeout=2.0)


class FakeClock:
    """A monotonic clock that only moves when something sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_api(
    base_url: str,
    clock: FakeClock,
    *,
    key: ApiKey | None = None,
    retry: RetryPolicy = FAST_RETRY,
    per_minute: int = 10,
    per_hour: int = 1000,
) -> ApiClient:
    limiter = RateLimiter(per_minute, per_hour, clock=clock, sleep=clock.sleep)
    return ApiClient(
        base_url,
        key or ApiKey("X-Auth-Token", "test-key"),
        limiter=limiter,
        retry=retry,
        rng=random.Random(7),
    )


@pytest.fixture(scope="session")
def threaded_server() -> Iterator[HTTPServer]:
    """A loopback server answering in threads, for handlers that hang past a client timeout."""
    server = HTTPServer(threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """Set at teardown so hanging handlers return and leave the server idle for the next test."""
    event = threading.Event()
    yield event
    event.set()
