"""How long to wait before trying again: exponential backoff with full jitter, or the API's word.

football-data.org answers 429 with a body like ``{"message": "You reached your request limit. Wait
17 seconds.", "errorCode": 429}`` and (per third-party reports) often no ``Retry-After`` header.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass

from pizza_game.collectors.rate_limit import MINUTE, RESET_HEADER

WAIT_IN_MESSAGE = re.compile(r"wait\s+(\d+(?:\.\d+)?)\s*seconds?", re.IGNORECASE)
# Servers count seconds coarsely; one more second avoids a second 429 at the window's edge.
RATE_LIMIT_MARGIN = 1.0


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds on one call: attempts, waiting between attempts, and per-attempt timeouts (seconds).

    Worst-case duration of a call is about ``max_attempts * (connect_timeout + read_timeout) +
    max_wait`` plus rate-limit waits.
    """

    max_attempts: int = 4
    backoff_base: float = 1.0
    backoff_cap: float = 30.0
    max_wait: float = 180.0
    connect_timeout: float = 5.0
    read_timeout: float = 30.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, not {self.max_attempts}")

    def backoff(self, retry: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**(retry-1))] for the ``retry``-th retry."""
        return rng.uniform(0.0, min(self.backoff_cap, self.backoff_base * 2 ** (retry - 1)))


DEFAULT_RETRY = RetryPolicy()


def rate_limit_wait(headers: Mapping[str, str], message: str) -> float:
    """Seconds a 429 asks for: Retry-After, else "Wait N seconds", else the counter reset, or 60."""
    for text in (headers.get("Retry-After"), _wait_in(message), headers.get(RESET_HEADER)):
        try:
            seconds = float(text) if text is not None else None
        except ValueError:
            continue
        if seconds is not None and seconds >= 0:
            return seconds + RATE_LIMIT_MARGIN
    return MINUTE


def _wait_in(message: str) -> str | None:
    found = WAIT_IN_MESSAGE.search(message)
    return found.group(1) if found else None
