"""Client-side rate limiting: sliding minute and hour windows, slowed further by server headers.

One ``RateLimiter`` per API and process: ``shared_limiter(base_url, ...)`` returns the same object
to every caller with that base URL, so all assets and partitions running in one process share the
budget. Separate processes (Dagster's multiprocess executor, parallel Lambdas) each have their own;
the server's ``X-Requests-Available-Minute`` / ``X-RequestCounter-Reset`` headers and 429 waits
then keep them honest.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)

MINUTE = 60.0
HOUR = 3600.0
AVAILABLE_HEADER = "X-Requests-Available-Minute"
RESET_HEADER = "X-RequestCounter-Reset"


class RateLimiter:
    """At most ``per_minute`` requests in any 60 s and ``per_hour`` in any 3600 s.

    ``clock`` returns seconds (monotonic) and ``sleep`` waits: tests inject a fake pair.
    """

    def __init__(
        self,
        per_minute: int = 10,
        per_hour: int = 1000,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.clock = clock
        self.sleep = sleep
        self.set_limits(per_minute, per_hour)
        self._sent: deque[float] = deque()
        self._paused_until = float("-inf")
        self._server_left: int | None = None
        self._server_reset_at = float("-inf")
        self._lock = threading.Lock()

    def set_limits(self, per_minute: int, per_hour: int) -> None:
        if per_minute < 1 or per_hour < 1:
            raise ValueError(f"rate limits must be at least 1 (got {per_minute}/min, {per_hour}/h)")
        self.per_minute = per_minute
        self.per_hour = per_hour

    def acquire(self) -> float:
        """Wait until one more request fits every limit, count it, return the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self.clock()
                wait = self._wait_needed(now)
                if wait <= 0:
                    self._sent.append(now)
                    if self._server_left is not None:
                        self._server_left -= 1
                    return waited
            log.debug("rate limit: waiting %.1f s", wait)
            self.sleep(wait)
            waited += wait

    def pause(self, seconds: float) -> None:
        """Let no request through for ``seconds`` (the server said so, e.g. a 429)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self.clock() + seconds)

    def observe(self, headers: Mapping[str, str]) -> None:
        """Adopt the server's count of requests left in its window, when it sends one."""
        available = _number(headers.get(AVAILABLE_HEADER))
        if available is None:
            return
        reset = _number(headers.get(RESET_HEADER))
        with self._lock:
            self._server_left = int(available)
            self._server_reset_at = self.clock() + (MINUTE if reset is None else reset)

    def _wait_needed(self, now: float) -> float:
        while self._sent and self._sent[0] <= now - HOUR:
            self._sent.popleft()
        waits = [self._paused_until - now]
        in_minute = [t for t in self._sent if t > now - MINUTE]
        if len(in_minute) >= self.per_minute:
            waits.append(in_minute[-self.per_minute] + MINUTE - now)
        if len(self._sent) >= self.per_hour:
            waits.append(self._sent[-self.per_hour] + HOUR - now)
        if self._server_left is not None:
            if now >= self._server_reset_at:
                self._server_left = None
            elif self._server_left <= 0:
                waits.append(self._server_reset_at - now)
        return max(waits)


def _number(text: str | None) -> float | None:
    try:
        value = float(text) if text is not None else None
    except ValueError:
        return None
    return value if value is not None and value >= 0 else None


_registry: dict[str, RateLimiter] = {}
_registry_lock = threading.Lock()


def shared_limiter(base_url: str, per_minute: int, per_hour: int) -> RateLimiter:
    """The process-wide limiter of the API at ``base_url`` (made on first use, limits updated)."""
    key = base_url.rstrip("/")
    with _registry_lock:
        limiter = _registry.get(key)
        if limiter is None:
            limiter = _registry[key] = RateLimiter(per_minute, per_hour)
        else:
            limiter.set_limits(per_minute, per_hour)
        return limiter
