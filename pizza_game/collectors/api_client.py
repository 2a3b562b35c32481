"""JSON over HTTP GET with a shared rate limit, bounded retries and keys kept out of every message.

Decisions per answer: 2xx with JSON -> returned; 429 -> wait what the API asks, retry; 5xx, 408,
timeouts, connection errors, truncated or malformed JSON -> backoff with full jitter, retry; an
HTML page or a body over ``max_body_bytes`` (read no further) -> ``CollectorBadResponse`` at once;
other 4xx and redirects -> ``CollectorRejected`` at once (redirects are refused so a key header never follows
them to another host). Failures are raised outside ``except`` blocks, so no exception from
``requests`` (which holds the request and its headers) is chained to ours.
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

import requests

from pizza_game.collectors.errors import (
    CollectorBadResponse,
    CollectorError,
    CollectorNotConfigured,
    CollectorRejected,
    CollectorUnavailable,
)
from pizza_game.collectors.rate_limit import RateLimiter
from pizza_game.collectors.redaction import Secret, redact
from pizza_game.collectors.retry import DEFAULT_RETRY, RetryPolicy, rate_limit_wait

log = logging.getLogger(__name__)

MESSAGE_CHARS = 300
# The largest body accepted (an API page is kilobytes; a login page or a dump is not data).
MAX_BODY_BYTES = 20 * 1024 * 1024
CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class ApiResponse:
    """A successful answer: ``body`` holds the bytes exactly as received, ``data`` their JSON."""

    request: str
    status: int
    body: bytes = field(repr=False)
    data: object = field(repr=False)

    @property
    def endpoint(self) -> str:
        """The request without its query, e.g. "GET /v4/competitions/PL/matches"."""
        return self.request.split("?", 1)[0]


class ApiKey:
    """The credential header of an API; its value is a ``Secret`` and never printed."""

    def __init__(self, header: str, value: str, *, prefix: str = "") -> None:
        if not value or not value.isprintable() or any(c.isspace() for c in value):
            # requests would put such a value, unmasked, into its InvalidHeader message.
            raise CollectorNotConfigured(
                f"the {header} key is empty or contains spaces or control characters"
            )
        self.header = header
        self.secret = Secret(value)
        self._prefix = prefix

    @classmethod
    def bearer(cls, token: str) -> ApiKey:
        return cls("Authorization", token, prefix="Bearer ")

    def headers(self) -> dict[str, str]:
        return {self.header: self._prefix + self.secret.reveal()}

    def __repr__(self) -> str:
        return f"ApiKey(header={self.header!r}, value={self.secret!r})"


@dataclass(frozen=True)
class _Failure:
    reason: str
    error: type[CollectorError]
    status: int | None = None
    retry: bool = True
    wait: float | None = None
    rate_limited: bool = False


class ApiClient:
    """GETs JSON from ``base_url`` + path; one instance per API and process is enough."""

    def __init__(
        self,
        base_url: str,
        key: ApiKey,
        *,
        limiter: RateLimiter,
        retry: RetryPolicy = DEFAULT_RETRY,
        session: requests.Session | None = None,
        rng: random.Random | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise CollectorNotConfigured("the API base URL must be an http(s) URL with a host name")
        if parts.username or parts.password or parts.query or parts.fragment:
            raise CollectorNotConfigured(
                "the API base URL must not carry a user, password, query or fragment; "
                "put the key in its *_API_KEY variable"
            )
        self.base_url = base_url.rstrip("/")
        self.key = key
        self.limiter = limiter
        self.retry = retry
        self._session = session or requests.Session()
        self._rng = rng or random.Random()
        self.max_body_bytes = max_body_bytes

    def close(self) -> None:
        self._session.close()

    def get(self, path: str, params: dict[str, str] | None = None) -> ApiResponse:
        """GET ``path`` (e.g. "/competitions/PL/matches") with ``params``; or ``CollectorError``."""
        url = self.base_url + path
        endpoint = self._scrub(f"GET {urlsplit(url).path}")
        request = endpoint + (self._scrub(f"?{urlencode(params)}") if params else "")
        waited = 0.0
        for attempt in range(1, self.retry.max_attempts + 1):
            self.limiter.acquire()
            outcome = self._attempt(url, params, request)
            if isinstance(outcome, ApiResponse):
                return outcome
            failure = outcome
            if not outcome.retry:
                raise outcome.error(f"{endpoint} {outcome.reason}", endpoint, outcome.status)
            if attempt == self.retry.max_attempts:
                break
            delay = (
                outcome.wait if outcome.wait is not None else self.retry.backoff(attempt, self._rng)
            )
            if waited + delay > self.retry.max_wait:
                raise outcome.error(
                    f"{endpoint} {outcome.reason}; waiting {delay:.0f} s more would exceed the "
                    f"{self.retry.max_wait:.0f} s retry budget",
                    endpoint,
                    outcome.status,
                )
            log.warning("%s %s; retry %d in %.1f s", request, outcome.reason, attempt, delay)
            if outcome.rate_limited:
                self.limiter.pause(delay)
            else:
                self.limiter.sleep(delay)
            waited += delay
        raise failure.error(
            f"{endpoint} gave up after {self.retry.max_attempts} attempts: {failure.reason}",
            endpoint,
            failure.status,
        )

    def _attempt(
        self, url: str, params: dict[str, str] | None, request: str
    ) -> ApiResponse | _Failure:
        sent = self._send(url, params)
        if isinstance(sent, _Failure):
            return sent
        response, too_large = sent
        self.limiter.observe(response.headers)
        status = response.status_code
        log.debug("%s -> %d", request, status)
        if too_large:
            return _Failure(
                f"answered {status} with a body over the {self.max_body_bytes / 2**20:g} MB limit (not read further)",
                CollectorBadResponse,
                status,
                retry=False,
            )
        if 200 <= status < 300:
            return self._parse(response, request)
        return self._status_failure(response)

    def _send(
        self, url: str, params: dict[str, str] | None
    ) -> tuple[requests.Response, bool] | _Failure:
        """The response with its body read (and whether the body was over the limit), or why no
        response came."""
        try:
            response = self._session.get(
                url,
                params=params,
                headers={"Accept": "application/json", **self.key.headers()},
                timeout=(self.retry.connect_timeout, self.retry.read_timeout),
                allow_redirects=False,
                stream=True,
            )
            return response, self._read_bounded(response)
        except requests.Timeout:
            return _Failure(
                f"timed out (connect {self.retry.connect_timeout:g} s, "
                f"read {self.retry.read_timeout:g} s)",
                CollectorUnavailable,
            )
        except requests.RequestException as exc:
            return _Failure(
                f"could not connect: {self._scrub(str(exc))[:MESSAGE_CHARS]}", CollectorUnavailable
            )

    def _status_failure(self, response: requests.Response) -> _Failure:
        """The failure a non-2xx status means: worth retrying (429, 408, 5xx) or not."""
        status = response.status_code
        message = self._message(response)
        if status == 429:
            wait = rate_limit_wait(response.headers, message)
            return _Failure(
                f"answered 429: {message}",
                CollectorUnavailable,
                status,
                wait=wait,
                rate_limited=True,
            )
        if status >= 500 or status == 408:
            return _Failure(f"answered {status}: {message}", CollectorUnavailable, status)
        if 300 <= status < 400:
            return _Failure(
                f"answered {status} (redirect, not followed); "
                "set the base URL to the final address",
                CollectorRejected,
                status,
                retry=False,
            )
        if 400 <= status < 500:
            return _Failure(f"answered {status}: {message}", CollectorRejected, status, retry=False)
        return _Failure(
            f"answered unexpected status {status}", CollectorBadResponse, status, retry=False
        )

    def _read_bounded(self, response: requests.Response) -> bool:
        """Read the body into ``response._content`` up to the limit; True if it is over it."""
        body = bytearray()
        try:
            for chunk in response.iter_content(CHUNK_BYTES):
                body += chunk
                if len(body) > self.max_body_bytes:
                    return True
        finally:
            response.close()
        response._content = bytes(body)
        return False

    def _parse(self, response: requests.Response, request: str) -> ApiResponse | _Failure:
        kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if kind == "text/html" or response.content.lstrip()[:1] == b"<":
            return _Failure(
                f"answered {response.status_code} with an HTML page, not JSON (a login or error page?)",
                CollectorBadResponse,
                response.status_code,
                retry=False,
            )
        try:
            data = json.loads(response.content)
        except RecursionError:
            return _Failure("returned JSON nested too deeply", CollectorBadResponse, response.status_code, retry=False)
        except json.JSONDecodeError as exc:
            where = f"line {exc.lineno} column {exc.colno}: {exc.msg}"
            return _Failure(
                f"returned malformed JSON ({where})", CollectorBadResponse, response.status_code
            )
        except UnicodeDecodeError:
            return _Failure(
                "returned a body that is not UTF-8 JSON", CollectorBadResponse, response.status_code
            )
        return ApiResponse(request, response.status_code, response.content, data)

    def _message(self, response: requests.Response) -> str:
        """The API's explanation: JSON ``message`` (or v1 ``error``), else the start of the body."""
        try:
            data = json.loads(response.content)
        except (json.JSONDecodeError, UnicodeDecodeError):
            data = None
        message = (data.get("message") or data.get("error")) if isinstance(data, dict) else None
        if isinstance(message, str):
            text = message
        else:
            text = (
                response.content.decode("utf-8", errors="replace").strip() or response.reason or ""
            )
        return self._scrub(" ".join(text.split()))[:MESSAGE_CHARS]

    def _scrub(self, text: str) -> str:
        return redact(text, [self.key.secret])
