"""One run at a time without reserved concurrency: a lock object in the data bucket.

``acquire`` creates ``locks/pipeline-run.json`` with a conditional put (``If-None-Match: *``): S3
lets exactly one of several concurrent writers create it and answers 412 to the others. The
object says who holds it and until when; a holder that died (a Lambda timeout, an out-of-memory
kill) leaves a lock that expires at the end of its invocation's time limit, after which the next
run takes it over with a put conditional on the stale object's ETag (``If-Match``), so two runs
that find the same stale lock cannot both win. ``release`` deletes the object only if it is
still ours (``If-Match`` again). A run that finds the lock held waits while its own time allows,
then raises LockBusy, which Lambda retries.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

RUN_LOCK_KEY = "locks/pipeline-run.json"
POLL_SECONDS = 5.0
_LOST = {"PreconditionFailed", "ConditionalRequestConflict"}


class LockBusy(RuntimeError):
    """Another run holds the lock; the message names it and when its lock expires."""


@dataclass(frozen=True)
class RunLock:
    """A lock this process holds: release it with ``release``."""

    client: Any
    bucket: str
    key: str
    etag: str
    owner: str

    def release(self) -> None:
        """Delete the lock if it is still ours; a lock taken over after expiry is left alone."""
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self.key, IfMatch=self.etag)
        except ClientError as error:
            if _code(error) not in _LOST and _code(error) != "NoSuchKey":
                raise


def acquire(
    client: Any,
    bucket: str,
    *,
    owner: str,
    ttl: timedelta,
    wait_seconds: float,
    key: str = RUN_LOCK_KEY,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    sleep: Callable[[float], None] = time.sleep,
) -> RunLock:
    """Take the lock for ``ttl`` (the holder's remaining time), waiting up to ``wait_seconds``."""
    waited = 0.0
    while True:
        body = json.dumps({"owner": owner, "acquired_at": now().isoformat(), "expires_at": (now() + ttl).isoformat()})
        etag: str | dict | None = _put(client, bucket, key, body.encode(), IfNoneMatch="*")
        if etag is None:
            etag = _take_over_if_expired(client, bucket, key, body.encode(), now())
        if etag is None:
            continue  # released in between: try to create it again
        if isinstance(etag, str):
            return RunLock(client, bucket, key, etag, owner)
        holder = etag
        if waited >= wait_seconds:
            raise LockBusy(
                f"another run holds s3://{bucket}/{key} (owner {holder.get('owner', 'unknown')}, "
                f"expires {holder.get('expires_at', 'unknown')}); waited {waited:.0f} s"
            )
        pause = min(POLL_SECONDS, wait_seconds - waited)
        sleep(pause)
        waited += pause


def _take_over_if_expired(client: Any, bucket: str, key: str, body: bytes, now: datetime) -> str | dict | None:
    """Our ETag after taking over an expired lock; else the holder's record (None if unreadable)."""
    try:
        current = client.get_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if _code(error) == "NoSuchKey":
            return None  # released in between: the next attempt creates it
        raise
    try:
        holder = json.loads(current["Body"].read())
        expires = datetime.fromisoformat(holder["expires_at"])
    except (ValueError, KeyError, TypeError):
        holder, expires = {"owner": "unreadable lock"}, now  # a damaged lock protects nothing
    if now < expires:
        return holder
    # Lost to another run taking it over at the same moment: that run now holds it.
    return _put(client, bucket, key, body, IfMatch=current["ETag"]) or holder


def _put(client: Any, bucket: str, key: str, body: bytes, **condition: str) -> str | None:
    try:
        response = client.put_object(
            Bucket=bucket, Key=key, Body=body, ContentType="application/json", **condition
        )
    except ClientError as error:
        if _code(error) in _LOST:
            return None
        raise
    return response["ETag"]


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))
