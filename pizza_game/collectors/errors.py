"""Why a collector could not deliver: one base class, one subclass per decision the caller makes.

Every ``CollectorError`` means "no real data this time"; with fallback on, the caller uses the mock
generator instead. The subclass says why, ``reason`` says it in one line fit for asset metadata.
Messages name the endpoint path and the API's own message, never a key or a query secret.
"""

from __future__ import annotations


class CollectorError(Exception):
    """A collector failed; ``reason`` is a one-line, secret-free explanation."""

    def __init__(self, reason: str, endpoint: str | None = None, status: int | None = None) -> None:
        super().__init__(reason, endpoint, status)
        self.reason = reason
        self.endpoint = endpoint
        self.status = status

    def __str__(self) -> str:
        return self.reason


class CollectorNotConfigured(CollectorError):
    """A URL or key is missing or unusable: nothing was sent."""


class CollectorRejected(CollectorError):
    """The API refused the request (4xx other than 429, or a redirect): retrying cannot help."""


class CollectorUnavailable(CollectorError):
    """Server errors, timeouts, connection failures or rate limits outlasted the retry budget."""


class CollectorBadResponse(CollectorError):
    """The API answered, but not with the documented shape (malformed JSON, no list of records)."""
